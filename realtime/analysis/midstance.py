"""Running or walking from the mechanics: where the hips are when the feet pass each other.

Running is a bouncing gait (the spring-mass model): the body is lowest at midstance, when
the leg is most compressed. Walking is the inverted pendulum: the body vaults over a stiff
leg and is highest at midstance (Cavagna, Thys & Zamboni 1976; Farley & Ferris 1998). The
sign of the hips' height at midstance tells the two gaits apart whatever the cadence — a
jog at 110 steps/min and a brisk walk at 130 overlap in cadence, not in this sign.

Midstance, seen from the side: the swing foot passes the stance foot about halfway
through the stance, once a step. So a midstance is a minimum of the fore-aft distance
between the two ankles, `|x_a − x_b|`, that rises by `MIN_RISE` leg lengths on both sides
within a step. The distance needs neither the legs' labels (MediaPipe swaps them most
easily exactly when the ankles cross) nor the facing, nor where the model puts the hip.

The hip phase of one midstance is the hips' image height there against the middle of
their range over ±`HIP_WINDOW_S`, as a share of half that range: +1 when the hips are at
their lowest (running), −1 at their highest (walking). Pure, numpy only; a midstance is
reported `HIP_WINDOW_S` after it happened.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

#: Half-width (s) of the windows around a midstance: the hips bounce once a step, so the
#: window must hold one whole step at the slowest gait seen: 2 × 0.3 s, 100 steps/min.
HIP_WINDOW_S = 0.3
#: Two midstances are at least this far apart (s): half the shortest step coached
#: (240 steps/min, 0.25 s).
MIN_GAP_S = 0.12
#: The ankles must part by this many leg lengths on both sides of a crossing: standing
#: sway and landmark jitter stay far below it, the slowest lab walk (95 steps/min) parts
#: the feet by 0.5.
MIN_RISE = 0.15
#: The sign of the median hip phase is the physics; this margin keeps landmark noise from
#: deciding: on the lab's full suite a clip's median reads +0.49..+0.98 running and
#: −0.78..−0.89 walking (single midstances scatter by about ±0.3 around it), so a median
#: inside ±0.1 is undecided.
MARGIN = 0.1
#: The fewest midstances that decide: three steps.
MIN_MIDSTANCES = 3
#: Midstances in the median: six steps, three strides (about 2 s at 170 steps/min).
MIDSTANCES = 6


@dataclass(frozen=True)
class Midstance:
    """The feet passing each other at `t` (s), with the hips' phase there (−1..+1)."""

    t: float
    hip_phase: float


class MidstanceTracker:
    """`update(t, ankle_gap, hip_y)` once per frame → the midstances confirmed now.

    `ankle_gap` is the fore-aft distance between the ankles in leg lengths (None: no
    pose); `hip_y` the mid-hip's image height (any unit, + down).
    """

    def __init__(self) -> None:
        self._t: deque[float] = deque()
        self._gap: deque[float] = deque()
        self._hip: deque[float] = deque()
        self._judged = 0
        self._last: float | None = None

    def update(self, t: float, ankle_gap: float | None, hip_y: float | None) -> list[Midstance]:
        """Add one frame; return the midstances whose windows are now complete, oldest first."""
        if ankle_gap is not None and hip_y is not None and np.isfinite(ankle_gap) and np.isfinite(hip_y):
            self._t.append(t)
            self._gap.append(abs(ankle_gap))
            self._hip.append(hip_y)
        found = []
        while self._judged < len(self._t) and self._t[self._judged] <= t - HIP_WINDOW_S:
            midstance = self._judge(self._judged)
            self._judged += 1
            if midstance is not None:
                found.append(midstance)
        self._prune(t)
        return found

    def _judge(self, i: int) -> Midstance | None:
        ts, gaps = np.asarray(self._t), np.asarray(self._gap)
        ti, gi = ts[i], gaps[i]
        close = np.abs(ts - ti) <= MIN_GAP_S
        if gi > gaps[close].min() or (self._last is not None and ti - self._last < MIN_GAP_S):
            return None
        before = (ts >= ti - HIP_WINDOW_S) & (ts < ti)
        after = (ts > ti) & (ts <= ti + HIP_WINDOW_S)
        if not before.any() or not after.any():
            return None
        if gaps[before].max() - gi < MIN_RISE or gaps[after].max() - gi < MIN_RISE:
            return None
        phase = hip_phase(ts, np.asarray(self._hip), ti)
        if phase is None:
            return None
        self._last = ti
        return Midstance(float(ti), phase)

    def _prune(self, now: float) -> None:
        while self._t and self._t[0] < now - 3 * HIP_WINDOW_S and self._judged > 0:
            self._t.popleft()
            self._gap.popleft()
            self._hip.popleft()
            self._judged -= 1


def hip_phase(ts: np.ndarray, hip_y: np.ndarray, tc: float) -> float | None:
    """The hips' height at `tc` against their range over ±HIP_WINDOW_S: +1 at the lowest
    (image y largest), −1 at the highest; None with too few samples or no movement."""
    near = np.abs(ts - tc) <= HIP_WINDOW_S
    if near.sum() < 5:
        return None
    ys = hip_y[near]
    lo, hi = float(ys.min()), float(ys.max())
    if hi - lo <= 1e-9:
        return None
    y = float(np.interp(tc, ts[near], ys))
    return (y - (hi + lo) / 2) / ((hi - lo) / 2)


def gait_from_hip_phases(phases: Sequence[float]) -> Literal["running", "walking", "unknown"]:
    """Running or walking from the median hip phase of the last `MIDSTANCES` midstances
    (oldest first); unknown with fewer than `MIN_MIDSTANCES` or a median within ±`MARGIN`."""
    if len(phases) < MIN_MIDSTANCES:
        return "unknown"
    phase = float(np.median(phases[-MIDSTANCES:]))
    if phase > MARGIN:
        return "running"
    if phase < -MARGIN:
        return "walking"
    return "unknown"
