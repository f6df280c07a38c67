"""What a session comes to, for the end-of-session screen (pure, from the record).

Every number is summary.json's (`SessionRecord.summary()`), so the screen, the report and the
history never disagree; the running time is `running_seconds` of the frames' own time stamps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.record.session import SessionRecord

SPARK_POINTS = 300


@dataclass(frozen=True)
class SessionDigest:
    """The few numbers and series the end-of-session screen shows.

    `measured`: the session held enough running for running metrics (summary.json's
    `running`); without it the share, cadence and hip extension are None and nothing is
    praised. `cues`: (t from the session's start, text, praise?) each. `hip_extension`:
    thigh extension per near-leg stride (°, negative behind vertical, as in strides.csv).
    """

    duration_s: float
    running_s: float
    measured: bool
    good_form_share: float | None
    cues: tuple[tuple[float, str, bool], ...]
    lean_series: tuple[float, ...]
    cue_marks: tuple[tuple[float, bool], ...]
    hip_extension: tuple[float, ...]
    hip_extension_median: float | None
    cadence_spm: float | None
    lean_median: float | None
    lean_band: tuple[float, float]


def digest(record: SessionRecord, lean_band: tuple[float, float], praise_id: str = "praise") -> SessionDigest:
    """Sum a session up from its summary.json. Good form is summary.json's `good_form` share:
    the strides the coach judged that no cue's fault held on (the report counts the same);
    cues with id `praise_id` are praise."""
    summary = record.summary()
    rows = record.rows
    measured = bool(summary["running"])
    near = [s for s in record.strides if s.near and s.trunk_lean_midstance_deg is not None]
    share = (summary.get("good_form") or {}).get("share")
    leans = [r.trunk_lean_deg for r in rows if r.trunk_lean_deg is not None]
    t0 = rows[0].t if rows else 0.0
    span = rows[-1].t - t0 if rows else 0.0
    hip = summary.get("hip_extension_deg") or {}
    lean = summary.get("trunk_lean_deg") or {}
    cues = tuple((c.t - t0, c.text, c.id == praise_id) for c in record.cues)
    return SessionDigest(
        duration_s=float(summary["duration_s"]),
        running_s=float(summary["running_s"]),
        measured=measured,
        good_form_share=share if measured else None,
        cues=cues,
        lean_series=tuple(downsample(leans, SPARK_POINTS)),
        cue_marks=tuple((t / span, praise) for t, _, praise in cues if span > 0),
        hip_extension=tuple(s.thigh_extension_deg for s in near if s.thigh_extension_deg is not None) if measured else (),
        hip_extension_median=hip.get("median") if measured else None,
        cadence_spm=summary["cadence_spm"],
        lean_median=lean.get("median"),
        lean_band=lean_band,
    )


def downsample(values: list[float], n: int) -> list[float]:
    """At most `n` values: means of equal chunks."""
    if len(values) <= n:
        return list(values)
    return [float(np.mean(chunk)) for chunk in np.array_split(np.asarray(values, dtype=float), n)]
