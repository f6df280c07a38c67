"""The demo's camera and model: the synthetic runner drawn on a treadmill, and its known poses.

- `SyntheticSource`: the runner drawn by `realtime.sources.demo_scene`, delivered like a live
  camera: paced against the wall clock, the newest due frame each pull.
- `KnownPoseEstimator`: hands the loop the generator's pose for each frame (no model).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from realtime.core.pose import Pose
from realtime.sources.capture import Frame, FrameSource
from realtime.sources.demo_scene import TreadmillScene
from realtime.sources.synthetic import RunnerSpec, clean_landmarks, generate


class KnownPoseEstimator:
    """A `PoseModel` (realtime.models.pose_model) that returns precomputed poses: frame `round(t * fps)`'s, or None."""

    def __init__(self, poses: Sequence[Pose | None], fps: float) -> None:
        self.poses = poses
        self.fps = fps
        self.last_ms = 0.0

    def estimate(self, image_bgr: np.ndarray, t: float) -> Pose | None:
        """The pose of the frame at `t` (the image is not looked at)."""
        i = int(round(t * self.fps))
        return self.poses[i] if 0 <= i < len(self.poses) else None


class SyntheticSource(FrameSource):
    """The synthetic runner drawn on a treadmill, delivered like a live camera.

    Frame `i` is due `i / fps` seconds after the first pull; a pull waits for the next
    due frame, or — when the consumer fell behind — skips to the newest due one and
    counts the skipped ones in `frames_dropped`. Only delivered frames are drawn.
    `t = i / fps`, the generator's time, so `estimator()` finds each frame's pose.
    """

    is_live = True

    def __init__(
        self,
        spec: RunnerSpec,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spec = spec
        self.name = "demo (synthetic runner)"
        self.fps = float(spec.fps)
        self.size = spec.image_size
        self.poses, truth = generate(spec)
        self._clean = clean_landmarks(spec, truth.t)
        self._scene = TreadmillScene(spec, belt_speed_mps=truth.belt_speed_mps)
        self._clock = clock
        self._sleep = sleep
        self._start: float | None = None
        self._next = 0
        self._dropped = 0
        self._closed = False

    @property
    def frames_dropped(self) -> int:
        return self._dropped

    def estimator(self) -> KnownPoseEstimator:
        """The estimator that knows this source's poses."""
        return KnownPoseEstimator(self.poses, self.fps)

    def render(self, index: int) -> np.ndarray:
        """The BGR image of frame `index`."""
        return self._scene.render(self._clean[index], index / self.fps)

    def _next_frame(self) -> Frame | None:
        if self._closed:
            return None
        now = self._clock()
        if self._start is None:
            self._start = now
        due = math.floor((now - self._start) * self.fps + 1e-9)
        i = max(self._next, due)
        self._dropped += i - self._next
        if i >= len(self.poses):
            return None
        wait = self._start + i / self.fps - now
        if wait > 0:
            self._sleep(wait)
        self._next = i + 1
        return Frame(self.render(i), i / self.fps, i, self._clock())

    def close(self) -> None:
        self._closed = True
