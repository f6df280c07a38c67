"""Gait maths: foot contact / toe-off events, strides, cadence, thigh angle, gait class.

Pure and numpy only; time is always passed in.

Events follow Zeni et al. (2008), "Two simple methods for determining gait events during
treadmill and overground walking using kinematic data": **contact** is the heel's most
forward position relative to the pelvis (mid-hip), **toe-off** the toe's (foot index's)
most backward position, both along the running direction. `GaitTracker` finds these
peaks on a stream of poses and reports each one `delay_s` after it happened, timed to a
fraction of a frame by a least-squares parabola through the samples around the peak.
Both markers are kinks (the foot stops dead on the belt, the toe leaves it), which the
parabola places towards the flatter side: on the synthetic runner contacts come 0.3–0.6
frame early and toe-offs 0.2–0.4 frame late, so the duty factor reads 0.02–0.06 high
(most at 15 fps). See tests/test_gait.py for measured numbers with noise.

Conventions (docs/design.md): degrees; thigh angle is mid-hip→knee from vertical, + forward
(flexion), − behind (extension); cadence in steps/min, both feet (2 steps per stride).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from realtime.analysis.midstance import (
    Midstance,
    MidstanceTracker,
    gait_from_hip_phases,
)
from realtime.analysis.posture import Facing, direction_sign
from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

Leg = Literal["left", "right"]
EventKind = Literal["contact", "toe_off"]
GaitClass = Literal["running", "walking", "standing", "unknown"]
LEGS: tuple[Leg, Leg] = ("left", "right")

#: Plausible cadence range (steps/min) and the stride times (s) it allows.
MIN_CADENCE_SPM, MAX_CADENCE_SPM = 60.0, 240.0
MIN_STRIDE_S, MAX_STRIDE_S = 120.0 / MAX_CADENCE_SPM, 120.0 / MIN_CADENCE_SPM

_PROMINENCE = 0.15  # leg lengths a heel / toe peak must rise over the last back_s
_SPIKE = 0.3  # leg lengths: a one-frame jump this big is an outlier
_MIN_REFINE_S = 0.03  # peak refinement spans at least +-30 ms (3 samples at 60 fps)
#: A contact is the foot's most forward point and a toe-off its most backward: a peak must
#: stand in the upper half of the signal's range over the last stride at 100 steps/min
#: (1.2 s), so a jitter bump while the foot sweeps back is no contact (the shared clip
#: mirrored: one at −0.15 leg lengths between true contacts at +0.3 blocked the next
#: real one for the refractory time).
_RANGE_S, _RANGE_SHARE = 1.2, 0.5

# Leg-label swap repair (see GaitTracker._fix_swap).
_SWAP_MEMORY_S = 0.25  # history used to predict the legs
_SWAP_FIT_FRAMES = 3  # frames in the straight-line prediction
_SWAP_RATIO, _SWAP_RATIO_GAP = 0.5, 0.25  # swap when its cost is below this share of keeping
_SWAP_RECOVER = 3  # this many swaps in a row: trust the labels again

#: Per leg: hip, knee, ankle, heel, foot index.
LEG_LANDMARKS: dict[Leg, tuple[int, int, int, int, int]] = {
    "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}


#: No signal from either leg this frame.
_NO_SIGNALS: dict[Leg, tuple[float, float] | None] = {leg: None for leg in LEGS}


def cadence_spm_from_stride(stride_s: float) -> float:
    """Steps per minute from one stride time (two steps per stride)."""
    return 2.0 * 60.0 / stride_s


@dataclass(frozen=True)
class Stride:
    """One leg's stride: contact → toe-off → next contact (seconds).

    `t_toe_off` is None when no toe-off was seen in between; `near` tells whether the
    leg was the camera-side one when the stride ended.
    """

    leg: Leg
    t_contact: float
    t_toe_off: float | None
    t_next_contact: float
    near: bool = True

    @property
    def duration(self) -> float:
        return self.t_next_contact - self.t_contact

    @property
    def cadence_spm(self) -> float:
        return cadence_spm_from_stride(self.duration)

    @property
    def contact_time(self) -> float | None:
        return None if self.t_toe_off is None else self.t_toe_off - self.t_contact

    @property
    def duty_factor(self) -> float | None:
        """Contact time / stride time (running < 0.5 < walking)."""
        ct = self.contact_time
        return None if ct is None else ct / self.duration


@dataclass(frozen=True)
class GaitEvent:
    """A foot contact or toe-off at time `t` (seconds, sub-frame).

    A contact that closes a stride of the same leg carries it in `stride`.
    """

    t: float
    leg: Leg
    kind: EventKind
    near: bool
    stride: Stride | None = None


def thigh_angle_deg(pose: Pose, leg: Leg, facing: Facing) -> float:
    """Mid-hip→knee angle from vertical, + forward (flexion), − behind (extension)."""
    hip = pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)
    dx, dy = pose.point(LEG_LANDMARKS[leg][1]) - hip
    return math.degrees(math.atan2(dx * direction_sign(facing), dy))


def refine_peak(ts: np.ndarray, vs: np.ndarray, i: int, half_window_s: float) -> float:
    """Sub-sample time of the maximum at sample `i`: vertex of a least-squares parabola.

    Uses the samples within `half_window_s` of `ts[i]` (at least one on each side; with
    exactly three it is the classic 3-point parabolic interpolation). The vertex is kept
    within the samples used; a flat or convex fit returns `ts[i]`.
    """
    t0 = ts[i]
    near = np.abs(ts - t0) <= half_window_s
    lo, hi = i, i
    while lo > 0 and near[lo - 1]:
        lo -= 1
    while hi < len(ts) - 1 and near[hi + 1]:
        hi += 1
    if lo == i and i > 0:
        lo = i - 1
    if hi == i and i < len(ts) - 1:
        hi = i + 1
    if hi - lo < 2:
        return float(t0)
    tau = ts[lo:hi + 1] - t0
    c2, c1, _ = np.polyfit(tau, vs[lo:hi + 1], 2)
    if c2 >= 0:
        return float(t0)
    return float(t0 + np.clip(-c1 / (2 * c2), tau[0], tau[-1]))


class PeakDetector:
    """Streaming detector of maxima in a sampled signal, reported `delay_s` late.

    A sample is a peak when it is the largest in `[t - delay_s, t + delay_s]`, rises at
    least `prominence_back` above the lowest sample before it (within `back_s`), stands
    `prominence_fwd` above the lowest after it (within `delay_s`), and comes at least
    `refractory_s` after the previous peak. When the frames after a sample are dropped,
    its verdict waits for the next sample (up to `2 * delay_s`). Peak times are refined over
    `refine_frames` frame intervals each side. A sample standing more than `spike`
    above or below both neighbours (consecutive frames, no gap) is dropped as an
    outlier (a leg-label swap the tracker did not catch).
    """

    def __init__(self, delay_s: float, back_s: float, prominence_back: float,
                 prominence_fwd: float, refractory_s: float, refine_frames: float = 1.2,
                 spike: float = math.inf, range_share: float = 0.0) -> None:
        self.delay_s = delay_s
        self.back_s = back_s
        self.prominence_back = prominence_back
        self.prominence_fwd = prominence_fwd
        self.refractory_s = refractory_s
        self.refine_frames = refine_frames
        self.spike = spike
        self.range_share = range_share
        self.frame_dt = 1.0 / 30.0
        self.max_wait_s = 2 * delay_s
        self._t: list[float] = []
        self._v: list[float] = []
        self._next = 0  # index of the first sample not yet judged
        self.last_peak: float | None = None

    def push(self, t: float, value: float | None, frame_dt: float | None = None) -> list[float]:
        """Add a sample (None: nothing this frame); return the peak times now confirmed.

        `frame_dt` is the nominal frame interval (s), when known.
        """
        if frame_dt is not None and frame_dt > 0:
            self.frame_dt = frame_dt
        if value is not None and np.isfinite(value):
            if self._t and t <= self._t[-1]:
                return []
            self._t.append(float(t))
            self._v.append(float(value))
            self._drop_spike()
        peaks: list[float] = []
        while self._next < len(self._t) and self._t[self._next] <= t - self.delay_s + 1e-9:
            if self._next == len(self._t) - 1 and t - self._t[self._next] < self.max_wait_s:
                break  # dropped frames after this sample: wait for the next one
            peak = self._judge(self._next)
            self._next += 1
            if peak is not None:
                peaks.append(peak)
                self.last_peak = peak
        self._prune(t)
        return peaks

    def _drop_spike(self) -> None:
        """Remove the second-newest sample if it is an isolated outlier."""
        j = len(self._t) - 2
        if j < 1 or j < self._next:
            return
        t0, t1, t2 = self._t[j - 1:j + 2]
        if max(t1 - t0, t2 - t1) > 1.5 * self.frame_dt:
            return
        v0, v1, v2 = self._v[j - 1:j + 2]
        if v1 - max(v0, v2) > self.spike or min(v0, v2) - v1 > self.spike:
            del self._t[j], self._v[j]

    def _judge(self, j: int) -> float | None:
        ts, vs = np.asarray(self._t), np.asarray(self._v)
        tj, vj = ts[j], vs[j]
        before = (ts >= tj - self.back_s) & (ts < tj)
        close = (ts >= tj - self.delay_s) & (ts < tj)
        if not close.any() and j > 0 and before[j - 1]:
            close[j - 1] = True  # a gap before the peak: the last sample will do
        after = (ts > tj) & (ts <= tj + self.delay_s)
        if not after.any() and j + 1 < len(ts):
            after[j + 1] = True  # dropped frames after the peak: the next sample will do
        if not close.any() or not after.any():
            return None
        if vs[close].max() >= vj or vs[after].max() > vj:
            return None
        if (vj - vs[before].min() < self.prominence_back
                or vj - vs[after].min() < self.prominence_fwd):
            return None
        if self.range_share > 0 and not self._high_in_range(ts, vs, j):
            return None
        t_peak = refine_peak(ts, vs, j, max(self.refine_frames * self.frame_dt, _MIN_REFINE_S))
        if self.last_peak is not None and t_peak - self.last_peak < self.refractory_s:
            return None
        return t_peak

    def _high_in_range(self, ts: np.ndarray, vs: np.ndarray, j: int) -> bool:
        """True when sample j stands in the top `1 - range_share` of the range over the last
        _RANGE_S (always, with less than half of that seen yet)."""
        recent = (ts >= ts[j] - _RANGE_S) & (ts <= ts[j])
        if ts[j] - ts[recent].min() < _RANGE_S / 2:
            return True
        lo, hi = vs[recent].min(), vs[recent].max()
        return bool(vs[j] >= lo + self.range_share * (hi - lo))

    def _prune(self, t: float) -> None:
        keep_from = t - max(self.delay_s + self.back_s, _RANGE_S) - 0.5
        drop = 0
        while drop < self._next and self._t[drop] < keep_from:
            drop += 1
        if drop > 32:
            del self._t[:drop], self._v[:drop]
            self._next -= drop


def cadence_from_strides(strides: Sequence[Stride], near_leg: Leg | None, n: int = 6,
                         far_tolerance: float = 0.1) -> float | None:
    """Cadence (steps/min) from the median of recent stride times.

    The near leg's last `n` strides set the median; the far leg's last `n` join it only
    when within `far_tolerance` (fraction) of that median. With no near-leg stride the
    far leg is used alone. None when there is no stride.
    """
    near = [s.duration for s in strides if s.leg == near_leg][-n:]
    far = [s.duration for s in strides if s.leg != near_leg][-n:]
    if not near and not far:
        return None
    if not near:
        return cadence_spm_from_stride(float(np.median(far)))
    ref = float(np.median(near))
    both = near + [d for d in far if abs(d - ref) <= far_tolerance * ref]
    return cadence_spm_from_stride(float(np.median(both)))


def duty_factor_from_strides(strides: Sequence[Stride], near_leg: Leg | None,
                             n: int = 6) -> float | None:
    """Median duty factor of the last `n` strides with a toe-off (near leg first)."""
    for pick in (lambda s: s.leg == near_leg, lambda s: True):
        duties = [s.duty_factor for s in strides if pick(s) and s.duty_factor is not None][-n:]
        if duties:
            return float(np.median(duties))
    return None


class GaitTracker:
    """Streaming gait events for a runner seen side-on, facing `facing`.

    Call `update(t, pose_or_None)` every frame. An event is reported on the first frame
    `delay_s` after the frame of its peak (later only across dropped frames). Legs keep
    the estimator's labels; a label swap (the far leg taking the near leg's name for a
    frame) is undone by matching each frame's two legs to their predicted positions. The
    near leg is the one with the higher mean visibility; cadence and duty factor lean on
    it (`cadence_from_strides`).

    Args:
        facing: running direction in the image.
        delay_s: look-ahead before a peak is confirmed (the reporting delay).
        back_s: look-back for a peak's prominence (its rise over the last `back_s`).
        history: strides per leg in the cadence / duty-factor medians.

    Signals are normalised by the leg length (hip→knee→ankle, estimated online), so the
    thresholds hold at any image scale.
    """

    def __init__(self, facing: Facing, *, delay_s: float = 0.15, back_s: float = 0.35,
                 history: int = 6) -> None:
        if facing not in ("left", "right"):
            raise ValueError(f"facing must be 'left' or 'right', got {facing!r}")
        self.facing: Facing = facing
        self.delay_s = delay_s
        self.history = history
        refractory = 0.8 * MIN_STRIDE_S

        def detector() -> PeakDetector:
            return PeakDetector(delay_s, back_s, _PROMINENCE, 0.0, refractory, spike=_SPIKE,
                                range_share=_RANGE_SHARE)

        self._contact = {leg: detector() for leg in LEGS}
        self._toe_off = {leg: detector() for leg in LEGS}
        self._last_contact: dict[Leg, float | None] = {leg: None for leg in LEGS}
        self._last_toe_off: dict[Leg, float | None] = {leg: None for leg in LEGS}
        self._strides: deque[Stride] = deque(maxlen=4 * history)
        self._vis = {leg: 0.5 for leg in LEGS}
        self._leg_len: float | None = None
        self._prev: list[tuple[float, np.ndarray]] = []  # (t, (2, 4, 2) leg points - hip)
        self._swap_streak = 0
        self._dts: deque[float] = deque(maxlen=15)
        self._midstance = MidstanceTracker()
        self._midstances: deque[Midstance] = deque(maxlen=16)
        self.t: float | None = None

    # ---------------------------------------------------------------- state

    @property
    def near_leg(self) -> Leg:
        """The camera-side leg: the higher mean visibility so far."""
        return "left" if self._vis["left"] >= self._vis["right"] else "right"

    @property
    def strides(self) -> list[Stride]:
        """Recent strides, oldest first."""
        return list(self._strides)

    @property
    def leg_length_px(self) -> float | None:
        return self._leg_len

    def _recent_strides(self) -> list[Stride]:
        if self.t is None:
            return []
        horizon = 2 * MAX_STRIDE_S
        return [s for s in self._strides if s.t_next_contact >= self.t - self.delay_s - horizon]

    @property
    def cadence_spm(self) -> float | None:
        """Median cadence of the recent strides (near leg; far leg where consistent)."""
        return cadence_from_strides(self._recent_strides(), self.near_leg, self.history)

    @property
    def duty_factor(self) -> float | None:
        return duty_factor_from_strides(self._recent_strides(), self.near_leg, self.history)

    def hip_phases(self, horizon_s: float) -> list[float]:
        """The hips' phase at each midstance of the last `horizon_s` (+1 lowest, running;
        −1 highest, walking: realtime/analysis/midstance.py), oldest first."""
        if self.t is None:
            return []
        return [m.hip_phase for m in self._midstances if m.t >= self.t - horizon_s]

    @property
    def midstances(self) -> list[Midstance]:
        """The recent midstances (the last 16), oldest first."""
        return list(self._midstances)

    @property
    def last_midstance_age_s(self) -> float | None:
        """Seconds since the newest midstance (None before the first)."""
        if self.t is None or not self._midstances:
            return None
        return self.t - self._midstances[-1].t

    def classify(self, horizon_s: float = 4.0) -> GaitClass:
        """Running or walking from the hip phases of the last `horizon_s`
        (`realtime.analysis.midstance.gait_from_hip_phases`); standing when no midstance came."""
        if self.last_midstance_age_s is None or self.last_midstance_age_s > horizon_s:
            return "standing" if self._leg_len is not None else "unknown"
        return gait_from_hip_phases(self.hip_phases(horizon_s))

    # ---------------------------------------------------------------- update

    def update(self, t: float, pose: Pose | None) -> list[GaitEvent]:
        """Feed one frame (None: no pose); return the events confirmed now, oldest first."""
        if self.t is not None and t > self.t:
            self._dts.append(t - self.t)
        self.t = t
        signals, ankle_gap, hip_y = self._measure(t, pose) if pose is not None else (_NO_SIGNALS, None, None)
        self._midstances.extend(self._midstance.update(t, ankle_gap, hip_y))
        frame_dt = float(np.median(self._dts)) if self._dts else None
        found: list[tuple[float, Leg, EventKind]] = []
        for leg in LEGS:
            sig = signals[leg]
            heel, toe = (None, None) if sig is None else sig
            found += [(p, leg, "contact") for p in self._contact[leg].push(t, heel, frame_dt)]
            found += [(p, leg, "toe_off") for p in self._toe_off[leg].push(t, toe, frame_dt)]
        return [self._event(tp, leg, kind) for tp, leg, kind in sorted(found)]

    def _event(self, tp: float, leg: Leg, kind: EventKind) -> GaitEvent:
        near = leg == self.near_leg
        if kind == "toe_off":
            self._last_toe_off[leg] = tp
            return GaitEvent(tp, leg, kind, near)
        stride = None
        prev = self._last_contact[leg]
        if prev is not None and MIN_STRIDE_S <= tp - prev <= MAX_STRIDE_S:
            toe = self._last_toe_off[leg]
            toe = toe if toe is not None and prev < toe < tp else None
            stride = Stride(leg, prev, toe, tp, near)
            self._strides.append(stride)
        self._last_contact[leg] = tp
        return GaitEvent(tp, leg, kind, near, stride)

    def _measure(self, t: float, pose: Pose) -> tuple[dict[Leg, tuple[float, float] | None], float | None,
                                                      float | None]:
        """Per leg (heel forward, −toe forward) in leg lengths, the ankles' fore-aft gap (leg
        lengths) and the mid-hip's image height; updates the side state."""
        hip = pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)
        pts = np.stack([pose.xy[list(LEG_LANDMARKS[leg][1:])] - hip for leg in LEGS])  # (2, 4, 2)
        pts = self._fix_swap(t, pts)
        lengths = (np.linalg.norm(pts[:, 0], axis=-1)
                   + np.linalg.norm(pts[:, 1] - pts[:, 0], axis=-1))  # (2,)
        length = float(np.mean(lengths))
        if length <= 1e-6:
            return _NO_SIGNALS, None, None
        self._leg_len = length if self._leg_len is None else 0.95 * self._leg_len + 0.05 * length
        for leg in LEGS:
            vis = float(np.mean(pose.visibility[list(LEG_LANDMARKS[leg][1:])]))
            self._vis[leg] = 0.9 * self._vis[leg] + 0.1 * vis
        sign = direction_sign(self.facing)
        fwd = sign * pts[:, :, 0] / self._leg_len  # (2, 4) knee, ankle, heel, toe
        signals = {leg: (float(fwd[i, 2]), float(-fwd[i, 3])) for i, leg in enumerate(LEGS)}
        return signals, float(fwd[0, 1] - fwd[1, 1]), float(hip[1])

    def _fix_swap(self, t: float, pts: np.ndarray) -> np.ndarray:
        """Undo a left/right leg label swap: match both legs `(2, 4, 2)` to predictions.

        Each leg is predicted by a straight-line fit over the last frames (within
        `_SWAP_MEMORY_S`); the labels are swapped back when that fits clearly better
        (`_SWAP_RATIO`). After `_SWAP_RECOVER` swaps in a row the labels are trusted
        again (the history, not the estimator, was wrong). Across a dropped frame the
        prediction is poorer and the bar higher (`_SWAP_RATIO_GAP`).
        """
        hist = [(tp, p) for tp, p in self._prev if t - tp <= _SWAP_MEMORY_S]
        frame_dt = float(np.median(self._dts)) if self._dts else 0.0
        ratio = _SWAP_RATIO if not hist or t - hist[-1][0] <= 1.5 * frame_dt else _SWAP_RATIO_GAP
        if hist:
            ts = np.array([tp for tp, _ in hist])
            ps = np.stack([p for _, p in hist]).reshape(len(hist), -1)
            if len(hist) >= 2:
                a = np.stack([np.ones_like(ts), ts - ts[-1]], axis=1)
                coef = np.linalg.lstsq(a, ps, rcond=None)[0]
                pred = (coef[0] + coef[1] * (t - ts[-1])).reshape(pts.shape)
            else:
                pred = hist[-1][1]
            keep = float(np.sum((pts - pred) ** 2))
            swap = float(np.sum((pts[::-1] - pred) ** 2))
            if swap < ratio * keep:
                self._swap_streak += 1
                if self._swap_streak >= _SWAP_RECOVER:
                    hist = [(tp, p[::-1].copy()) for tp, p in hist]
                    self._swap_streak = 0
                else:
                    pts = pts[::-1].copy()
            else:
                self._swap_streak = 0
        self._prev = hist[-(_SWAP_FIT_FRAMES - 1):] + [(t, pts)]
        return pts
