"""When to speak: the cue engine, decided once per stride and driven by the time it is given.

Each rule (cues/rules.toml) looks at every stride of the near leg (or of both legs, for
the trunk, which both legs' strides see alike). A fault must hold
for `persistence_strides` strides in a row before its line is due, and is gone only
after `clear_strides` good strides in a row (with the hysteresis of each condition),
so a single noisy stride never speaks. Lines are spoken one at a time, the most
important first, never closer than `min_gap_s` and never inside their cooldown.
Baseline-relative faults count only once calibration is done.

Streaks: on a stride each way of a rule holds, fails (a known value is in band) or is
unknown (a value is missing and no known value is in band). Each way keeps its own streak
(holds: +1, fails: back to 0, unknown: as is) and puts the rule at fault when it reaches
the way's `persistence_strides` (the rule's, unless the way sets its own). The ways without
their own persistence also share one streak, strides in a row where any of them holds (the
rule's single streak from before ways had their own), against the rule's persistence. The
stride is good (towards clearing) when no way holds and some way is known; a stride where
every way is unknown changes nothing.

Feedback schedules (motor-learning evidence, README "Feedback schedule"):
- `full`: every due line is spoken (bandwidth feedback: only outside the band);
- `faded`: the same, but each repeat of a line waits `fade` times longer than the last;
- `summary-only`: nothing is said or shown during the run; the cues are still decided
  and listed in the summary (`spoken: false`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

from cues.rules import Condition, CueRule, RuleSet, Way

Schedule = Literal["full", "faded", "summary-only"]
SCHEDULES: tuple[Schedule, ...] = ("full", "faded", "summary-only")

Status = Literal["holds", "fails", "unknown"]

#: The key of the streak shared by the ways without their own persistence (RuleState.streaks).
SHARED = -1


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

    streaks: dict[int, int] = field(default_factory=dict)  # bad strides in a row: by way index, and SHARED
    good_streak: int = 0
    in_fault: bool = False
    cued: bool = False  # its line was said during the current fault (praise may follow)
    last_spoken: float | None = None
    times_spoken: int = 0

    @property
    def bad_streak(self) -> int:
        """The longest bad streak (with no per-way persistence and no missing values: the shared one)."""
        return max(self.streaks.values(), default=0)

    def restart(self) -> None:
        """Forget the streaks (the runner stopped or left); cooldowns are kept."""
        self.streaks.clear()
        self.good_streak = 0
        self.in_fault = self.cued = False


def condition_value(cond: Condition, stride: object, baseline: Mapping[str, float] | None) -> float | None:
    """The value a condition reads from a stride: absolute, relative to the baseline, or
    that in the baseline's spreads, at least `min_spread` (None when a spread is unknown or zero)."""
    value = getattr(stride, cond.metric, None)
    if value is None:
        return None
    if not cond.baseline:
        return float(value)
    if not baseline or baseline.get(cond.metric) is None:
        return None
    diff = float(value) - float(baseline[cond.metric])
    if not cond.spreads:
        return diff
    spread = (baseline.get("spread") or {}).get(cond.metric)
    return diff / max(float(spread), cond.min_spread) if spread else None


def way_status(way: Way, values: Sequence[float | None], in_fault: bool) -> Status:
    """The way on one stride: fails when a known value is in band, else unknown when a value
    is missing, else holds."""
    if any(v is not None and not c.holds(v, in_fault) for c, v in zip(way, values)):
        return "fails"
    return "unknown" if any(v is None for v in values) else "holds"


def judge_ways(
    rule: CueRule, stride: object, baseline: Mapping[str, float] | None, in_fault: bool
) -> list[tuple[Way, Status, list[float | None]]]:
    """Each way of `rule` on `stride`: the way, its status and the values it read."""
    judged = []
    for way in rule.faults:
        values = [condition_value(c, stride, baseline) for c in way]
        judged.append((way, way_status(way, values, in_fault), values))
    return judged


def fault_reason(rule: CueRule, stride: object, baseline: Mapping[str, float] | None, in_fault: bool) -> str | None:
    """Why the stride is at fault for `rule`: the first way that holds (None when none does)."""
    return _reason(judge_ways(rule, stride, baseline, in_fault))


