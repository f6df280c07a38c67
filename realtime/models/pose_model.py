"""The interface every pose model meets: the pipeline and the kiosk depend on this, not on
MediaPipe (`estimator.PoseEstimator`) or the demo's known poses (`KnownPoseEstimator`)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from realtime.core.pose import Pose


class PoseModel(Protocol):
    """Turns an image into a pose (None: nobody found); `last_ms` is the last call's time."""

    last_ms: float

    def estimate(self, image_bgr: np.ndarray, t: float) -> Pose | None: ...
