"""Camera roll from the scene: the room's verticals (and, weaker, its horizontals).

A camera beside the treadmill is often rolled by a few degrees, which shifts
every angle measured from vertical (trunk lean) by the same amount. The roll is
read from straight edges of the room, never from the runner:

1. line segments are detected (OpenCV's LSD on a downscaled grey image), and
   their parts inside the person's box are cut away;
2. long segments within `max_tilt_deg` of the image vertical vote for the
   roll, weighted by length. A pitched camera makes verticals converge to a
   vanishing point, so each vertical votes, for every convergence `kappa` on a
   grid, for the roll that puts it through that point; the highest
   kernel-density peak over (roll, kappa) wins and weighted least squares
   refines it. The roll is the direction of the vanishing point from the image
   centre, so it does not depend on the pitch;
3. segments near the image horizontal do the same without convergence and with
   a smaller trust (a yawed camera tilts them), weighted towards the centre row;
4. the two families are averaged when they agree, else the surer one wins.

Confidence grows with the length of agreeing lines, and drops when the
verticals all sit on one side of the image (the roll at the centre then rests
on the assumed convergence) and for horizontals. A plain wall gives low
confidence; callers then do not correct.

Sign convention (image x right, y down, as seen on screen): `roll_deg` is the
angle by which the scene's verticals appear rotated in the image, positive
CLOCKWISE on screen (a vertical's top end is displaced to the right). OpenCV's
`cv2.getRotationMatrix2D(center, angle, 1)` is counter-clockwise-positive, so a
scene warped with it reads `roll_deg == -angle`. To correct, rotate image
points by `-roll_deg` clockwise (`roll_deg` counter-clockwise) about any centre:
`rotate_points` does that.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

#: A pixel box (x0, y0, x1, y1), x0 < x1 and y0 < y1.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class RollEstimate:
    """Camera roll in degrees, clockwise-positive on screen (see module doc).

    `confidence` in [0, 1]: callers should not correct below a threshold
    (`RollTracker.min_confidence`, 0.3). `n_lines` counts the agreeing segments.
    """

    roll_deg: float
    confidence: float
    n_lines: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.roll_deg):
            raise ValueError(f"roll_deg must be finite, got {self.roll_deg}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")
        if self.n_lines < 0:
            raise ValueError(f"n_lines must be >= 0, got {self.n_lines}")

    @classmethod
    def empty(cls) -> RollEstimate:
        """No evidence: zero roll, zero confidence."""
        return cls(0.0, 0.0, 0)


@dataclass(frozen=True)
class RollParams:
    """Tuning of `estimate_roll`. Lengths are fractions of the image's longer side."""

    max_side: int = 480  # downscale so the longer side is at most this (px) before LSD
    max_tilt_deg: float = 15.0  # segments this close to vertical (horizontal) vote
    min_length: float = 0.04  # shortest voting segment
    horizontal_weight: float = 0.35  # trust in horizontals relative to verticals
    centre_sigma: float = 0.35  # horizontals: Gaussian weight on distance from the centre row
    max_kappa: float = 0.5  # largest convergence of verticals (1 / vanishing-point distance)
    kappa_sigma: float = 1.0  # width of the prior on that convergence (only breaks ties)
    kde_sigma_deg: float = 0.5  # width of each vote
    inlier_deg: float = 1.5  # a segment this close to the fit agrees with it
    fuse_deg: float = 1.5  # vertical and horizontal estimates this close are averaged
    support_scale: float = 1.0  # agreeing length (image diagonals) for confidence 0.63


class LineFit(NamedTuple):
    """Result of `fit_roll`.

    `roll` (rad) and `kappa` locate the vanishing point (see `_residuals`);
    `inliers` is a bool mask `(N,)`; `coupling` in [0, 1] is the squared
    correlation of the roll and kappa estimates: near 1 when all lines sit on
    one side of the image, so the roll at the centre hinges on kappa.
    """

    roll: float
    kappa: float
    inliers: np.ndarray
    coupling: float


def detect_segments(gray: np.ndarray) -> np.ndarray:
    """Line segments `(N, 4)` as x0, y0, x1, y1 pixels in an 8-bit grey image."""
    try:
        lines = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD).detect(gray)[0]
    except cv2.error:  # OpenCV 4.1-4.5.0 builds ship LSD as a stub that raises
        edges = cv2.Canny(gray, 50, 150)
        min_len = int(0.04 * max(gray.shape))
        lines = cv2.HoughLinesP(edges, 1, np.pi / 720, 40, minLineLength=min_len, maxLineGap=3)
    if lines is None:
        return np.zeros((0, 4), dtype=np.float64)
    return np.asarray(lines, dtype=np.float64).reshape(-1, 4)


