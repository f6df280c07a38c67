"""Per-stride metrics a physiotherapist would accept, measured when a stride ends.

`FrameBuffer` keeps the last few seconds of frames (pose and trunk lean); when the
`GaitTracker` closes a `Stride`, `measure_stride` reads that stride's frames back and
returns one `StrideMetrics`. `session_values` turns many strides into robust medians.

Stride timing (contact → toe-off → next contact, stride time `T`):

- **midstance**: halfway from contact to toe-off (20 % of the stride when the toe-off
  was not seen; the toe-off is then taken at 40 %);
- **late stance**: midstance → toe-off;
- **around toe-off**: midstance → toe-off + 15 % of the stride.

Conventions (docs/design.md): degrees; trunk lean + forward; thigh angle mid-hip→knee from
vertical, + forward (flexion), − behind (extension); shank angle knee→ankle from
vertical, + when the ankle is ahead of the knee; lengths in leg lengths (hip→knee→ankle
of the near leg, measured over the stride), so they hold at any image scale.

Values are read from the frames by linear interpolation, at contact (a peak of the heel
and shank signals) by a parabola through the three nearest frames; the thigh's
extension peak is refined by a parabola through the lowest sample and its neighbours.
A peak narrower than a frame is still under-read: see tests/test_stride_metrics.py for
the bias at 15, 30 and 60 fps.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Sequence, get_args, get_type_hints

import numpy as np

from realtime.analysis.gait import LEG_LANDMARKS, Leg, Stride
from realtime.analysis.posture import Facing, direction_sign
from realtime.core.pose import N_LANDMARKS, Pose
from realtime.core.pose import Landmark as L

MIDSTANCE_NO_TOE_OFF = 0.20  # midstance at this fraction of the stride without a toe-off
TOE_OFF_NO_TOE_OFF = 0.40  # assumed toe-off (end of late stance) without a toe-off
AFTER_TOE_OFF = 0.15  # the extension peak is sought up to toe-off + this fraction of T
MIN_POSE_FRAMES = 5  # fewer pose frames in a stride: no metrics
MIN_QUALITY = 0.5  # fewer than this share of the stride's frames with a pose: no metrics
MIN_COUPLING_RANGE_DEG = 3.0  # thigh travel needed in late stance for a coupling slope


def _round(value: Any, places: int) -> Any:
    if value is None or not isinstance(value, float):
        return value
    return round(value, places) if math.isfinite(value) else None


# --------------------------------------------------------------------------- frame buffer


@dataclass(frozen=True)
class FrameSeries:
    """Frames between two times, oldest first.

    Attributes:
        t: `(N,)` seconds, increasing.
        xy: `(N, 33, 2)` pixels; NaN where the frame had no pose.
        lean: `(N,)` trunk lean (degrees, + forward); NaN where not measured.
        max_gap_s: neighbours further apart than this are not interpolated between.
    """

    t: np.ndarray
    xy: np.ndarray
    lean: np.ndarray
    max_gap_s: float

    @property
    def has_pose(self) -> np.ndarray:
        """`(N,)` bool: the frame had a pose."""
        return np.isfinite(self.xy[:, 0, 0])

    def sample(self, values: np.ndarray, times: np.ndarray | float) -> np.ndarray:
        """Linear interpolation of per-frame `values` `(N,)` at `times` `(M,)` → `(M,)`.

        Only finite values are used; NaN outside them or across a gap > `max_gap_s`.
        """
        times = np.atleast_1d(np.asarray(times, dtype=float))
        ok = np.isfinite(values)
        ts, vs = self.t[ok], values[ok]
        out = np.full(times.shape, np.nan)
        if ts.size == 0:
            return out
        j = np.searchsorted(ts, times)  # ts[j-1] < time <= ts[j]
        exact = (j < ts.size) & (ts[np.minimum(j, ts.size - 1)] == times)
        out[exact] = vs[j[exact]]
        inner = (j > 0) & (j < ts.size) & ~exact
        lo, hi = j[inner] - 1, j[inner]
        close = ts[hi] - ts[lo] <= self.max_gap_s
        w = (times[inner] - ts[lo]) / (ts[hi] - ts[lo])
        out[np.flatnonzero(inner)[close]] = (vs[lo] + w * (vs[hi] - vs[lo]))[close]
        return out

    def sample_quadratic(self, values: np.ndarray, t: float) -> float:
        """Per-frame `values` `(N,)` at time `t` by a parabola through the finite sample
        nearest `t` and its two finite neighbours (all within `max_gap_s` of each other);
        linear `sample` when they are missing. Follows peaks (contact) better than a line.
        """
        ok = np.flatnonzero(np.isfinite(values))
        if ok.size >= 3:
            k = int(np.clip(np.argmin(np.abs(self.t[ok] - t)), 1, ok.size - 2))
            idx = ok[k - 1:k + 2]
            ts = self.t[idx]
            if ts[0] <= t <= ts[-1] and np.all(np.diff(ts) <= self.max_gap_s):
                return float(np.polyval(np.polyfit(ts - t, values[idx], 2), 0.0))
        return float(self.sample(values, t)[0])

    def between(self, values: np.ndarray, t0: float,
                t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Finite `values` of the frames strictly inside (t0, t1), plus the interpolated
        values at t0 and t1 (when defined): times `(K,)` and values `(K,)`."""
        inside = (self.t > t0) & (self.t < t1) & np.isfinite(values)
        ends = self.sample(values, np.array([t0, t1]))
        ts = np.concatenate([[t0], self.t[inside], [t1]])
        vs = np.concatenate([ends[:1], values[inside], ends[1:]])
        keep = np.isfinite(vs)
        return ts[keep], vs[keep]


