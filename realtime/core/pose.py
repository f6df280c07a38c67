"""The project's own pose type: one person's landmarks in one frame.

MediaPipe's result objects are converted into `Pose` once, at the edge
(`realtime.models.estimator`), and never travel further.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

N_LANDMARKS = 33


class Landmark(IntEnum):
    """MediaPipe Pose (BlazePose) landmark indices."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Bones drawn as the skeleton (pairs of landmark indices), head and hands left out.
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),
    (11, 13), (13, 15), (12, 14), (14, 16),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
)


@dataclass(frozen=True)
class Pose:
    """One person's landmarks at time `t`.

    Attributes:
        xy: `(33, 2)` float, image pixels (x right, y down).
        visibility: `(33,)` float in [0, 1].
        t: seconds (video time for files, time since start for cameras).
        world: `(33, 3)` float metres, hip-centred (MediaPipe world landmarks),
            or `None` when the estimator gives none.
        outline: the trunk's outline read from the segmentation mask, packed
            (`realtime.analysis.rib_cage.TrunkOutline.pack`), or `None` without a mask.
    """

    xy: np.ndarray
    visibility: np.ndarray
    t: float
    world: np.ndarray | None = None
    outline: np.ndarray | None = None

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy, dtype=float)
        vis = np.asarray(self.visibility, dtype=float)
        if xy.shape != (N_LANDMARKS, 2):
            raise ValueError(f"Pose.xy must be (33, 2), got {xy.shape}")
        if vis.shape != (N_LANDMARKS,):
            raise ValueError(f"Pose.visibility must be (33,), got {vis.shape}")
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "visibility", vis)
        if self.world is not None:
            world = np.asarray(self.world, dtype=float)
            if world.shape != (N_LANDMARKS, 3):
                raise ValueError(f"Pose.world must be (33, 3), got {world.shape}")
            object.__setattr__(self, "world", world)

    def point(self, landmark: int) -> np.ndarray:
        """Pixel position `(2,)` of one landmark."""
        return self.xy[landmark]

    def midpoint(self, a: int, b: int) -> np.ndarray:
        """Pixel midpoint `(2,)` of two landmarks."""
        return (self.xy[a] + self.xy[b]) / 2.0

    def with_xy(self, xy: np.ndarray) -> "Pose":
        """A copy with new pixel positions (e.g. after smoothing)."""
        return Pose(xy=xy, visibility=self.visibility, t=self.t, world=self.world, outline=self.outline)
