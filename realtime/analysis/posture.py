"""Posture per frame: which way the runner faces, and the trunk lean.

Conventions (docs/design.md): degrees; trunk lean is the mid-hip→mid-shoulder line
from vertical, positive when the shoulders are ahead of the hips in the running
direction (forward lean), negative when leaning back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

Facing = Literal["left", "right"]

#: Landmarks that must be seen for a trunk angle to mean anything.
TRUNK_LANDMARKS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def direction_sign(facing: Facing) -> float:
    """+1 when the runner faces image-right (forward is +x), -1 when facing left."""
    return 1.0 if facing == "right" else -1.0


def trunk_vector(pose: Pose) -> np.ndarray:
    """Mid-hip → mid-shoulder in pixels, `(2,)` (y down)."""
    return pose.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)


def trunk_lean_deg(pose: Pose, facing: Facing) -> float:
    """Angle of mid-hip→mid-shoulder from vertical, + forward (see module doc)."""
    dx, dy = trunk_vector(pose)
    return math.degrees(math.atan2(dx * direction_sign(facing), -dy))


def trunk_visible(pose: Pose, min_visibility: float = 0.5) -> bool:
    """True when the shoulders and hips are seen well enough to measure the trunk."""
    return bool(np.mean(pose.visibility[list(TRUNK_LANDMARKS)]) >= min_visibility)


def facing_vote(pose: Pose) -> float:
    """Evidence for the facing direction in this frame: > 0 right, < 0 left, 0 unsure.

    The nose stands ahead of the ears and the toes ahead of the heels; each
    offset is normalised by the trunk length so the vote is scale free.
    """
    trunk = np.linalg.norm(trunk_vector(pose))
    if trunk < 1e-6:
        return 0.0
    nose_ahead = pose.xy[L.NOSE, 0] - pose.midpoint(L.LEFT_EAR, L.RIGHT_EAR)[0]
    toes_ahead = (
        pose.midpoint(L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)[0]
        - pose.midpoint(L.LEFT_HEEL, L.RIGHT_HEEL)[0]
    )
    return float(np.clip((nose_ahead + toes_ahead) / trunk, -1.0, 1.0))


@dataclass
class FacingDetector:
    """Detects the facing direction, then locks it.

    The direction locks once `lock_after` consecutive pose frames agree. A
    locked direction changes only when the other direction is seen
    consistently for `switch_after` frames (the person turned round, as on a
    walk across the room); on a treadmill it never does.
    """

    lock_after: int = 15
    switch_after: int = 90
    min_vote: float = 0.05

    def __post_init__(self) -> None:
        self.facing: Facing | None = None
        self._candidate: Facing | None = None
        self._streak = 0

    @property
    def locked(self) -> bool:
        """True once a direction is locked."""
        return self.facing is not None

    def update(self, t: float, pose: Pose | None) -> Facing | None:
        """Feed one frame (None: no pose) and return the current facing, if known."""
        if pose is None:
            return self.facing
        vote = facing_vote(pose)
        if abs(vote) < self.min_vote:
            return self.facing
        seen: Facing = "right" if vote > 0 else "left"
        if seen == self._candidate:
            self._streak += 1
        else:
            self._candidate, self._streak = seen, 1
        needed = self.lock_after if self.facing is None else self.switch_after
        if seen != self.facing and self._streak >= needed:
            self.facing = seen
        return self.facing


@dataclass(frozen=True)
class PostureSample:
    """Posture of one frame. `trunk_lean_deg` is None when it cannot be measured."""

    t: float
    facing: Facing | None
    trunk_lean_deg: float | None


class PostureAnalyzer:
    """Per-frame posture: `update(t, pose | None) -> PostureSample`.

    `lean_correction_deg` is added to every trunk lean: the pose model's own bias against
    the skeleton (realtime/models/estimator.py), 0 for landmarks that are the skeleton.
    """

    def __init__(self, facing: FacingDetector | None = None, lean_correction_deg: float = 0.0) -> None:
        self.facing = facing or FacingDetector()
        self.lean_correction_deg = lean_correction_deg

    def update(self, t: float, pose: Pose | None) -> PostureSample:
        """Measure one frame."""
        facing = self.facing.update(t, pose)
        if pose is None or not trunk_visible(pose):
            return PostureSample(t, facing, None)
        lean_facing = facing or provisional_facing(pose)
        return PostureSample(t, facing, trunk_lean_deg(pose, lean_facing) + self.lean_correction_deg)


def provisional_facing(pose: Pose) -> Facing:
    """This frame's own guess, used before the direction is locked."""
    return "right" if facing_vote(pose) > 0 else "left"