def _reason(judged: Sequence[tuple[Way, Status, list[float | None]]]) -> str | None:
    for way, status, values in judged:
        if status == "holds":
            return "; ".join(describe(c, v) for c, v in zip(way, values))
    return None


def streak_groups(rule: CueRule, statuses: Sequence[Status]) -> list[tuple[int, int, Status]]:
    """(key, persistence, status) of each streak of `rule` on a stride, given each way's status:
    one per way (key: its index), and the shared one of the ways without their own persistence."""
    groups = [(i, rule.way_persistence(way), s) for i, (way, s) in enumerate(zip(rule.faults, statuses))]
    shared = [s for way, s in zip(rule.faults, statuses) if way.persistence_strides is None]
    if shared:
        groups.append((SHARED, rule.persistence_strides, combine(shared)))
    return groups


def combine(statuses: Sequence[Status]) -> Status:
    """The status of ways sharing one streak: any holds, else any fails, else unknown."""
    for status in ("holds", "fails"):
        if status in statuses:
            return status
    return "unknown"


def next_streak(streak: int, status: Status) -> int:
    """A streak after one stride: longer when its ways hold, 0 when they fail, as is when unknown."""
    return streak + 1 if status == "holds" else 0 if status == "fails" else streak


def describe(cond: Condition, value: float | None) -> str:
    """e.g. "trunk_lean_midstance_deg -3.2 < 0 (vs baseline)"."""
    edge = f"< {cond.below:g}" if cond.below is not None else f"> {cond.above:g}"
    against = " (SDs over baseline)" if cond.spreads else " (vs baseline)" if cond.baseline else ""
    return f"{cond.metric} {value:+.2f} {edge}{against}"


def _stride_list(strides: object | Sequence[object] | None) -> list[object]:
    """The strides `update` was given: none, one, or a list (or tuple) of them."""
    if strides is None:
        return []
    return list(strides) if isinstance(strides, (list, tuple)) else [strides]


class CueEngine:
    """`update(t, strides, baseline, active)` once per frame; returns the line to say now, if any.

    `strides` are the strides that ended at this frame (none on most frames; one stride
    alone may be given as itself), all judged before a line is picked; `baseline`
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
    def in_fault(self) -> frozenset[str]:
        """The cues whose fault holds now (from its persistence until it clears)."""
        return frozenset(rule_id for rule_id, state in self.states.items() if state.in_fault)

    @property
    def spoken(self) -> list[Cue]:
        """The lines said (or, in summary-only, that would have been said)."""
        return self.decided

    def update(
        self,
        t: float,
        strides: object | Sequence[object] | None = None,
        baseline: Mapping[str, float] | None = None,
        active: bool = True,
    ) -> Cue | None:
        """Advance to time `t`; judge the stride (or each of a list of strides) that ended
        at this frame, then pick at most one line."""
        if not active:
            for state in self.states.values():
                state.restart()
            return None
        ended = _stride_list(strides)
        if not ended:
            return None
        reasons: dict[str, str | None] = {}
        for stride in ended:
            for rule in self.rules.cues:
                if rule.judges(stride):
                    reasons[rule.id] = self._judge(rule, stride, baseline) or reasons.get(rule.id)
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
        judged = judge_ways(rule, stride, baseline, state.in_fault)
        for key, persistence, status in streak_groups(rule, [s for _, s, _ in judged]):
            state.streaks[key] = next_streak(state.streaks.get(key, 0), status)
            if status == "holds" and state.streaks[key] >= persistence:
                state.in_fault = True
        self._count_good(rule, state, combine([s for _, s, _ in judged]))
        return _reason(judged)

    @staticmethod
    def _count_good(rule: CueRule, state: RuleState, status: Status) -> None:
        """The good streak after a stride whose ways, taken together, have `status`."""
        if status == "unknown":
            return
        state.good_streak = 0 if status == "holds" else state.good_streak + 1
        if state.in_fault and state.good_streak >= rule.clear_strides:
            state.in_fault = False

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
