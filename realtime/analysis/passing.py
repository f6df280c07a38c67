"""Someone walking past is not the runner: a gate over time, after the per-frame one.

A plausible upright person (`plausibility`) may still be nobody to coach: a gym member
walking behind the treadmill, a partner crossing the room. A runner on a treadmill stays
where the belt holds them; a person walking past crosses the view. `PlaceWatch` follows
the mid-hip point of the plausible poses and calls a person *walking past* while their
steady speed across the image lies in the walking range; such a person is treated as nobody
in view, as the per-frame gate does. A person is measured once they have been seen in
place for `min_span_s`.

Each bound, and where its number comes from (speeds in trunk lengths per second, the
trunk being mid-hip → mid-shoulder, so the bounds hold at any distance and resolution):

- `window_s` 1.0, `min_span_s` 0.5: the speed is the Theil–Sen slope (the median of the
  slopes between every two samples) of the mid-hip's x over the last second: a stride at
  the slowest walk (90 steps/min) takes 1.3 s, so a second holds most of one, and the
  median ignores a few frames where the model jumps to another person. Half a second of
  history keeps the pose model's jitter well inside the lower bound: on the shared
  treadmill clips the speed never passes 0.17 trunk lengths/s over half a second or more
  (0.36 over 0.3 s).
- `min_speed` 0.5: about 0.25 m/s for a 0.5 m trunk (0.288 × a 1.75 m body, Winter's
  tables) — three times the treadmill clips' highest, and half the slowest walk people
  keep up (about 0.5 m/s, a frail walker; a healthy adult's comfortable walk is 1.2–1.4 m/s,
  the shared clip `walk_side.mp4` 2.2–3.0 trunk lengths/s).
- `max_speed` 4.0: the walk-to-run transition, about 2.0 m/s (Hreljac 1993, *Preferred and
  energetically optimal gait transition speeds in human locomotion*; Thorstensson and
  Roberthson 1987: 1.9–2.1 m/s) over the same 0.5 m trunk. Faster than that people run:
  a runner filmed crossing the view outdoors (`run_grass_short.mp4`, 7.5 trunk lengths/s)
  is still measured as the runner he is.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from realtime.analysis.plausibility import trunk_px
from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

Placement = Literal["in_place", "settling", "walking_past"]


@dataclass(frozen=True)
class PassingBounds:
    """The gate's bounds (see the module doc for where each comes from)."""

    window_s: float = 1.0
    min_span_s: float = 0.5
    min_speed: float = 0.5
    max_speed: float = 4.0


DEFAULT_PASSING = PassingBounds()


def theil_sen_slope(t: np.ndarray, x: np.ndarray) -> float:
    """The median of the slopes between every two samples (robust to a few outliers)."""
    i, j = np.triu_indices(len(t), 1)
    dt = t[j] - t[i]
    ok = dt > 0
    return float(np.median((x[j] - x[i])[ok] / dt[ok])) if ok.any() else 0.0


class PlaceWatch:
    """`update(t, pose | None) -> Placement`, once per frame, with the plausible pose (or None)."""

    def __init__(self, bounds: PassingBounds = DEFAULT_PASSING) -> None:
        self.bounds = bounds
        self._samples: deque[tuple[float, float, float]] = deque()  # t, mid-hip x, trunk px

    def update(self, t: float, pose: Pose | None) -> Placement:
        """Where the person stands now: in place, not seen long enough yet, or walking past."""
        b = self.bounds
        while self._samples and (t - self._samples[0][0] > b.window_s or t < self._samples[0][0]):
            self._samples.popleft()
        if pose is None:
            return "settling"
        hip_x = float(pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)[0])
        self._samples.append((t, hip_x, trunk_px(pose)))
        if t - self._samples[0][0] < b.min_span_s:
            return "settling"
        ts, xs, trunks = (np.array(column) for column in zip(*self._samples))
        speed = abs(theil_sen_slope(ts, xs)) / max(float(np.median(trunks)), 1.0)  # trunk lengths/s
        return "walking_past" if b.min_speed <= speed < b.max_speed else "in_place"