class FrameBuffer:
    """The last `span_s` seconds of frames: `push(t, pose | None, trunk_lean_deg | None)`.

    `series(t0, t1)` returns the frames in [t0, t1] (plus one either side, for
    interpolation at the edges) as a `FrameSeries`.
    """

    def __init__(self, span_s: float = 3.0) -> None:
        if span_s <= 0:
            raise ValueError(f"span_s must be > 0, got {span_s}")
        self.span_s = span_s
        self._frames: deque[tuple[float, np.ndarray | None, float | None]] = deque()
        self._dts: deque[float] = deque(maxlen=31)

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def t_first(self) -> float | None:
        """Time of the oldest frame kept."""
        return self._frames[0][0] if self._frames else None

    @property
    def frame_dt(self) -> float | None:
        """Median frame interval (s) of the recent frames."""
        return float(np.median(self._dts)) if self._dts else None

    def push(self, t: float, pose: Pose | None, trunk_lean_deg: float | None) -> None:
        """Add one frame (pose None: nothing seen); frames older than `span_s` drop out."""
        if self._frames and t <= self._frames[-1][0]:
            return  # out of order or repeated: ignore
        if self._frames:
            self._dts.append(t - self._frames[-1][0])
        xy = None if pose is None else pose.xy
        lean = None if trunk_lean_deg is None or not math.isfinite(trunk_lean_deg) \
            else float(trunk_lean_deg)
        self._frames.append((float(t), xy, lean))
        while self._frames and self._frames[0][0] < t - self.span_s:
            self._frames.popleft()

    def series(self, t0: float, t1: float) -> FrameSeries:
        """Frames in [t0, t1] and the nearest one outside on each side."""
        ts = np.array([f[0] for f in self._frames])
        if ts.size:
            lo = max(int(np.searchsorted(ts, t0, side="left")) - 1, 0)
            hi = min(int(np.searchsorted(ts, t1, side="right")) + 1, ts.size)
        else:
            lo = hi = 0
        picked = list(self._frames)[lo:hi]
        xy = np.full((len(picked), N_LANDMARKS, 2), np.nan)
        lean = np.full(len(picked), np.nan)
        for i, (_, pxy, plean) in enumerate(picked):
            if pxy is not None:
                xy[i] = pxy
            if plean is not None:
                lean[i] = plean
        dt = self.frame_dt or 1.0 / 30.0
        return FrameSeries(ts[lo:hi].astype(float), xy, lean, max(0.1, 2.5 * dt))


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricSpec:
    """One row of the stride table: a `StrideMetrics` field and how it is written and read."""

    name: str
    words: str
    unit: str
    decimals: int
    sql_type: str
    summarised: bool  # a metric (session summary, calibration, cue rules) or an event


def _table_field(summarised: bool, words: str, unit: str, decimals: int, **kwargs: Any) -> Any:
    return field(metadata={"words": words, "unit": unit, "decimals": decimals, "summarised": summarised}, **kwargs)


