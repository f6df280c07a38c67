"""When to speak: the cue engine, decided once per stride and driven by the time it is given.

Each rule (cues/rules.toml) looks at every stride of the near leg (or of both legs, for
the trunk, which both legs' strides see alike). A fault must hold
for `persistence_strides` strides in a row before its line is due, and is gone only
after `clear_strides` good strides in a row (with the hysteresis of each condition),
so a single noisy stride never speaks. Lines are spoken one at a time, the most
important first, never closer than `min_gap_s` and never inside their cooldown.
Baseline-relative faults count only once calibration is done.

Feedback schedules (motor-learning evidence, README "Feedback schedule"):
- `full`: every due line is spoken (bandwidth feedback: only outside the band);
- `faded`: the same, but each repeat of a line waits `fade` times longer than the last;
- `summary-only`: nothing is said or shown during the run; the cues are still decided
  and listed in the summary (`spoken: false`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

from cues.rules import Condition, CueRule, RuleSet

Schedule = Literal["full", "faded", "summary-only"]
SCHEDULES: tuple[Schedule, ...] = ("full", "faded", "summary-only")


@dataclass(frozen=True)
class Cue:
    """A coaching line decided at time `t` (seconds); `spoken` is False in summary-only."""

    t: float
    id: str
    text: str
    voice: str
    spoken: bool = True
    reason: str = ""


@dataclass
class RuleState:
    """What one rule remembers between strides."""

    bad_streak: int = 0
    good_streak: int = 0
    in_fault: bool = False
    cued: bool = False  # its line was said during the current fault (praise may follow)
    last_spoken: float | None = None
    times_spoken: int = 0

    def restart(self) -> None:
        """Forget the streaks (the runner stopped or left); cooldowns are kept."""
        self.bad_streak = self.good_streak = 0
        self.in_fault = self.cued = False


def condition_value(cond: Condition, stride: object, baseline: Mapping[str, float] | None) -> float | None:
    """The value a condition reads from a stride: absolute, or relative to the baseline."""
    value = getattr(stride, cond.metric, None)
    if value is None:
        return None
    if not cond.baseline:
        return float(value)
    if not baseline or baseline.get(cond.metric) is None:
        return None
    return float(value) - float(baseline[cond.metric])


def fault_reason(rule: CueRule, stride: object, baseline: Mapping[str, float] | None, in_fault: bool) -> str | None:
    """Why the stride is at fault for `rule` (None when it is not)."""
    for way in rule.faults:
        values = [condition_value(c, stride, baseline) for c in way]
        if all(v is not None and c.holds(v, in_fault) for c, v in zip(way, values)):
            return "; ".join(describe(c, v) for c, v in zip(way, values))
    return None


def describe(cond: Condition, value: float | None) -> str:
    """e.g. "trunk_lean_midstance_deg -3.2 < 0 (vs baseline)"."""
    edge = f"< {cond.below:g}" if cond.below is not None else f"> {cond.above:g}"
    return f"{cond.metric} {value:+.2f} {edge}{' (vs baseline)' if cond.baseline else ''}"


class CueEngine:
    """`update(t, stride, baseline, active)` once per frame; returns the line to say now, if any.

    `stride` is the stride that ended at this frame (None on most frames), `baseline`
    the runner's calibrated values (None before calibration), `active` False while
    nobody is running in view (every fault then starts again from zero).
    """

    def __init__(
        self,
        rules: RuleSet,
        schedule: Schedule = "faded",
        min_gap_s: float = 4.0,
        banner_s: float = 4.0,
        fade: float = 1.5,
    ) -> None:
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
        self.rules = rules
        self.schedule = schedule
        self.min_gap_s = min_gap_s
        self.banner_s = banner_s
        self.fade = fade
        self.states = {r.id: RuleState() for r in rules.cues}
        self.decided: list[Cue] = []
        self._last_line_t: float | None = None

    @property
    def spoken(self) -> list[Cue]:
        """The lines said (or, in summary-only, that would have been said)."""
        return self.decided

    def update(
        self,
        t: float,
        stride: object | None = None,
        baseline: Mapping[str, float] | None = None,
        active: bool = True,
    ) -> Cue | None:
        """Advance to time `t`; judge `stride` when one ended; pick at most one line."""
        if not active:
            for state in self.states.values():
                state.restart()
            return None
        if stride is None:
            return None
        reasons = {r.id: self._judge(r, stride, baseline) for r in self.rules.cues if r.judges(stride)}
        if self._last_line_t is not None and t - self._last_line_t < self.min_gap_s:
            return None
        for rule in self.rules.cues:
            if self._due(rule, t):
                return self._say(t, rule.id, rule.text, rule.voice, reasons.get(rule.id) or "", rule)
        return self._praise(t)

    def banner(self, t: float) -> Cue | None:
        """The line to show on screen at `t`: the latest spoken one, for `banner_s` seconds."""
        if self.schedule == "summary-only" or not self.decided:
            return None
        last = self.decided[-1]
        return last if 0.0 <= t - last.t < self.banner_s else None

    def _judge(self, rule: CueRule, stride: object, baseline: Mapping[str, float] | None) -> str | None:
        state = self.states[rule.id]
        reason = fault_reason(rule, stride, baseline, state.in_fault)
        if reason is not None:
            state.bad_streak, state.good_streak = state.bad_streak + 1, 0
            state.in_fault = state.in_fault or state.bad_streak >= rule.persistence_strides
        else:
            state.bad_streak, state.good_streak = 0, state.good_streak + 1
            if state.in_fault and state.good_streak >= rule.clear_strides:
                state.in_fault = False
        return reason

    def _cooldown(self, rule: CueRule) -> float:
        times = self.states[rule.id].times_spoken
        factor = self.fade ** max(0, times - 1) if self.schedule == "faded" else 1.0
        return rule.cooldown_s * factor

    def _due(self, rule: CueRule, t: float) -> bool:
        state = self.states[rule.id]
        if not state.in_fault:
            return False
        return state.last_spoken is None or t - state.last_spoken >= self._cooldown(rule)

    def _praise(self, t: float) -> Cue | None:
        praise = self.rules.praise
        if praise is None:
            return None
        ready = [
            s for r in self.rules.cues
            if (s := self.states[r.id]).cued and not s.in_fault and s.good_streak >= praise.after_strides
        ]
        if not ready:
            return None
        for state in ready:
            state.cued = False
        last = next((c.t for c in reversed(self.decided) if c.id == praise.id), None)
        if last is not None and t - last < praise.cooldown_s:
            return None
        return self._say(t, praise.id, praise.text, praise.voice, "fault corrected", None)

    def _say(self, t: float, cue_id: str, text: str, voice: str, reason: str, rule: CueRule | None) -> Cue:
        if rule is not None:
            state = self.states[rule.id]
            state.last_spoken, state.times_spoken, state.cued = t, state.times_spoken + 1, True
        cue = Cue(t, cue_id, text, voice, spoken=self.schedule != "summary-only", reason=reason)
        self.decided.append(cue)
        self._last_line_t = t
        return cue
