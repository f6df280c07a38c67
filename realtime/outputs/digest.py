"""What a session comes to, for the end-of-session screen (pure, from the record)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.record.session import SessionRecord, running_seconds

SPARK_POINTS = 300


@dataclass(frozen=True)
class SessionDigest:
    """The few numbers and series the end-of-session screen shows."""

    duration_s: float
    running_s: float
    good_form_share: float | None
    cues: tuple[tuple[float, str], ...]
    lean_series: tuple[float, ...]
    cue_marks: tuple[float, ...]
    hip_extension: tuple[float, ...]
    cadence_spm: float | None
    lean_median: float | None
    lean_band: tuple[float, float]


def digest(record: SessionRecord, lean_band: tuple[float, float]) -> SessionDigest:
    """Sum a session up: time in good form is the share of running strides in `lean_band`
    (the good band of trunk lean at midstance the cue rules hold runners to, °)."""
    rows = record.rows
    duration = rows[-1].t - rows[0].t if rows else 0.0
    running_s = running_seconds(rows)
    near = [s for s in record.strides if s.near and s.trunk_lean_midstance_deg is not None]
    good = [lean_band[0] <= s.trunk_lean_midstance_deg <= lean_band[1] for s in near]
    leans = [r.trunk_lean_deg for r in rows if r.trunk_lean_deg is not None]
    t0 = rows[0].t if rows else 0.0
    summary = record.running_summary()
    return SessionDigest(
        duration_s=duration,
        running_s=running_s,
        good_form_share=float(np.mean(good)) if good else None,
        cues=tuple((c.t, c.text) for c in record.cues),
        lean_series=tuple(downsample(leans, SPARK_POINTS)),
        cue_marks=tuple((c.t - t0) / duration for c in record.cues if duration > 0),
        hip_extension=tuple(s.thigh_extension_deg for s in near if s.thigh_extension_deg is not None),
        cadence_spm=summary["cadence_spm"],
        lean_median=float(np.median(leans)) if leans else None,
        lean_band=lean_band,
    )


def downsample(values: list[float], n: int) -> list[float]:
    """At most `n` values: means of equal chunks."""
    if len(values) <= n:
        return list(values)
    return [float(np.mean(chunk)) for chunk in np.array_split(np.asarray(values, dtype=float), n)]