def metric(words: str, unit: str = "", decimals: int = 3, **kwargs: Any) -> Any:
    """A `StrideMetrics` field that is a stride metric (summarised, calibrated, cue-able)."""
    return _table_field(True, words, unit, decimals, **kwargs)


def event(words: str, unit: str = "", decimals: int = 3, **kwargs: Any) -> Any:
    """A `StrideMetrics` field kept per stride only (the leg, its times, its pose share)."""
    return _table_field(False, words, unit, decimals, **kwargs)


def sql_type_of(hint: Any) -> str:
    """The SQL type of a field's type hint: bool INTEGER, float REAL, else TEXT."""
    if hint is bool:
        return "INTEGER"
    return "REAL" if float in (get_args(hint) or (hint,)) else "TEXT"


@dataclass(frozen=True)
class StrideMetrics:
    """One stride's metrics (None where the frames did not allow a value): the one table of
    stride metrics. Each field's `metric(...)` or `event(...)` entry gives how it reads in
    words, its unit, its decimals in strides.csv; its type hint gives the store's SQL type
    (`STRIDE_TABLE`). A `metric` is summarised per session, calibrated and may be read by a
    cue rule; an `event` is kept per stride only. Adding a metric is one field here plus its
    computation in `measure_stride`: strides.csv, the store (a column added on open), the
    report's words and the rules' validation follow from this table.

    Attributes:
        leg, near: the stride's leg and whether it is the camera-side leg.
        t_contact, t_toe_off, t_next_contact: the stride's events (s).
        cadence_spm: steps/min from this stride's time (both feet).
        contact_time_s: contact → toe-off (s).
        trunk_lean_midstance_deg: trunk lean at midstance (+ forward).
        thigh_extension_deg: most negative thigh angle of the leg around toe-off (the
            hip-extension proxy a side camera sees; more negative = more extension).
        trunk_back_excursion_deg: how far the trunk lean drops from midstance to its
            minimum in late stance (>= 0; large = the back extends as the leg goes back).
        extension_coupling: least-squares slope of trunk lean on thigh angle over late
            stance, deg/deg (+ = the trunk goes back as the thigh goes back).
        shank_angle_contact_deg: knee→ankle from vertical at contact, + ankle ahead.
        foot_ahead_of_hip: heel ahead of mid-hip at contact, leg lengths.
        vertical_oscillation: peak-to-peak mid-hip height over the stride, leg lengths.
        quality: share of the stride's frames that had a pose (0..1).
        thorax_pelvis_deg, pelvic_deg, lumbar_arch, rib_flare: the stride's medians of the
            back and rib-cage measures read from the outline (realtime/analysis/rib_cage.py), None
            without enough confident frames.
        rib_cage_quality: share of the stride's frames with a confident outline (0..1),
            None when the outline was not measured.
    """

    leg: Leg = event("leg")
    near: bool = event("camera-side leg")
    t_contact: float = event("contact", " s", 3)
    t_toe_off: float | None = event("toe-off", " s", 3)
    t_next_contact: float = event("next contact", " s", 3)
    cadence_spm: float = metric("cadence", " steps/min", 1)
    contact_time_s: float | None = metric("contact time", " s", 3)
    trunk_lean_midstance_deg: float | None = metric("trunk lean at midstance", "°", 2)
    thigh_extension_deg: float | None = metric("thigh angle at toe-off", "°", 2)
    trunk_back_excursion_deg: float | None = metric("trunk tipping back", "°", 2)
    extension_coupling: float | None = metric("trunk–thigh coupling", "", 3)
    shank_angle_contact_deg: float | None = metric("shank angle at contact", "°", 2)
    foot_ahead_of_hip: float | None = metric("foot ahead of hip", "", 3)
    vertical_oscillation: float | None = metric("vertical oscillation", "", 4)
    quality: float = event("frames with a pose", "", 3)
    thorax_pelvis_deg: float | None = metric("thorax–pelvis angle", "°", 2, default=None)
    pelvic_deg: float | None = metric("pelvic line", "°", 2, default=None)
    lumbar_arch: float | None = metric("lumbar arch", "", 4, default=None)
    rib_flare: float | None = metric("rib flare", "", 4, default=None)
    rib_cage_quality: float | None = metric("clear outline", "", 3, default=None)

    def as_row(self) -> dict[str, Any]:
        """One CSV row: every field, floats rounded, None (empty cell) where unknown."""
        return {k: _round(v, COLUMN_DECIMALS[k]) for k, v in asdict(self).items()}

    @classmethod
    def columns(cls) -> list[str]:
        """CSV header, in field order."""
        return [f.name for f in fields(cls)]