def segment_tilts(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per segment `(N, 4)`: tilt from vertical and from horizontal, degrees, `(N,)` each.

    Both clockwise-positive on screen (a vertical's top moved right, a
    horizontal's right end moved down), folded into [-90, 90).
    """
    dx = segments[:, 2] - segments[:, 0]
    dy = segments[:, 3] - segments[:, 1]
    from_vertical = np.degrees(np.arctan2(dx, -dy))
    from_horizontal = np.degrees(np.arctan2(dy, dx))
    return (from_vertical + 90.0) % 180.0 - 90.0, (from_horizontal + 90.0) % 180.0 - 90.0


def clip_out_box(segments: np.ndarray, box: Box) -> np.ndarray:
    """Segments `(N, 4)` with their parts inside `box` removed: `(M, 4)`, M <= 2N.

    Liang-Barsky clipping: a segment crossing the box leaves the pieces before
    and after it; one wholly inside leaves none.
    """
    x0, y0, x1, y1 = box
    p0, d = segments[:, :2], segments[:, 2:] - segments[:, :2]
    t_in, t_out = np.zeros(len(segments)), np.ones(len(segments))
    crosses = np.ones(len(segments), dtype=bool)
    for axis, lo, hi in ((0, x0, x1), (1, y0, y1)):
        dv, pv = d[:, axis], p0[:, axis]
        flat = np.abs(dv) < 1e-12
        crosses &= ~flat | ((pv >= lo) & (pv <= hi))
        with np.errstate(divide="ignore", invalid="ignore"):
            ta, tb = (lo - pv) / dv, (hi - pv) / dv
        t_in = np.where(flat, t_in, np.maximum(t_in, np.minimum(ta, tb)))
        t_out = np.where(flat, t_out, np.minimum(t_out, np.maximum(ta, tb)))
    crosses &= t_in < t_out
    t_in, t_out = np.where(crosses, t_in, 1.0), np.where(crosses, t_out, 1.0)
    before = np.hstack([p0, p0 + t_in[:, None] * d])
    after = np.hstack([p0 + t_out[:, None] * d, segments[:, 2:]])
    pieces = np.vstack([before, after])
    return pieces[np.hypot(pieces[:, 2] - pieces[:, 0], pieces[:, 3] - pieces[:, 1]) > 1e-9]


def _residuals(
    roll: np.ndarray | float, kappa: np.ndarray | float, tilt: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Misfit (about radians) of lines (tilt rad, offset c) to a vanishing point.

    The point lies in direction `roll` from the image centre, at distance
    1/`kappa` half-sides (kappa = 0: at infinity, the lines parallel). Broadcasts.
    """
    return np.sin(roll - tilt) - kappa * c


def _vote_peak(tilt: np.ndarray, c: np.ndarray, weight: np.ndarray, p: RollParams) -> tuple[float, float]:
    """(roll rad, kappa) at the highest kernel density of the lines' votes."""
    sig, step = math.radians(p.kde_sigma_deg), math.radians(0.1)
    span = math.radians(p.max_tilt_deg + 5.0)
    n_bins = int(round(2 * span / step)) + 1
    kappas = np.linspace(-p.max_kappa, p.max_kappa, 51)
    # at every kappa, each line votes for the roll that puts it through the vanishing point
    votes = tilt[None, :] + np.arcsin(np.clip(kappas[:, None] * c[None, :], -1.0, 1.0))
    idx = np.clip(np.round((votes + span) / step).astype(int), 0, n_bins - 1)
    idx += np.arange(len(kappas))[:, None] * n_bins
    hist = np.bincount(idx.ravel(), np.broadcast_to(weight, idx.shape).ravel(), len(kappas) * n_bins)
    kernel = np.exp(-0.5 * (np.arange(-4 * sig, 4 * sig + step / 2, step) / sig) ** 2)
    density = cv2.filter2D(
        hist.reshape(len(kappas), n_bins).astype(np.float32),
        -1,
        kernel[None, :].astype(np.float32),
        borderType=cv2.BORDER_CONSTANT,
    )
    density *= np.exp(-0.5 * (kappas / p.kappa_sigma) ** 2).astype(np.float32)[:, None]
    j, k = np.unravel_index(int(np.argmax(density)), density.shape)
    return float(k * step - span), float(kappas[j])


def fit_roll(tilt: np.ndarray, c: np.ndarray, weight: np.ndarray, p: RollParams) -> LineFit:
    """Robust fit of a vanishing point (roll, kappa) to lines.

    Line `i` has tilt `tilt[i]` (rad), offset `c[i]` (its unit normal dotted
    with its midpoint, centre-relative, in half-sides; all 0 for lines that
    must stay parallel) and weight `weight[i]`. The vote peak (`_vote_peak`)
    starts three rounds of robustly weighted least squares, with a ridge on
    kappa from its prior.
    """
    sig = math.radians(p.kde_sigma_deg)
    ridge = (sig / p.kappa_sigma) ** 2
    roll, kappa = _vote_peak(tilt, c, weight, p)
    for _ in range(3):
        res = _residuals(roll, kappa, tilt, c)
        w = weight * np.exp(-0.5 * (res / sig) ** 2)
        jr = np.cos(roll - tilt)  # d res / d roll; d res / d kappa = -c
        if not np.sum(w * jr * jr) > 0.0:
            break
        if p.max_kappa <= 0.0:  # parallel lines only
            roll -= float(np.sum(w * jr * res) / np.sum(w * jr * jr))
            continue
        a = np.array(
            [
                [np.sum(w * jr * jr), -np.sum(w * jr * c)],
                [-np.sum(w * jr * c), np.sum(w * c * c) + ridge * w.sum()],
            ]
        )
        b = np.array([-np.sum(w * jr * res), np.sum(w * c * res) - ridge * w.sum() * kappa])
        d_roll, d_kappa = np.linalg.solve(a, b)  # regular: the ridge keeps it positive definite
        roll += float(d_roll)
        kappa = float(np.clip(kappa + d_kappa, -p.max_kappa, p.max_kappa))
    inliers = np.abs(_residuals(roll, kappa, tilt, c)) <= math.radians(p.inlier_deg)
    w = weight * inliers
    jr = np.cos(roll - tilt)
    denom = np.sum(w * jr * jr) * (np.sum(w * c * c) + ridge * w.sum())
    coupling = np.sum(w * jr * c) ** 2 / denom if denom > 0 else 0.0
    return LineFit(roll, kappa, inliers, float(coupling))


def _family_estimate(
    tilt: np.ndarray, c: np.ndarray, weight: np.ndarray, trust: float, p: RollParams
) -> RollEstimate:
    """Estimate from one family of lines (see `fit_roll`), confidence scaled by `trust`."""
    if not np.sum(weight) > 0.0:
        return RollEstimate.empty()
    fit = fit_roll(tilt, c, weight, p)
    support = float(weight[fit.inliers].sum())
    agreement = support / float(weight.sum())
    identifiable = math.sqrt(max(0.0, 1.0 - fit.coupling))
    confidence = trust * (1.0 - math.exp(-support / p.support_scale)) * math.sqrt(agreement) * identifiable
    return RollEstimate(math.degrees(fit.roll), float(np.clip(confidence, 0.0, 1.0)), int(fit.inliers.sum()))


def fuse(a: RollEstimate, b: RollEstimate, agree_deg: float) -> RollEstimate:
    """Confidence-weighted mean of two estimates within `agree_deg`, else the surer one.

    Agreeing estimates are independent evidence: confidence 1 - (1 - ca)(1 - cb).
    """
    total = a.confidence + b.confidence
    if total <= 0.0 or abs(a.roll_deg - b.roll_deg) > agree_deg:
        return max(a, b, key=lambda e: e.confidence)
    roll = (a.confidence * a.roll_deg + b.confidence * b.roll_deg) / total
    confidence = 1.0 - (1.0 - a.confidence) * (1.0 - b.confidence)
    return RollEstimate(roll, confidence, a.n_lines + b.n_lines)


def estimate_roll(
    image_bgr: np.ndarray, exclude: Box | None = None, params: RollParams | None = None
) -> RollEstimate:
    """Camera roll of one frame (BGR or grey, uint8) from the scene's straight edges.

    `exclude` is the person's box (x0, y0, x1, y1) in pixels of `image_bgr`;
    only the parts of segments outside it vote. A scene without usable lines
    gives `RollEstimate.empty()`.
    """
    p = params or RollParams()
    gray = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    scale = min(1.0, p.max_side / max(h, w))
    if scale < 1.0:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    segs = detect_segments(gray) / scale
    if exclude is not None and len(segs):
        segs = clip_out_box(segs, exclude)
    if not len(segs):
        return RollEstimate.empty()

    diag, half = math.hypot(h, w), 0.5 * max(h, w)
    length = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    long_enough = length >= p.min_length * max(h, w)
    tilt_v, tilt_h = segment_tilts(segs)
    mid_x = (0.5 * (segs[:, 0] + segs[:, 2]) - 0.5 * w) / half
    mid_y = (0.5 * (segs[:, 1] + segs[:, 3]) - 0.5 * h) / half

    is_v = long_enough & (np.abs(tilt_v) <= p.max_tilt_deg)
    tv = np.radians(tilt_v[is_v])
    c_v = np.cos(tv) * mid_x[is_v] + np.sin(tv) * mid_y[is_v]
    vertical = _family_estimate(tv, c_v, length[is_v] / diag, 1.0, p)

    is_h = long_enough & (np.abs(tilt_h) <= p.max_tilt_deg)
    th = np.radians(tilt_h[is_h])
    centre_row = np.exp(-0.5 * (mid_y[is_h] * half / (p.centre_sigma * h)) ** 2)
    weight_h = length[is_h] * centre_row / diag
    horizontal = _family_estimate(th, np.zeros_like(th), weight_h, p.horizontal_weight, p)
    return fuse(vertical, horizontal, p.fuse_deg)


def rotate_points(xy: np.ndarray, roll_deg: float, center: tuple[float, float]) -> np.ndarray:
    """Undo a roll: points `(N, 2)` rotated `roll_deg` counter-clockwise on screen about `center`.

    The same matrix as `cv2.getRotationMatrix2D(center, roll_deg, 1)`: for a
    scene warped by `getRotationMatrix2D(center, a, 1)` the roll is `-a`, and
    this brings the warped points back. Angles between points do not depend
    on `center`.
    """
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    a = math.radians(roll_deg)
    cos, sin = math.cos(a), math.sin(a)
    d = pts - np.asarray(center, dtype=np.float64)
    out = np.empty_like(d)
    out[:, 0] = center[0] + cos * d[:, 0] + sin * d[:, 1]
    out[:, 1] = center[1] - sin * d[:, 0] + cos * d[:, 1]
    return out


class RollTracker:
    """Camera roll over time: one frame every `interval_s`, median of the confident ones.

    `update(t, image, exclude)` is called every frame (`image` None: no frame)
    and estimates only when `interval_s` has passed since the last sample
    (a clock going backwards samples at once). The best estimate is the
    median roll (and median confidence and n_lines) of the last `window`
    samples with confidence >= `min_confidence`; with none, it is the latest
    sample, whose low confidence tells callers not to correct.

    A camera does not roll during a run, while the scene behind the runner may
    change (people passing, a door; the derived arched clip even bends the
    background with the runner). So after `lock_after` confident samples the
    estimate is locked and no more frames are read, until `reset()`;
    `lock_after=None` keeps a rolling window instead.
    """

    def __init__(
        self,
        interval_s: float = 1.0,
        window: int = 15,
        min_confidence: float = 0.3,
        lock_after: int | None = 10,
        params: RollParams | None = None,
    ) -> None:
        if interval_s < 0 or window < 1 or (lock_after is not None and not 1 <= lock_after <= window):
            raise ValueError("need interval_s >= 0, window >= 1 and 1 <= lock_after <= window (or None)")
        self.interval_s = interval_s
        self.min_confidence = min_confidence
        self.lock_after = lock_after
        self.params = params or RollParams()
        self._samples: deque[RollEstimate] = deque(maxlen=window)
        self._last_t: float | None = None

    def reset(self) -> None:
        """Forget every sample and unlock (the camera was moved)."""
        self._samples.clear()
        self._last_t = None

    @property
    def confident(self) -> list[RollEstimate]:
        """The kept samples with confidence >= `min_confidence`, oldest first."""
        return [e for e in self._samples if e.confidence >= self.min_confidence]

    @property
    def locked(self) -> bool:
        """True once `lock_after` confident samples are in."""
        return self.lock_after is not None and len(self.confident) >= self.lock_after

    def due(self, t: float) -> bool:
        """True when a frame seen at `t` seconds would be sampled."""
        if self.locked:
            return False
        # a tolerance, as frame times i / fps do not add up exactly
        return self._last_t is None or t < self._last_t or t - self._last_t >= self.interval_s - 1e-6

    def update(
        self, t: float, image_bgr: np.ndarray | None, exclude: Box | None = None
    ) -> RollEstimate | None:
        """Feed one frame seen at `t` seconds; return the best estimate so far (None before any)."""
        if image_bgr is not None and self.due(t):
            self._samples.append(estimate_roll(image_bgr, exclude, self.params))
            self._last_t = t
        return self.estimate

    @property
    def estimate(self) -> RollEstimate | None:
        """The best estimate so far, or None before the first sample."""
        if not self._samples:
            return None
        good = self.confident
        if not good:
            return self._samples[-1]
        return RollEstimate(
            float(np.median([e.roll_deg for e in good])),
            float(np.median([e.confidence for e in good])),
            int(np.median([e.n_lines for e in good])),
        )
