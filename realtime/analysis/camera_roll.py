"""Camera roll from the scene: the room's verticals (and, weaker, its horizontals).

A camera beside the treadmill is often rolled by a few degrees, which shifts
every angle measured from vertical (trunk lean) by the same amount. The roll is
read from straight edges of the room, never from the runner:

1. line segments are detected (OpenCV's LSD on a downscaled grey image);
   those along black padding that touches the frame's edge (the corners of a
   rotated picture, letterbox bars) are dropped, as that outline belongs to
   the frame, not to the scene; the parts inside the person's box are cut away;
2. long segments within `max_tilt_deg` of the image vertical vote for the
   roll, weighted by length. A pitched camera makes verticals converge to a
   vanishing point, so each vertical votes, for every convergence `kappa` on a
   grid, for the roll that puts it through that point; the roll is the
   direction of the vanishing point from the image centre, so it does not
   depend on the pitch;
3. segments near the image horizontal vote too, without convergence, with a
   smaller trust (a yawed camera tilts them by degrees), weighted towards the
   centre row;
4. both families are fitted together. The one with more (trusted) length
   leads: the highest kernel-density peak of its votes over (roll, kappa)
   wins, and the other family may only tip it, by at most `follow_share` of the
   leader's peak density and not farther than `fuse_deg` from the leader's own
   peak: enough to settle a vanishing point the leaders leave ill-determined,
   never enough to overrule them. Weighted least squares then refines roll and
   kappa on the agreeing lines of both;
5. a second pass takes the lines within `max_tilt_deg` of that roll instead of
   the image's axes, so that the same scene lines vote however far the camera
   is rolled.

Confidence grows with the length of agreeing lines (horizontals count for at
most `horizontal_weight`), and drops when the agreeing lines all sit on one
side of the image (the roll at the centre then rests on the assumed
convergence) and when a separate rival peak of the votes, another reading of
the scene, comes close to the winner. A plain wall gives low confidence;
callers then do not correct.

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


#: An estimate at least this confident is taken out of the pose (`RollTracker`'s default
#: `min_confidence`); the screen puts the same roll back to draw on the camera's picture.
MIN_CONFIDENCE = 0.3


@dataclass(frozen=True)
class RollEstimate:
    """Camera roll in degrees, clockwise-positive on screen (see module doc).

    `confidence` in [0, 1]: callers should not correct below a threshold
    (`RollTracker.min_confidence`, `MIN_CONFIDENCE` by default). `n_lines` counts the agreeing segments.
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
    fuse_deg: float = 1.5  # the following family moves the leading one's peak at most this far
    support_scale: float = 1.0  # agreeing length (image diagonals) for confidence 0.63
    follow_share: float = 0.25  # following family's vote density: at most this share of the leader's
    rival_deg: float = 2.0  # vote peaks farther apart than this are rival readings of the scene
    rival_ok: float = 0.4  # a rival this high (share of the winner) costs no confidence; 1: all
    void_level: int = 4  # grey level at or below which a region touching the frame's edge is padding
    void_grow: int = 2  # segments this close to padding (downscaled px) are its outline


class LineFit(NamedTuple):
    """Result of `fit_roll`.

    `roll` (rad) and `kappa` locate the vanishing point (see `_residuals`);
    `inliers` is a bool mask `(N,)`; `coupling` in [0, 1] is the squared
    correlation of the roll and kappa estimates: near 1 when all lines sit on
    one side of the image, so the roll at the centre hinges on kappa.
    `ambiguity` in [0, 1] is how close a separate rival peak of the votes,
    more than `rival_deg` away, comes to the winner (see `_rival_share`).
    """

    roll: float
    kappa: float
    inliers: np.ndarray
    coupling: float
    ambiguity: float = 0.0


class _Lines(NamedTuple):
    """Long segments `(N,)` each: tilts from vertical and horizontal (deg, see
    `segment_tilts`), midpoint from the image centre in half-sides, length in
    image diagonals, and the horizontals' weight on distance from the centre row."""

    tilt_v: np.ndarray
    tilt_h: np.ndarray
    mid_x: np.ndarray
    mid_y: np.ndarray
    weight: np.ndarray
    centre_row: np.ndarray


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


