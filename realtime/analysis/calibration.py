"""The runner's own baseline, learned from the first stretch of steady running.

`Calibration.update(t, stride_metrics | None, running)` is called every frame (with the
`StrideMetrics` of a stride that just ended, or None). Strides are collected while the
runner runs; a stop (`running` False) or more than `max_gap_s` without a stride starts
the stretch again. Strides that are clear absolute faults (the trunk more upright
than the `ribs_down` border at midstance) are skipped, so an arching episode is never learned as normal; they still
count as strides for the gap rule (the runner is running, only badly).

Once the collected strides span `duration_s` (from the first stride's contact to the
latest frame time) and hold at least `min_strides` strides, the stretch must be steady:
p90 − p10 of the strides' midstance trunk leans at most `max_lean_spread_deg`. If it is
not, the oldest strides are dropped until it is, and collection goes on. A steady
stretch freezes `baseline`: the median of each metric (`session_values`, near leg
preferred) plus `t_start`, `t_end`, `n_strides` and `spread` (each metric's stride-to-stride
SD over the stretch's strides of both legs, `stride_spread`: how finely this runner, camera
and clothing measure it). It never
changes afterwards.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from realtime.analysis.stride_metrics import METRICS, StrideMetrics, session_values, stride_spread


def _json_float(value: Any, places: int = 4) -> Any:
    """Round floats for JSON; NaN / inf become None."""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return round(value, places) if math.isfinite(value) else None
    return value


class Calibration:
    """Learns the baseline metrics of the first `duration_s` of steady running.

    Args:
        duration_s: seconds of steady running to learn from.
        min_strides: strides needed (also per metric, see `session_values`).
        max_gap_s: longer than this without a stride resets the stretch.
        max_lean_spread_deg: p90 − p10 of the strides' trunk leans allowed for "steady".
    """

    def __init__(self, duration_s: float = 20.0, min_strides: int = 7, *,
                 max_gap_s: float = 3.0, max_lean_spread_deg: float = 6.0) -> None:
        if duration_s <= 0 or min_strides < 1:
            raise ValueError("duration_s must be > 0 and min_strides >= 1")
        self.duration_s = duration_s
        self.min_strides = min_strides
        self.max_gap_s = max_gap_s
        self.max_lean_spread_deg = max_lean_spread_deg
        self._strides: list[StrideMetrics] = []
        self._last_stride_t: float | None = None  # latest stride seen (kept or skipped)
        self._t: float | None = None
        self._baseline: dict[str, Any] | None = None

    # ---------------------------------------------------------------- state

    @property
    def ready(self) -> bool:
        """True once the baseline is frozen."""
        return self._baseline is not None

    @property
    def baseline(self) -> dict[str, Any] | None:
        """{metric: median | None for each of METRICS, "t_start", "t_end", "n_strides",
        "spread": {metric: SD | None}}, or None before ready."""
        return None if self._baseline is None else dict(self._baseline)

    @property
    def elapsed_s(self) -> float:
        """Seconds of the current stretch (0 when none)."""
        if self.ready:
            return self.duration_s
        if not self._strides or self._t is None:
            return 0.0
        return max(0.0, self._t - self._strides[0].t_contact)

    @property
    def progress(self) -> float:
        """0..1 of the way to a baseline (1 once ready)."""
        return 1.0 if self.ready else min(1.0, self.elapsed_s / self.duration_s)

    @property
    def remaining_s(self) -> float:
        """Seconds of steady running still needed (0 once ready)."""
        return 0.0 if self.ready else max(0.0, self.duration_s - self.elapsed_s)

    @property
    def n_strides(self) -> int:
        """Strides collected in the current stretch (or in the baseline once ready)."""
        return int(self._baseline["n_strides"]) if self._baseline else len(self._strides)

    # ---------------------------------------------------------------- update

    def reset(self) -> None:
        """Forget the stretch and any baseline (start calibrating again)."""
        self._strides.clear()
        self._last_stride_t = None
        self._baseline = None

    def update(self, t: float, stride_metrics: StrideMetrics | None, running: bool) -> None:
        """Feed one frame: the metrics of a stride that ended now (or None), and whether
        the runner is running."""
        self._t = t
        if self.ready:
            return
        if not running:
            self._restart()
            return
        if self._last_stride_t is not None and t - self._last_stride_t > self.max_gap_s:
            self._restart()
        if stride_metrics is None:
            return
        self._last_stride_t = t
        if is_fault(stride_metrics):
            return
        self._strides.append(stride_metrics)
        self._try_freeze(t)

    def _restart(self) -> None:
        self._strides.clear()
        self._last_stride_t = None

    def _try_freeze(self, t: float) -> None:
        if self.elapsed_s < self.duration_s or len(self._strides) < self.min_strides:
            return
        while len(self._strides) >= self.min_strides and not self._steady(self._strides):
            self._strides.pop(0)
        if self.elapsed_s < self.duration_s or len(self._strides) < self.min_strides:
            return
        values = session_values(self._strides, self.min_strides)
        base: dict[str, Any] = {name: (v["median"] if v else None) for name, v in values.items()}
        base.update(t_start=self._strides[0].t_contact, t_end=t, n_strides=len(self._strides),
                    spread={name: stride_spread(self._strides, name) for name in METRICS})
        self._baseline = base

    def _steady(self, strides: list[StrideMetrics]) -> bool:
        leans = [s.trunk_lean_midstance_deg for s in strides
                 if s.trunk_lean_midstance_deg is not None]
        if len(leans) < self.min_strides:
            return False
        p10, p90 = np.percentile(leans, [10, 90])
        return bool(p90 - p10 <= self.max_lean_spread_deg)

    # ---------------------------------------------------------------- output

    def relative(self, metrics: StrideMetrics) -> dict[str, float]:
        """Each metric minus its baseline (metrics unknown on either side are left out;
        empty before ready)."""
        if self._baseline is None:
            return {}
        out: dict[str, float] = {}
        for name in METRICS:
            value, base = getattr(metrics, name), self._baseline.get(name)
            if value is not None and base is not None:
                out[name] = float(value) - float(base)
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-safe dict for summary.json: ready, duration_s, t_start, t_end, n_strides,
        each baseline metric (None before ready or when unknown) and `spread`."""
        base = self._baseline or {}
        out: dict[str, Any] = {
            "ready": self.ready,
            "duration_s": _json_float(self.duration_s, 3),
            "t_start": _json_float(base.get("t_start"), 3),
            "t_end": _json_float(base.get("t_end"), 3),
            "n_strides": int(base.get("n_strides", 0)),
        }
        out.update({name: _json_float(base.get(name)) for name in METRICS})
        spread = base.get("spread") or {}
        out["spread"] = {name: _json_float(spread.get(name), 5) for name in METRICS}
        return out


#: A stride more upright than this at midstance (degrees, + forward) is never learned as
#: normal: the border of the `ribs_down` cue's absolute way (cues/rules.toml, where the
#: figure comes from).
UPRIGHT_LEAN_DEG = 1.5


def is_fault(metrics: StrideMetrics) -> bool:
    """A stride never learned as normal: the trunk more upright than UPRIGHT_LEAN_DEG at midstance."""
    lean = metrics.trunk_lean_midstance_deg
    return lean is not None and lean < UPRIGHT_LEAN_DEG