#: The stride table, in strides.csv's column order, read off `StrideMetrics`.
def _stride_table() -> tuple[MetricSpec, ...]:
    hints = get_type_hints(StrideMetrics)
    return tuple(
        MetricSpec(f.name, f.metadata["words"], f.metadata["unit"], f.metadata["decimals"], sql_type_of(hints[f.name]),
                   f.metadata["summarised"])
        for f in fields(StrideMetrics)
    )


STRIDE_TABLE: tuple[MetricSpec, ...] = _stride_table()
#: The stride metrics `session_values` summarises, the calibration learns and a cue rule may read.
METRICS: tuple[str, ...] = tuple(m.name for m in STRIDE_TABLE if m.summarised)
#: Decimal places of each strides.csv column (`StrideMetrics.as_row`).
COLUMN_DECIMALS: dict[str, int] = {m.name: m.decimals for m in STRIDE_TABLE}


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _angle_from_vertical(dx: np.ndarray, dy: np.ndarray, sign: float) -> np.ndarray:
    """Degrees of image vectors `(N,)` pointing down from vertical, + in the running
    direction (`sign` = `direction_sign(facing)`)."""
    return np.degrees(np.arctan2(sign * dx, dy))


def _refined_min(ts: np.ndarray, vs: np.ndarray) -> float | None:
    """Lowest value of a sampled signal `(K,)`, refined by a parabola through the lowest
    sample and its neighbours when it has one on each side; None when empty."""
    if vs.size == 0:
        return None
    i = int(np.argmin(vs))
    low = float(vs[i])
    if 0 < i < vs.size - 1:
        (t0, t1, t2), (y0, y1, y2) = ts[i - 1:i + 2], vs[i - 1:i + 2]
        c2, c1, c0 = np.polyfit([t0 - t1, 0.0, t2 - t1], [y0, y1, y2], 2)
        if c2 > 0:
            tau = float(np.clip(-c1 / (2 * c2), t0 - t1, t2 - t1))
            low = min(low, float(c0 + c1 * tau + c2 * tau * tau))
    return low


def _peak_to_peak_periodic(ts: np.ndarray, vs: np.ndarray, t0: float, period: float) -> float:
    """Peak-to-peak of the first two harmonics (of `period`) fitted to samples `(K,)`.

    Robust to noise and to where the frames fall (a sampled peak-to-peak under-reads by
    up to 1 - cos(pi / samples per cycle)). Falls back to max - min with < 7 samples.
    """
    if vs.size < 7:
        return float(np.ptp(vs))
    w = 2 * np.pi * (ts - t0) / period
    design = np.stack([np.ones_like(w), np.cos(w), np.sin(w), np.cos(2 * w), np.sin(2 * w)], 1)
    coef = np.linalg.lstsq(design, vs, rcond=None)[0]
    g = np.linspace(0.0, 2 * np.pi, 181)
    fit = np.stack([np.ones_like(g), np.cos(g), np.sin(g), np.cos(2 * g), np.sin(2 * g)], 1) @ coef
    return float(np.ptp(fit))


def _slope(xs: np.ndarray, ys: np.ndarray) -> float | None:
    """Least-squares slope of ys on xs; None with < 3 points or < MIN_COUPLING_RANGE_DEG."""
    if xs.size < 3 or np.ptp(xs) < MIN_COUPLING_RANGE_DEG:
        return None
    return float(np.polyfit(xs, ys, 1)[0])


def _stride_times(stride: Stride) -> tuple[float | None, float, float]:
    """(toe-off if seen inside the stride, end of late stance, midstance), seconds."""
    t_c, T = stride.t_contact, stride.duration
    toe_off = stride.t_toe_off
    if toe_off is None or not t_c < toe_off < stride.t_next_contact:
        return None, t_c + TOE_OFF_NO_TOE_OFF * T, t_c + MIDSTANCE_NO_TOE_OFF * T
    return toe_off, toe_off, (t_c + toe_off) / 2


def _leg_length(xy: np.ndarray, leg: Leg) -> float:
    """Median hip→knee→ankle length (px) of `leg` over frames `(N, 33, 2)`; NaN if none."""
    hip, knee, ankle = (xy[:, i] for i in LEG_LANDMARKS[leg][:3])
    lengths = np.linalg.norm(knee - hip, axis=1) + np.linalg.norm(ankle - knee, axis=1)
    lengths = lengths[np.isfinite(lengths)]
    return float(np.median(lengths)) if lengths.size else math.nan