def void_mask(gray: np.ndarray, level: int, grow: int) -> np.ndarray | None:
    """Where the picture is not: near-black regions touching the frame's edge, grown by `grow` px.

    A rotated or letterboxed frame is padded with black; the edges between the
    padding and the picture belong to the frame, not to the scene. Returns a
    bool mask shaped like `gray`, or None when there is no such region.
    """
    dark = (gray <= level).astype(np.uint8)
    if not (dark[0].any() or dark[-1].any() or dark[:, 0].any() or dark[:, -1].any()):
        return None
    n, labels = cv2.connectedComponents(dark, connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    keep = np.zeros(n, dtype=bool)
    keep[edge] = True
    keep[0] = False
    void = keep[labels].astype(np.uint8)
    if grow > 0:
        void = cv2.dilate(void, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return void.astype(bool)


def off_void(segments: np.ndarray, void: np.ndarray, max_fraction: float = 0.5) -> np.ndarray:
    """Bool `(N,)`: segments with at most `max_fraction` of their length in `void`."""
    t = np.linspace(0.0, 1.0, 17)
    x = segments[:, 0:1] + t * (segments[:, 2:3] - segments[:, 0:1])
    y = segments[:, 1:2] + t * (segments[:, 3:4] - segments[:, 1:2])
    h, w = void.shape
    xi = np.clip(np.round(x).astype(int), 0, w - 1)
    yi = np.clip(np.round(y).astype(int), 0, h - 1)
    return void[yi, xi].mean(axis=1) <= max_fraction


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


def _vote_density(tilt: np.ndarray, c: np.ndarray, weight: np.ndarray, p: RollParams) -> np.ndarray:
    """Kernel density `(K, R)` of the lines' votes over (kappa, roll) (see `_vote_peak`)."""
    sig, step = math.radians(p.kde_sigma_deg), math.radians(0.1)
    span = math.radians(p.max_tilt_deg + 5.0)
    n_bins = round(2 * span / step) + 1
    kappas = np.linspace(-p.max_kappa, p.max_kappa, 51)
    # at every kappa, each line votes for the roll that puts it through the vanishing point
    votes = tilt[None, :] + np.arcsin(np.clip(kappas[:, None] * c[None, :], -1.0, 1.0))
    idx = np.round((votes + span) / step).astype(int)
    inside = (idx >= 0) & (idx < n_bins)  # votes off the grid are dropped, not piled on its edge
    idx += np.arange(len(kappas))[:, None] * n_bins
    w = np.broadcast_to(weight, idx.shape)
    hist = np.bincount(idx[inside], w[inside], len(kappas) * n_bins)
    kernel = np.exp(-0.5 * (np.arange(-4 * sig, 4 * sig + step / 2, step) / sig) ** 2)
    density = cv2.filter2D(
        hist.reshape(len(kappas), n_bins).astype(np.float32),
        -1,
        kernel[None, :].astype(np.float32),
        borderType=cv2.BORDER_CONSTANT,
    )
    return density * np.exp(-0.5 * (kappas / p.kappa_sigma) ** 2).astype(np.float32)[:, None]


def _rival_share(profile: np.ndarray, k: int, min_bins: int, dip: float = 0.25) -> float:
    """How high the best rival peak of `profile` (more than `min_bins` from bin `k`) rises, in [0, 1].

    A rival counts by its rise over the deepest valley between it and `k`, as a
    share of `k`'s rise over that valley, and at most by its height as a share
    of `k`'s, in full only if the valley is `dip` of `k`'s height deep: a shoulder
    of the winning peak (the same hypothesis smeared along an ill-determined
    vanishing point, with small bumps) is no rival.
    """
    peak, best = float(profile[k]), 0.0
    if not peak > 0.0:
        return 0.0
    for side in (profile[k:], profile[k::-1]):
        if len(side) <= min_bins + 1:
            continue
        height = side[min_bins + 1 :]
        valley = np.minimum.accumulate(side)[min_bins + 1 :]
        rise = height - valley
        deep = np.clip(rise / (dip * peak), 0.0, 1.0)
        share = np.minimum(rise / np.maximum(peak - valley, 1e-12), height / peak * deep)
        best = max(best, float(share.max()))
    return min(best, 1.0)


def _vote_peak(
    tilt: np.ndarray, c: np.ndarray, weight: np.ndarray, p: RollParams, follower: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(roll rad, kappa, ambiguity) at the highest kernel density of the lines' votes.

    Lines flagged `follower` only pick among the others' hypotheses: their
    density is scaled to at most `follow_share` of the others' peak and counts
    only within `fuse_deg` of the others' own peak roll, so they can tip a
    poorly determined vanishing point but never outvote the leading lines.
    `ambiguity` is `_rival_share` of the winner, for all lines and for the
    leading lines alone (about their own peak), the larger.
    """
    step = math.radians(0.1)
    lead = None
    if follower is None or follower.all() or not follower.any():
        density = _vote_density(tilt, c, weight, p)
    else:
        lead = _vote_density(tilt[~follower], c[~follower], weight[~follower], p)
        extra = _vote_density(tilt[follower], c[follower], weight[follower], p)
        lead_peak, extra_peak = float(lead.max()), float(extra.max())
        if lead_peak > 0.0 and extra_peak > 0.0:
            # the followers may move the answer only near the leaders' own choice
            k_lead = int(np.argmax(lead.max(axis=0)))
            reach = np.abs(np.arange(lead.shape[1]) - k_lead) * step <= math.radians(p.fuse_deg)
            density = lead + extra * min(1.0, p.follow_share * lead_peak / extra_peak)
            density[:, ~reach] = np.minimum(density[:, ~reach], lead[:, ~reach])
        else:
            density = lead if lead_peak > 0.0 else extra
    j, k = np.unravel_index(int(np.argmax(density)), density.shape)
    min_bins = round(p.rival_deg / 0.1)
    ambiguity = _rival_share(density.max(axis=0), k, min_bins)
    if lead is not None and lead.max() > 0.0:
        lead_profile = lead.max(axis=0)
        ambiguity = max(ambiguity, _rival_share(lead_profile, int(np.argmax(lead_profile)), min_bins))
    span = math.radians(p.max_tilt_deg + 5.0)
    return float(k * step - span), float(np.linspace(-p.max_kappa, p.max_kappa, 51)[j]), ambiguity


def fit_roll(
    tilt: np.ndarray, c: np.ndarray, weight: np.ndarray, p: RollParams, follower: np.ndarray | None = None
) -> LineFit:
    """Robust fit of a vanishing point (roll, kappa) to lines.

    Line `i` has tilt `tilt[i]` (rad), offset `c[i]` (its unit normal dotted
    with its midpoint, centre-relative, in half-sides; all 0 for lines that
    must stay parallel) and weight `weight[i]`. The vote peak (`_vote_peak`)
    starts three rounds of robustly weighted least squares, with a ridge on
    kappa from its prior.
    """
    sig = math.radians(p.kde_sigma_deg)
    ridge = (sig / p.kappa_sigma) ** 2
    roll, kappa, ambiguity = _vote_peak(tilt, c, weight, p, follower)
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
    return LineFit(roll, kappa, inliers, float(coupling), ambiguity)


def _joint_estimate(lines: _Lines, centre_deg: float, p: RollParams) -> RollEstimate:
    """One fit of verticals and horizontals together, each within `max_tilt_deg` of `centre_deg`.

    Both families share the roll (horizontals with offset 0: pitch does not
    make them converge); horizontals weigh `horizontal_weight` times less, and
    the family with more weight leads the vote (`_vote_peak`). Confidence is
    that of two independent witnesses, 1 - (1 - cv)(1 - ch), each growing with
    its agreeing length and agreeing share, the horizontals' capped at
    `horizontal_weight`; times the identifiability of the roll (`coupling`) and
    its distinctness from a rival reading (`ambiguity` above `rival_ok`).
    """
    is_v = np.abs(lines.tilt_v - centre_deg) <= p.max_tilt_deg
    is_h = np.abs(lines.tilt_h - centre_deg) <= p.max_tilt_deg
    tv = np.radians(lines.tilt_v[is_v])
    c_v = np.cos(tv) * lines.mid_x[is_v] + np.sin(tv) * lines.mid_y[is_v]
    w_v = lines.weight[is_v]
    w_h = lines.weight[is_h] * lines.centre_row[is_h]
    tilt = np.concatenate([tv, np.radians(lines.tilt_h[is_h])]) - math.radians(centre_deg)
    c = np.concatenate([c_v, np.zeros(int(is_h.sum()))])
    weight = np.concatenate([w_v, p.horizontal_weight * w_h])
    if not np.sum(weight) > 0.0:
        return RollEstimate.empty()
    vertical = np.arange(len(tilt)) < len(tv)
    verticals_lead = weight[vertical].sum() >= weight[~vertical].sum()
    fit = fit_roll(tilt, c, weight, p, ~vertical if verticals_lead else vertical)

    def witness(raw: np.ndarray, inliers: np.ndarray) -> float:
        support, total = float(raw[inliers].sum()), float(raw.sum())
        if not total > 0.0:
            return 0.0
        return (1.0 - math.exp(-support / p.support_scale)) * math.sqrt(support / total)

    conf_v = witness(w_v, fit.inliers[vertical])
    conf_h = p.horizontal_weight * witness(w_h, fit.inliers[~vertical])
    identifiable = math.sqrt(max(0.0, 1.0 - fit.coupling))
    distinct = 1.0 if p.rival_ok >= 1.0 else float(np.clip((1.0 - fit.ambiguity) / (1.0 - p.rival_ok), 0, 1))
    confidence = (1.0 - (1.0 - conf_v) * (1.0 - conf_h)) * identifiable * distinct
    roll = math.degrees(fit.roll) + centre_deg
    return RollEstimate(roll, float(np.clip(confidence, 0.0, 1.0)), int(fit.inliers.sum()))


def estimate_roll(
    image_bgr: np.ndarray, exclude: Box | None = None, params: RollParams | None = None
) -> RollEstimate:
    """Camera roll of one frame (BGR or grey, uint8) from the scene's straight edges.

    `exclude` is the person's box (x0, y0, x1, y1) in pixels of `image_bgr`;
    only the parts of segments outside it vote. Black padding touching the
    frame's edge (a rotated or letterboxed picture) and its outline are
    ignored. A scene without usable lines gives `RollEstimate.empty()`.
    """
    p = params or RollParams()
    gray = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    scale = min(1.0, p.max_side / max(h, w))
    if scale < 1.0:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    segs = detect_segments(gray)
    void = void_mask(gray, p.void_level, p.void_grow)
    if void is not None and len(segs):
        segs = segs[off_void(segs, void)]
    segs = segs / scale
    if exclude is not None and len(segs):
        segs = clip_out_box(segs, exclude)
    length = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    long_enough = length >= p.min_length * max(h, w)
    segs, length = segs[long_enough], length[long_enough]
    if not len(segs):
        return RollEstimate.empty()

    half = 0.5 * max(h, w)
    tilt_v, tilt_h = segment_tilts(segs)
    mid_x = (0.5 * (segs[:, 0] + segs[:, 2]) - 0.5 * w) / half
    mid_y = (0.5 * (segs[:, 1] + segs[:, 3]) - 0.5 * h) / half
    centre_row = np.exp(-0.5 * (mid_y * half / (p.centre_sigma * h)) ** 2)
    lines = _Lines(tilt_v, tilt_h, mid_x, mid_y, length / math.hypot(h, w), centre_row)
    # the lines that vote are those near the image's axes; a second pass takes
    # those near the found roll instead, so that the same scene lines vote
    # however far the camera is rolled
    first = _joint_estimate(lines, 0.0, p)
    if not first.n_lines:
        return first
    return _joint_estimate(lines, first.roll_deg, p)


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
        min_confidence: float = MIN_CONFIDENCE,
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
            self.add(t, estimate_roll(image_bgr, exclude, self.params))
        return self.estimate

    def add(self, t: float, sample: RollEstimate) -> None:
        """Take a sample measured elsewhere (a worker process of a parallel `analyze`) at `t`."""
        self._samples.append(sample)
        self._last_t = t

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
