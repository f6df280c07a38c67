"""When to speak: the cue engine, pure and driven by the time it is given.

Each rule watches one metric through a rolling median (so one stride phase or a
noisy frame never decides), must see it out of band for `persistence_s`,
clears only with hysteresis, and never repeats inside its cooldown. Only one
line is spoken at a time: the most important due rule first, and never two
lines closer than `min_gap_s`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from cues.rules import CueRule


@dataclass(frozen=True)
class Cue:
    """A coaching line spoken at time `t` (seconds)."""

    t: float
    id: str
    text: str
    voice: str


@dataclass
class RuleState:
    """What one rule remembers between frames."""

    window: deque = field(default_factory=deque)
    fault_since: float | None = None
    in_fault: bool = False
    last_spoken: float | None = None


def rolling_median(window: deque, t: float, span_s: float, min_samples: int = 5) -> float | None:
    """Median of the (t, value) pairs in `window` once they cover most of `span_s`."""
    if len(window) < min_samples or t - window[0][0] < 0.8 * span_s:
        return None
    return float(np.median([v for _, v in window]))


class CueEngine:
    """`update(t, metrics, active)` once per frame; returns the cue to speak now, if any.

    `metrics` maps metric names to values (None: not measurable this frame);
    `active=False` (nobody running in view) keeps every rule silent.
    """

    def __init__(self, rules: list[CueRule], min_gap_s: float = 4.0, banner_s: float = 4.0) -> None:
        self.rules = sorted(rules, key=lambda r: r.priority)
        self.min_gap_s = min_gap_s
        self.banner_s = banner_s
        self.states = {r.id: RuleState() for r in self.rules}
        self.spoken: list[Cue] = []

    def update(self, t: float, metrics: Mapping[str, float | None], active: bool = True) -> Cue | None:
        """Advance every rule to time `t` and pick at most one line to speak."""
        due = [r for r in self.rules if self._advance(r, t, metrics.get(r.metric), active)]
        if not due or not self._voice_free(t):
            return None
        rule = due[0]
        cue = Cue(t=t, id=rule.id, text=rule.text, voice=rule.voice)
        self.states[rule.id].last_spoken = t
        self.spoken.append(cue)
        return cue

    def banner(self, t: float) -> Cue | None:
        """The cue to show on screen at `t`: the latest one, for `banner_s` seconds."""
        if self.spoken and 0.0 <= t - self.spoken[-1].t < self.banner_s:
            return self.spoken[-1]
        return None

    def _voice_free(self, t: float) -> bool:
        return not self.spoken or t - self.spoken[-1].t >= self.min_gap_s

    def _advance(self, rule: CueRule, t: float, value: float | None, active: bool) -> bool:
        """Update one rule's state; True when it is due to speak."""
        state = self.states[rule.id]
        window = state.window
        if value is not None and active:
            window.append((t, value))
        while window and window[0][0] < t - rule.window_s:
            window.popleft()
        rolling = rolling_median(window, t, rule.window_s) if active else None
        if rolling is None:
            state.fault_since, state.in_fault = None, False
            return False
        if rule.outside(rolling):
            state.fault_since = state.fault_since if state.fault_since is not None else t
        elif rule.back_inside(rolling):
            state.fault_since, state.in_fault = None, False
        if state.fault_since is None or t - state.fault_since < rule.persistence_s:
            return False
        state.in_fault = True
        return state.last_spoken is None or t - state.last_spoken >= rule.cooldown_s