def _late_stance(fs: FrameSeries, thigh: np.ndarray, t_mid: float,
                 t_end: float) -> tuple[float | None, float | None, float | None]:
    """(lean at midstance, trunk back excursion, extension coupling) over late stance."""
    lean_mid = _finite_or_none(float(fs.sample(fs.lean, t_mid)[0]))
    _, lean_late = fs.between(fs.lean, t_mid, t_end)
    excursion = None
    if lean_mid is not None and lean_late.size:
        excursion = max(0.0, lean_mid - float(lean_late.min()))
    both = np.isfinite(fs.lean) & np.isfinite(thigh)  # the same frames for both series
    _, thigh_late = fs.between(np.where(both, thigh, np.nan), t_mid, t_end)
    _, lean_paired = fs.between(np.where(both, fs.lean, np.nan), t_mid, t_end)
    return lean_mid, excursion, _slope(thigh_late, lean_paired)


def measure_stride(stride: Stride, buffer: FrameBuffer, facing: Facing) -> StrideMetrics | None:
    """Metrics of one finished stride from the buffered frames.

    None when the buffer no longer holds the stride's start, or when the stride has
    fewer than `MIN_POSE_FRAMES` pose frames or a pose in under `MIN_QUALITY` of them.
    """
    t_c, t_n, T = stride.t_contact, stride.t_next_contact, stride.duration
    first = buffer.t_first
    if T <= 0 or first is None or first > t_c:
        return None
    toe_off, t_late_end, t_mid = _stride_times(stride)
    fs = buffer.series(t_c, t_n)
    in_stride = (fs.t >= t_c) & (fs.t <= t_n)
    n_frames = int(in_stride.sum())
    n_pose = int((in_stride & fs.has_pose).sum())
    if n_frames == 0 or n_pose < MIN_POSE_FRAMES or n_pose / n_frames < MIN_QUALITY:
        return None
    near_leg: Leg = stride.leg if stride.near else ("right" if stride.leg == "left" else "left")
    leg_len = _leg_length(fs.xy[in_stride], near_leg)
    if not leg_len > 0:
        return None

    sign = direction_sign(facing)
    xy = fs.xy
    hip = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2  # (N, 2)
    _, knee_i, ankle_i, heel_i, _ = LEG_LANDMARKS[stride.leg]
    knee, ankle, heel = xy[:, knee_i], xy[:, ankle_i], xy[:, heel_i]
    thigh = _angle_from_vertical(*(knee - hip).T, sign)  # (N,)
    shank = _angle_from_vertical(*(ankle - knee).T, sign)
    heel_ahead = sign * (heel[:, 0] - hip[:, 0])

    lean_mid, excursion, coupling = _late_stance(fs, thigh, t_mid, t_late_end)
    extension = _refined_min(*fs.between(thigh, t_mid, t_late_end + AFTER_TOE_OFF * T))
    ts_hip, hip_y = fs.between(hip[:, 1], t_c, t_n)
    bounce = None
    if hip_y.size >= 3:
        bounce = _peak_to_peak_periodic(ts_hip, hip_y, t_c, T) / leg_len

    return StrideMetrics(
        leg=stride.leg,
        near=stride.near,
        t_contact=t_c,
        t_toe_off=toe_off,
        t_next_contact=t_n,
        cadence_spm=stride.cadence_spm,
        contact_time_s=None if toe_off is None else toe_off - t_c,
        trunk_lean_midstance_deg=lean_mid,
        thigh_extension_deg=extension,
        trunk_back_excursion_deg=excursion,
        extension_coupling=coupling,
        shank_angle_contact_deg=_finite_or_none(fs.sample_quadratic(shank, t_c)),
        foot_ahead_of_hip=_finite_or_none(fs.sample_quadratic(heel_ahead, t_c) / leg_len),
        vertical_oscillation=bounce,
        quality=n_pose / n_frames,
    )


# --------------------------------------------------------------------------- session


