"""Small hand-made poses with known geometry, for the maths tests."""

from __future__ import annotations

import math

import numpy as np

from realtime.core.pose import N_LANDMARKS, Pose
from realtime.core.pose import Landmark as L


def figure(lean_deg: float = 5.0, facing: str = "left", t: float = 0.0, trunk_px: float = 200.0) -> Pose:
    """A side-on figure whose trunk leans exactly `lean_deg` (+ forward) toward `facing`.

    Hips at (500, 600); nose and toes point in the facing direction.
    """
    ahead = -1.0 if facing == "left" else 1.0
    xy = np.zeros((N_LANDMARKS, 2))
    hips = np.array([500.0, 600.0])
    rad = math.radians(lean_deg)
    shoulders = hips + trunk_px * np.array([ahead * math.sin(rad), -math.cos(rad)])
    xy[[L.LEFT_HIP, L.RIGHT_HIP]] = hips
    xy[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = shoulders
    head = shoulders + (0.0, -60.0)
    xy[[L.LEFT_EAR, L.RIGHT_EAR]] = head
    xy[L.NOSE] = head + (ahead * 25.0, 5.0)
    for knee, ankle, heel, toe in (
        (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    ):
        xy[knee] = hips + (0.0, 110.0)
        xy[ankle] = hips + (0.0, 220.0)
        xy[heel] = xy[ankle] + (-ahead * 15.0, 10.0)
        xy[toe] = xy[ankle] + (ahead * 45.0, 15.0)
    return Pose(xy=xy, visibility=np.full(N_LANDMARKS, 0.95), t=t)


def lean_sequence(leans: np.ndarray, fps: float = 30.0, facing: str = "left") -> list[Pose]:
    """One figure per frame with the given trunk leans (degrees)."""
    return [figure(float(lean), facing, t=i / fps) for i, lean in enumerate(leans)]
