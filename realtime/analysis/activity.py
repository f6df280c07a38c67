"""Running or not: running, walking, standing, or nobody in view.

The gait is told from the mechanics (realtime/analysis/midstance.py): at each midstance
the hips are at their lowest when running (a bouncing gait) and at their highest when
walking (the inverted pendulum). The median hip phase of the last few midstances
decides; while it is undecided the state stays. No cadence border: a slow jog (110 steps/min) and a brisk walk (130) overlap in
cadence, and beginners jog slowly.

A new state is taken only after it has held for `hold_s`, so the answer does not
flicker at a transition; leaving the view, and stepping into it, count at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from realtime.analysis.midstance import gait_from_hip_phases
from realtime.core.pose import Pose

Activity = Literal["running", "walking", "standing", "absent"]


@dataclass(frozen=True)
class ActivityParams:
    """How long the gait's evidence lasts and how long a state must hold."""

    #: Midstances older than this are forgotten (realtime/analysis/midstance.py decides the
    #: gait from the last few); none for `standing_after_s`: the legs stopped (a step at
    #: the slowest walk, 90 steps/min, is 0.67 s).
    horizon_s: float = 4.0
    standing_after_s: float = 2.0
    #: A new state holds this long before it is taken (a step and a half at 170 steps/min).
    hold_s: float = 0.5
    absent_after_s: float = 1.0


class ActivityClassifier:
    """`update(t, pose | None, hip_phases) -> Activity`, once per frame.

    `hip_phases` are the hip phases of the recent midstances (`GaitTracker.hip_phases`),
    oldest first; the newest is the one that ended last.
    """

    def __init__(self, params: ActivityParams | None = None) -> None:
        self.params = params or ActivityParams()
        self.state: Activity = "absent"
        self._candidate: Activity = "absent"
        self._candidate_since = 0.0
        self._last_pose_t: float | None = None

    def update(self, t: float, pose: Pose | None, hip_phases: Sequence[float],
               last_midstance_age_s: float | None = None) -> Activity:
        """Classify the latest frames and return the (held) state.

        `last_midstance_age_s`: how long ago the newest midstance was (None: none yet).
        """
        seen = self._instant(t, pose, hip_phases, last_midstance_age_s)
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

    def _instant(self, t: float, pose: Pose | None, hip_phases: Sequence[float],
                 age_s: float | None) -> Activity:
        p = self.params
        if pose is not None:
            self._last_pose_t = t
        if self._last_pose_t is None or t - self._last_pose_t > p.absent_after_s:
            return "absent"
        if age_s is None or age_s > p.standing_after_s or not hip_phases:
            return "standing"
        gait = gait_from_hip_phases(hip_phases)
        if gait != "unknown":
            return gait
        return self.state if self.state in ("running", "walking") else "standing"