def session_values(strides: Sequence[StrideMetrics],
                   min_strides: int = 7) -> dict[str, dict[str, float] | None]:
    """Robust per-metric summary: {metric: {"median", "p10", "p90", "n"} | None}.

    Uses the near-leg strides when there are at least `min_strides` of them, all
    strides otherwise; a metric with fewer than `min_strides` values is None.
    """
    near = [s for s in strides if s.near]
    pool = near if len(near) >= min_strides else list(strides)
    out: dict[str, dict[str, float] | None] = {}
    for name in METRICS:
        vals = np.array([v for s in pool if (v := getattr(s, name)) is not None], dtype=float)
        vals = vals[np.isfinite(vals)]
        if vals.size < max(min_strides, 1):
            out[name] = None
            continue
        p10, med, p90 = np.percentile(vals, [10, 50, 90])
        out[name] = {"median": round(float(med), 4), "p10": round(float(p10), 4),
                     "p90": round(float(p90), 4), "n": int(vals.size)}
    return out


#: p10 to p90 of a normal distribution spans this many SDs (2 × 1.2816).
P10_P90_SDS = 2.5631
#: Fewest strides a spread is read from: p10 and p90 of fewer are too rough (on the shared
#: treadmill clip a 4 s calibration's 11 strides put the arch's spread at half the 8 s one's).
MIN_SPREAD_STRIDES = 12


def stride_spread(strides: Sequence[StrideMetrics], name: str, min_strides: int = MIN_SPREAD_STRIDES) -> float | None:
    """The metric's stride-to-stride SD over `strides` (both legs): (p90 − p10) / P10_P90_SDS,
    robust to a few outliers; None with fewer than `min_strides` values or no spread."""
    vals = np.array([v for s in strides if (v := getattr(s, name)) is not None], dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size < min_strides:
        return None
    p10, p90 = np.percentile(vals, [10, 90])
    return round(float(p90 - p10) / P10_P90_SDS, 5) or None


#: A stride whose cadence is this far from the recent median is a missed, a doubled or a
#: mistimed contact. Running strides vary by a few percent (CV of stride time 1–3 %; the
#: lab's strides all within ±3 %, the shared treadmill runner's within ±3.5 %), so 10 % is
#: three times the natural scatter; a contact a quarter of a stride late (a wrong peak of
#: the far leg's heel, the shared clip mirrored: 126 against 168 steps/min) is out.
MAX_CADENCE_DEVIATION = 0.10


def session_cadence_spm(strides: Sequence[StrideMetrics], min_strides: int = 7) -> float | None:
    """The session's cadence: steps over time, 120 / the mean stride time of the strides
    (both legs) within MAX_CADENCE_DEVIATION of the session's median; None with fewer than
    `min_strides`. The whole run judges each stride, the first ones too (live, a stride is
    judged against the strides before it, and the first have none).

    Not the median of the strides' cadences: a mistimed contact makes one stride short
    and the next long by the same amount, which the mean of their times cancels (the sum
    of a leg's consecutive strides is its first contact to its last), so timing noise
    enters once per run of strides instead of once per stride. Missed or doubled
    contacts are left out.
    """
    durations = np.array([s.t_next_contact - s.t_contact for s in strides], dtype=float)
    if durations.size < max(min_strides, 1):
        return None
    kept = durations[np.abs(durations / np.median(durations) - 1.0) <= MAX_CADENCE_DEVIATION]
    return round(120.0 / float(np.mean(kept)), 3)


def hip_extension_words(thigh_extension_deg: float | None) -> str:
    """Hip extension in the words the screen, the end screen and the report all use: "12° behind"
    (the thigh behind vertical at toe-off; `thigh_extension_deg` is negative behind), "3° in
    front" when it never got behind, "–" when not measured."""
    if thigh_extension_deg is None or not math.isfinite(thigh_extension_deg):
        return "–"
    behind = -thigh_extension_deg
    return f"{behind:.0f}° behind" if round(behind) >= 0 else f"{-behind:.0f}° in front"


def behind_stats(thigh: dict | None) -> dict | None:
    """Hip extension as every screen and page words it, "N° behind": the thigh's angle at toe-off
    (`thigh_extension_deg`, − behind vertical) turned round, so N is positive when the thigh goes
    behind vertical; p10 and p90 swap with the sign."""
    if not thigh or thigh.get("median") is None:
        return None
    flipped = {"median": -thigh["median"]}
    if thigh.get("p10") is not None and thigh.get("p90") is not None:
        flipped.update(p10=-thigh["p90"], p90=-thigh["p10"])
    return {**thigh, **flipped}
