"""One Euro filter (Casiez, Roussel & Vogel, CHI 2012), vectorised, time passed in.

The maths is two small pure functions; `OneEuroFilter` keeps the state and
`PoseSmoother` applies it to a pose's pixel landmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from realtime.core.pose import Pose


def smoothing_factor(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    """Exponential smoothing factor for a low-pass filter with `cutoff` Hz over `dt` s."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


def exponential_smoothing(alpha: np.ndarray | float, x: np.ndarray, x_prev: np.ndarray) -> np.ndarray:
    """One step of exponential smoothing."""
    return alpha * x + (1.0 - alpha) * x_prev


@dataclass(frozen=True)
class OneEuroParams:
    """min_cutoff (Hz) sets jitter at rest, beta (1/units) the lag at speed."""

    min_cutoff: float = 3.0
    beta: float = 0.01
    d_cutoff: float = 1.0


class OneEuroFilter:
    """A One Euro filter over arrays of any fixed shape.

    `update(t, x)` returns the filtered value; `x=None` (nothing this frame)
    returns None and keeps the state; a gap longer than `reset_after_s`
    restarts the filter from the next value.
    """

    def __init__(self, params: OneEuroParams | None = None, reset_after_s: float = 0.5) -> None:
        self.params = params or OneEuroParams()
        self.reset_after_s = reset_after_s
        self._t: float | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the past."""
        self._t = self._x = self._dx = None

    def update(self, t: float, x: np.ndarray | None) -> np.ndarray | None:
        """Filter value `x` observed at time `t` seconds."""
        if x is None:
            return None
        x = np.asarray(x, dtype=float)
        if self._t is None or self._x is None or t - self._t > self.reset_after_s or t <= self._t:
            self._t, self._x, self._dx = t, x.copy(), np.zeros_like(x)
            return x.copy()
        p = self.params
        dt = t - self._t
        dx = (x - self._x) / dt
        dx_hat = exponential_smoothing(smoothing_factor(dt, p.d_cutoff), dx, self._dx)
        cutoff = p.min_cutoff + p.beta * np.abs(dx_hat)
        x_hat = exponential_smoothing(smoothing_factor(dt, cutoff), x, self._x)
        self._t, self._x, self._dx = t, x_hat, dx_hat
        return x_hat.copy()


class PoseSmoother:
    """One Euro smoothing of a pose's pixel landmarks; `update(t, None)` passes a gap."""

    def __init__(self, params: OneEuroParams | None = None) -> None:
        self._filter = OneEuroFilter(params)

    def update(self, t: float, pose: Pose | None) -> Pose | None:
        """The smoothed pose, or None when there is no pose this frame."""
        if pose is None:
            return None
        return pose.with_xy(self._filter.update(t, pose.xy))
