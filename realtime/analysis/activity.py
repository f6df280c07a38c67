"""Running or not: running, walking, standing, or nobody in view.

Why not the duty factor: on real MediaPipe landmarks Zeni's events put contact a
little early and toe-off a little late, so a treadmill runner's duty factor reads
0.52–0.59 (tests/test_clips.py) — on the wrong side of the textbook 0.5. Two
signals a side camera sees well separate the gaits instead:

- cadence (steps/min) of the near leg: walking is rarely above 135 and running
  rarely below 150 (Alexander 1989; the walk–run transition sits near 2 m/s,
  where cadence jumps); the border here is 140;
- elbow flexion: runners carry the arms bent, walkers let them hang. Measured in
  the image plane on the clips: treadmill runner 54–58° (median), grass runner
  90–100°, walkers 21–34°; the border here is 42°.

A new state is taken only after it has held for `hold_s`, so the answer does not
flicker at a transition; leaving the view, and stepping into it, count at once.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

Activity = Literal["running", "walking", "standing", "absent"]

ARMS = (
    (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST),
)


def joint_flexion_deg(pose: Pose, a: int, b: int, c: int) -> float:
    """Flexion at joint `b` of the chain a–b–c: 0 when straight, 90 at a right angle."""
    v1 = pose.xy[a] - pose.xy[b]
    v2 = pose.xy[c] - pose.xy[b]
    norm = float(np.linalg.norm(v1) * np.linalg.norm(v2))
    if norm < 1e-9:
        return math.nan
    cos = float(np.clip(np.dot(v1, v2) / norm, -1.0, 1.0))
    return 180.0 - math.degrees(math.acos(cos))


def elbow_flexion_deg(pose: Pose, min_visibility: float = 0.5) -> float:
    """Mean elbow flexion of the arms seen well enough (NaN when none is)."""
    values = [
        joint_flexion_deg(pose, *arm) for arm in ARMS if min(pose.visibility[list(arm)]) >= min_visibility
    ]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


@dataclass(frozen=True)
class ActivityParams:
    """Borders between the gaits (see the module doc for where they come from)."""

    min_running_cadence_spm: float = 140.0
    min_running_elbow_deg: float = 42.0
    window_s: float = 3.0
    hold_s: float = 1.5
    absent_after_s: float = 1.0


class ActivityClassifier:
    """`update(t, pose | None, cadence_spm | None) -> Activity`, once per frame.

    `cadence_spm` is the gait tracker's recent near-leg cadence, None when no
    strides were seen lately (nobody cycling the legs).
    """

    def __init__(self, params: ActivityParams | None = None) -> None:
        self.params = params or ActivityParams()
        self.state: Activity = "absent"
        self._candidate: Activity = "absent"
        self._candidate_since = 0.0
        self._last_pose_t: float | None = None
        self._elbows: deque[tuple[float, float]] = deque()

    def update(self, t: float, pose: Pose | None, cadence_spm: float | None) -> Activity:
        """Classify the latest frames and return the (held) state."""
        seen = self._instant(t, pose, cadence_spm)
        if seen != self._candidate:
            self._candidate, self._candidate_since = seen, t
        immediate = seen == "absent" or (self.state == "absent" and seen == "standing")
        if seen != self.state and (immediate or t - self._candidate_since >= self.params.hold_s):
            self.state = seen
        return self.state

    @property
    def running(self) -> bool:
        """True while the runner is running."""
        return self.state == "running"

    def _instant(self, t: float, pose: Pose | None, cadence_spm: float | None) -> Activity:
        p = self.params
        if pose is not None:
            self._last_pose_t = t
            elbow = elbow_flexion_deg(pose)
            if not math.isnan(elbow):
                self._elbows.append((t, elbow))
        while self._elbows and self._elbows[0][0] < t - p.window_s:
            self._elbows.popleft()
        if self._last_pose_t is None or t - self._last_pose_t > p.absent_after_s:
            return "absent"
        if cadence_spm is None:
            return "standing"
        arms_bent = bool(self._elbows) and np.median([e for _, e in self._elbows]) >= p.min_running_elbow_deg
        if cadence_spm >= p.min_running_cadence_spm and arms_bent:
            return "running"
        return "walking"
