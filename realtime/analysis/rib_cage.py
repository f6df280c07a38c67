"""The back and the rib cage from the body's outline (MediaPipe Pose's segmentation mask).

The pose model has no landmark on the spine or the ribs, but its segmentation mask has
the runner's outline. Two pure steps: `trunk_outline(mask, pose)` reads the outline's two
edges along the trunk (a `TrunkOutline`, facing-free and small enough to log every frame,
`pack`/`unpack`), and `rib_cage_from_outline(outline, facing)` turns it into one
`RibCageSample`; `measure_rib_cage(mask, pose, facing)` does both. `RibCageTracker` keeps
the recent samples and gives per-stride medians.

**The trunk frame.** Origin at the hip midpoint H, axis u from H to the shoulder
midpoint S, trunk length L = |S − H| (pixels). A point p has a *level*
s = (p − H)·u / L (0 at the hips, 1 at the shoulders, < 0 below the hips) and a *depth*
v = (p − H)·n / L, where n ⟂ u points to the runner's back (away from the running
direction, so the back is the back whichever way the runner faces). Every value is
read in this frame, in trunk lengths: the trunk lean, the camera roll and the image
scale do not leak into them.

**The outline.** At `N_LEVELS` levels from `S_MIN` to `S_MAX` the mask is sampled
along n from the axis outward (`STEP` trunk lengths apart, bilinear), and the first
crossing of 0.5 gives the back edge b(s) (sub-pixel, linear between the two samples
around the crossing); the front edge f(s) is read the same way along −n, only around
the lower-rib level. A level is unusable for an edge when the axis point
is outside the mask, when there is no crossing within `MAX_DEPTH` trunk lengths, or
when the edge lies within an arm's reach: closer to one of the arm segments
(shoulder→elbow, elbow→wrist, wrist→knuckles; both arms, every frame) than that
segment's radius (`ARM_RADII`, generous so a loose sleeve counts). The arms cross the
back on every stride: their levels drop out and the values come from the rest.

**Levels** (MediaPipe's hip landmarks sit near the hip joints / greater trochanters,
its shoulder landmarks at the acromions):

- pelvic range `PELVIC_RANGE` = [−0.25, 0.05]: the back of the pelvis, the buttocks
  from below the hip-joint level up to the lower sacrum;
- sacrum level `S_SACRUM` = −0.10: the middle of the pelvic range;
- thoracic range `THORACIC_RANGE` = [0.30, 0.90]: the back above the lumbar hollow,
  from the waist to just below the shoulders (the hood and the neck start above);
- shoulder-blade level `S_SHOULDER_BLADE` = 0.75: the middle of the scapulae;
- lower-rib level `S_LOWER_RIBS` = 2/3 (the front of ribs 8–10), read as the median
  front edge over ±`RIB_HALF_WINDOW`.

**Values:**

- `pelvic_deg`, `thoracic_deg`: the tilt from the trunk axis of the line fitted (least
  squares, depth on level) to the back edge in each range, degrees, + when the line's
  upper end lies further back.
- `thorax_pelvis_deg` = `thoracic_deg` − `pelvic_deg`: the angle between the two lines
  (the axis cancels out). > 0 when the upper back line is tilted backwards relative to
  the lower one; extending the spine, or tipping the pelvis forward, opens it.
- `lumbar_arch`: the chord runs from the pelvic line at the sacrum level to the thoracic
  line at the shoulder-blade level; the arch is the mean depth of the back edge in front
  of that chord over the levels strictly between (the hollow's area over its span), in
  trunk lengths. > 0 when the back is hollow (concave, a lordotic back), about 0 when
  straight, < 0 when rounded.
- `rib_flare`: how far the front edge at the lower-rib level stands ahead of the
  hip–shoulder line, trunk lengths (> 0 ahead). The arms hide the front on most frames:
  None then.

**Confidence** in 0..1 is the product of: the share of usable back levels (the lowest of
the two ranges and the arch's span); the edge sharpness (the mask's 0.8→0.2 ramp across
the back edge, from its slope at the crossing, in trunk lengths: a loose top or motion
blur widens it); and the fit residuals (RMS of the two line fits).

Cost at 720×1280 on this machine: about 0.5 ms a frame, 0.85 ms right after the model
(cold caches): ~100 rays of ~100 bilinear samples read from the trunk's bounding box;
nothing is done to the whole mask. Turning the mask on costs the model itself more:
about 4 ms a frame (3.5 ms with `smooth_segmentation=False`, which gave the very same
masks on the treadmill clip).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from realtime.analysis.posture import Facing, direction_sign
from realtime.analysis.roi_mask import RoiMask
from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

# Levels along the trunk (trunk lengths; 0 = hip midpoint, 1 = shoulder midpoint).
S_MIN = -0.25
S_MAX = 0.95
N_LEVELS = 49  # every 0.025 trunk lengths
PELVIC_RANGE = (-0.25, 0.05)
THORACIC_RANGE = (0.30, 0.90)
S_SACRUM = -0.10
S_SHOULDER_BLADE = 0.75
S_LOWER_RIBS = 2.0 / 3.0
RIB_HALF_WINDOW = 0.05

MAX_DEPTH = 0.8  # trunk lengths scanned from the axis outward, each side
STEP = 1.0 / 120.0  # scan step along the normal, trunk lengths (the mask's edge ramp is ~5 steps)
MIN_STEP_PX = 1.0  # ... but never under a pixel
MIN_TRUNK_PX = 40.0  # a smaller trunk has too few pixels to read a back from
EDGE = 0.5  # the mask level of the outline

#: Reach of the arm segments from their centre line, trunk lengths (sleeves included).
ARM_RADII = {"upper": 0.16, "fore": 0.13, "hand": 0.13}

MIN_RANGE_SHARE = 0.5  # usable levels needed in each fitting range and in the arch span
# MediaPipe's mask is soft (computed at low resolution for the whole body, then scaled
# up): its 0.8→0.2 ramp is about 0.04 trunk lengths (p10–p90 0.03–0.06 on the treadmill
# clip), whatever the image size.
SHARP_RAMP = 0.05  # ramp (trunk lengths) at or below which edges count as sharp
BLUR_RAMP = 0.15  # ramp at which the sharpness factor reaches 0
# RMS of the line fits (trunk lengths); the thoracic range holds a gentle curve, so a
# residual of ~0.015 is normal (treadmill clip: median 0.015, p90 0.03).
FIT_RMS_OK = 0.01  # at or below: fit factor 1
FIT_RMS_BAD = 0.05  # at or above: fit factor 0


@dataclass(frozen=True)
class RibCageSample:
    """The back and rib-cage measures of one frame (definitions in the module doc).

    Attributes:
        t: seconds (the pose's time).
        lumbar_arch: mean hollow depth of the back, trunk lengths, > 0 hollow.
        thorax_pelvis_deg: thoracic line vs pelvic line, degrees, > 0 upper back tilted back.
        rib_flare: front at the lower ribs ahead of the hip–shoulder line, trunk lengths;
            None when the front is hidden (arms).
        confidence: 0..1.
        pelvic_deg, thoracic_deg: each line's tilt from the trunk axis, + top further back.
        back_contour: `(K, 2)` pixels, the usable back-edge points, from `S_MIN` (below the
            hips) up to `S_MAX` (just below the shoulders).
        pelvic_line: `(2, 2)` pixels, the fitted pelvic line's ends (lower, upper).
        thoracic_line: `(2, 2)` pixels, the fitted thoracic line's ends (lower, upper).
        front_point: `(2,)` pixels, the front edge at the lower-rib level, or None.
    """

    t: float
    lumbar_arch: float
    thorax_pelvis_deg: float
    rib_flare: float | None
    confidence: float
    pelvic_deg: float
    thoracic_deg: float
    back_contour: np.ndarray
    pelvic_line: np.ndarray
    thoracic_line: np.ndarray
    front_point: np.ndarray | None = None

    def __post_init__(self) -> None:
        contour = np.asarray(self.back_contour, dtype=float)
        if contour.ndim != 2 or contour.shape[1] != 2:
            raise ValueError(f"RibCageSample.back_contour must be (K, 2), got {contour.shape}")
        object.__setattr__(self, "back_contour", contour)
        for name in ("pelvic_line", "thoracic_line"):
            line = np.asarray(getattr(self, name), dtype=float)
            if line.shape != (2, 2):
                raise ValueError(f"RibCageSample.{name} must be (2, 2), got {line.shape}")
            object.__setattr__(self, name, line)
        if self.front_point is not None:
            front = np.asarray(self.front_point, dtype=float)
            if front.shape != (2,):
                raise ValueError(f"RibCageSample.front_point must be (2,), got {front.shape}")
            object.__setattr__(self, "front_point", front)
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"RibCageSample.confidence must be in [0, 1], got {self.confidence}")


#: The levels the outline is read at, `(N_LEVELS,)` trunk lengths.
LEVELS = np.linspace(S_MIN, S_MAX, N_LEVELS)


@dataclass(frozen=True)
class TrunkFrame:
    """The trunk's own frame in the image (pixels), whichever way the runner faces.

    Attributes:
        origin: `(2,)` hip midpoint.
        axis: `(2,)` unit vector hips → shoulders.
        length: hip midpoint → shoulder midpoint, pixels.
    """

    origin: np.ndarray
    axis: np.ndarray
    length: float

    @property
    def normal(self) -> np.ndarray:
        """`(2,)` unit normal to `axis` toward image-right (the runner's back when facing
        left, their front when facing right)."""
        n = np.array([-self.axis[1], self.axis[0]])
        return -n if n[0] < 0 else n

    def to_image(self, s: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Levels `s` `(K,)` and offsets `v` `(K,)` along `normal` (both trunk lengths)
        → pixels `(K, 2)`."""
        s = np.asarray(s, dtype=float)[:, None]
        v = np.asarray(v, dtype=float)[:, None]
        return self.origin + self.length * (s * self.axis + v * self.normal)


def back_side(facing: Facing) -> float:
    """+1 when the back lies along `TrunkFrame.normal` (facing left), −1 otherwise."""
    return -direction_sign(facing)


def trunk_frame(pose: Pose) -> TrunkFrame | None:
    """The trunk frame of a pose; None when the trunk is shorter than `MIN_TRUNK_PX`."""
    hips = pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)
    d = pose.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - hips
    length = float(np.hypot(*d))
    if not math.isfinite(length) or length < MIN_TRUNK_PX:
        return None
    return TrunkFrame(hips, d / length, length)


# --------------------------------------------------------------------------- the outline


def _sample(mask: np.ndarray | RoiMask, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The mask at OpenCV pixels (`x`, `y`), bilinear, 0 beyond the frame; None when the
    points' bounding box lies (almost) wholly outside a full-frame mask."""
    if isinstance(mask, RoiMask):
        return mask.sample(x, y)
    h, w = mask.shape
    x0, y0 = max(int(math.floor(x.min())) - 1, 0), max(int(math.floor(y.min())) - 1, 0)
    x1, y1 = min(int(math.ceil(x.max())) + 2, w), min(int(math.ceil(y.max())) + 2, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = mask[y0:y1, x0:x1]  # a view: only the trunk's bounding box is read
    if crop.dtype != np.float32:
        crop = crop.astype(np.float32)
    return cv2.remap(crop, x - np.float32(x0), y - np.float32(y0), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)


def _scan(mask: np.ndarray | RoiMask, origins: np.ndarray, directions: np.ndarray, step: float,
          n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """First crossing of `EDGE` along rays from `origins` `(K, 2)` (pixels) in unit
    `directions` `(K, 2)`, `step` pixels apart, up to `n_steps` steps.

    Returns the distance (pixels; NaN where the ray starts outside the mask or finds no
    crossing) and the mask's 0.8→0.2 ramp width across the edge (pixels, from the slope
    at the crossing), each `(K,)`.
    """
    k = origins.shape[0]
    dist = np.full(k, np.nan)
    ramp = np.full(k, np.nan)
    steps = np.arange(n_steps + 1, dtype=np.float32) * np.float32(step)
    # Landmark pixels have their centres at +0.5; cv2 samples pixel centres at integers.
    o = (origins - 0.5).astype(np.float32)
    d = directions.astype(np.float32)
    vals = _sample(mask, o[:, :1] + steps * d[:, :1], o[:, 1:] + steps * d[:, 1:])
    if vals is None:
        return dist, ramp
    below = vals < EDGE  # (K, n_steps + 1)
    first = np.argmax(below, axis=1)
    rows = np.flatnonzero(below[np.arange(k), first] & (first > 0))
    j = first[rows]
    a, b = vals[rows, j - 1], vals[rows, j]
    drop = np.maximum(a - b, 1e-6)
    dist[rows] = (j - 1 + (a - EDGE) / drop) * step
    ramp[rows] = 0.6 / drop * step
    return dist, ramp


def arm_segments(pose: Pose) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Both arms as segments (start `(2,)`, end `(2,)`, kind in `ARM_RADII`): upper arm,
    forearm, and hand (wrist → between the index and pinky knuckles)."""
    xy = pose.xy
    out = []
    for sh, el, wr, idx, pk in (
        (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_INDEX, L.LEFT_PINKY),
        (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_INDEX, L.RIGHT_PINKY),
    ):
        out.append((xy[sh], xy[el], "upper"))
        out.append((xy[el], xy[wr], "fore"))
        out.append((xy[wr], (xy[idx] + xy[pk]) / 2.0, "hand"))
    return out


def near_arm(points: np.ndarray, pose: Pose, length: float) -> np.ndarray:
    """`(K,)` bool: which points `(K, 2)` (pixels) lie within an arm segment's reach
    (`ARM_RADII` × `length`)."""
    segs = arm_segments(pose)
    a = np.array([s[0] for s in segs])  # (S, 2)
    ab = np.array([s[1] for s in segs]) - a
    radius = np.array([ARM_RADII[s[2]] for s in segs]) * length
    ok = np.all(np.isfinite(a) & np.isfinite(ab), axis=1)
    a, ab, radius = a[ok], ab[ok], radius[ok]
    if not len(a):
        return np.zeros(points.shape[0], dtype=bool)
    rel = points[:, None, :] - a[None]  # (K, S, 2)
    denom = np.maximum(np.einsum("sd,sd->s", ab, ab), 1e-9)
    w = np.clip(np.einsum("ksd,sd->ks", rel, ab) / denom, 0.0, 1.0)
    gap = rel - w[..., None] * ab[None]
    return np.any(np.einsum("ksd,ksd->ks", gap, gap) < radius ** 2, axis=1)


@dataclass(frozen=True)
class TrunkOutline:
    """The outline's two edges at `LEVELS`, facing-free: what `rib_cage_from_outline` needs.

    Small enough to log every frame (`pack`: `PACKED_SIZE` floats) where the mask itself
    cannot travel (worker processes, recorded sessions, replays).

    Attributes:
        t: seconds.
        frame: the trunk frame.
        right: `(N_LEVELS,)` edge distance from the axis along `frame.normal` (image-right
            side), trunk lengths; NaN where unusable (see the module doc).
        left: `(N_LEVELS,)` the same along −`frame.normal`.
        ramp_right, ramp_left: median 0.8→0.2 ramp width of each side's usable edges,
            trunk lengths (NaN without any).
    """

    t: float
    frame: TrunkFrame
    right: np.ndarray
    left: np.ndarray
    ramp_right: float
    ramp_left: float

    def __post_init__(self) -> None:
        for name in ("right", "left"):
            edge = np.asarray(getattr(self, name), dtype=float)
            if edge.shape != (N_LEVELS,):
                raise ValueError(f"TrunkOutline.{name} must be ({N_LEVELS},), got {edge.shape}")
            object.__setattr__(self, name, edge)

    def pack(self) -> np.ndarray:
        """`(PACKED_SIZE,)` float32: t, origin, axis, length, the two ramps, right, left."""
        f = self.frame
        head = [self.t, *f.origin, *f.axis, f.length, self.ramp_right, self.ramp_left]
        return np.concatenate([head, self.right, self.left]).astype(np.float32)

    @classmethod
    def unpack(cls, row: np.ndarray) -> "TrunkOutline":
        """The inverse of `pack` (to float32 precision)."""
        row = np.asarray(row, dtype=float)
        if row.shape != (PACKED_SIZE,):
            raise ValueError(f"a packed TrunkOutline is ({PACKED_SIZE},), got {row.shape}")
        frame = TrunkFrame(row[1:3].copy(), row[3:5] / np.hypot(*row[3:5]), float(row[5]))
        return cls(float(row[0]), frame, row[8:8 + N_LEVELS].copy(), row[8 + N_LEVELS:].copy(),
                   float(row[6]), float(row[7]))


#: Length of `TrunkOutline.pack()`.
PACKED_SIZE = 8 + 2 * N_LEVELS


def _median_or_nan(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def trunk_outline(mask: np.ndarray | RoiMask, pose: Pose) -> TrunkOutline | None:
    """Both edges of the outline at every level, arm levels removed; None without a trunk.

    Args:
        mask: `(H, W)` float in 0..1, the person's segmentation mask, in the same pixels
            as `pose.xy` (the model's raw landmarks of that frame); or the model's own
            crop of it (`RoiMask`), which reads the same.
        pose: the landmarks of the same frame.
    """
    if not isinstance(mask, RoiMask):
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise ValueError(f"mask must be (H, W), got {mask.shape}")
    frame = trunk_frame(pose)
    if frame is None:
        return None
    n = N_LEVELS
    axis_pts = frame.origin + (LEVELS * frame.length)[:, None] * frame.axis  # (N, 2)
    origins = np.concatenate([axis_pts, axis_pts])  # right rays, then left rays
    rays = np.repeat(np.stack([frame.normal, -frame.normal]), n, axis=0)
    step = max(MIN_STEP_PX, STEP * frame.length)
    dist, ramps = _scan(mask, origins, rays, step, int(math.ceil(MAX_DEPTH * frame.length / step)))
    dist[near_arm(origins + np.nan_to_num(dist)[:, None] * rays, pose, frame.length)] = np.nan
    ramps[~np.isfinite(dist)] = np.nan
    dist, ramps = dist / frame.length, ramps / frame.length
    return TrunkOutline(pose.t, frame, dist[:n], dist[n:],
                        _median_or_nan(ramps[:n]), _median_or_nan(ramps[n:]))


# --------------------------------------------------------------------------- the values


class LineFit(NamedTuple):
    """depth = c0 + c1·level over a range; `rms` residual and `share` of usable levels."""

    c0: float
    c1: float
    rms: float
    share: float

    def at(self, s: np.ndarray | float) -> np.ndarray | float:
        """Depth of the line at level(s) `s`."""
        return self.c0 + self.c1 * s

    @property
    def tilt_deg(self) -> float:
        """Tilt from the trunk axis, degrees, + when the upper end lies further back."""
        return math.degrees(math.atan(self.c1))


def _in(s: np.ndarray, rng: tuple[float, float]) -> np.ndarray:
    return (s >= rng[0] - 1e-9) & (s <= rng[1] + 1e-9)


def fit_line(s: np.ndarray, v: np.ndarray, rng: tuple[float, float]) -> LineFit | None:
    """Least-squares line through the usable depths `v` `(N,)` at levels `s` `(N,)` within
    `rng`; None with under `MIN_RANGE_SHARE` of them usable, fewer than 3, or when they
    span under half the range."""
    inside = _in(s, rng)
    ok = inside & np.isfinite(v)
    share = ok.sum() / max(inside.sum(), 1)
    if share < MIN_RANGE_SHARE or ok.sum() < 3:
        return None
    ss, vv = s[ok], v[ok]
    if np.ptp(ss) < 0.5 * (rng[1] - rng[0]):
        return None
    sm, vm = ss.mean(), vv.mean()
    c1 = float(((ss - sm) * (vv - vm)).sum() / ((ss - sm) ** 2).sum())
    c0 = float(vm - c1 * sm)
    rms = float(np.sqrt(np.mean((vv - c0 - c1 * ss) ** 2)))
    return LineFit(c0, c1, rms, float(share))


def arch_depth(s: np.ndarray, v: np.ndarray, pelvic: LineFit,
               thoracic: LineFit) -> tuple[float, float] | None:
    """(mean depth of the back edge in front of the chord from the pelvic line at
    `S_SACRUM` to the thoracic line at `S_SHOULDER_BLADE`, over the levels strictly
    between, unusable ones bridged linearly; share of usable levels there), or None
    under `MIN_RANGE_SHARE`."""
    between = (s > S_SACRUM + 1e-9) & (s < S_SHOULDER_BLADE - 1e-9)
    lo, hi = pelvic.at(S_SACRUM), thoracic.at(S_SHOULDER_BLADE)
    levels = s[between]
    chord = lo + (hi - lo) * (levels - S_SACRUM) / (S_SHOULDER_BLADE - S_SACRUM)
    depth = chord - v[between]  # > 0: the edge lies in front of the chord (hollow)
    ok = np.isfinite(depth)
    share = float(ok.mean()) if ok.size else 0.0
    if share < MIN_RANGE_SHARE:
        return None
    # Levels hidden by an arm are bridged linearly from their usable neighbours, so a
    # gap does not tilt the mean toward the part of the hollow that stayed visible.
    return float(np.interp(levels, levels[ok], depth[ok]).mean()), share


def _unit_ramp(x: float, good: float, bad: float) -> float:
    """1 at or below `good`, 0 at or above `bad`, linear between."""
    return float(np.clip((bad - x) / (bad - good), 0.0, 1.0))


def outline_confidence(ramp: float, pelvic: LineFit, thoracic: LineFit,
                       arch_share: float) -> float:
    """Confidence 0..1: usable share × edge sharpness × fit quality (module doc); `ramp`
    is the back edge's median ramp width (trunk lengths)."""
    coverage = min(pelvic.share, thoracic.share, arch_share)
    sharp = _unit_ramp(ramp, SHARP_RAMP, BLUR_RAMP) if math.isfinite(ramp) else 0.0
    rms = math.sqrt((pelvic.rms ** 2 + thoracic.rms ** 2) / 2.0)
    return float(np.clip(coverage * sharp * _unit_ramp(rms, FIT_RMS_OK, FIT_RMS_BAD), 0.0, 1.0))


def rib_cage_from_outline(outline: TrunkOutline, facing: Facing) -> RibCageSample | None:
    """The back and rib-cage measures from a frame's outline (module doc), with the back
    on the side away from `facing`. None when the back is too broken (arms, the image
    border) to fit both lines and read the arch."""
    side = back_side(facing)
    s, frame = LEVELS, outline.frame
    back, front = (outline.right, outline.left) if side > 0 else (outline.left, outline.right)
    pelvic = fit_line(s, back, PELVIC_RANGE)
    thoracic = fit_line(s, back, THORACIC_RANGE)
    if pelvic is None or thoracic is None:
        return None
    arch = arch_depth(s, back, pelvic, thoracic)
    if arch is None:
        return None

    rib = _in(s, (S_LOWER_RIBS - RIB_HALF_WINDOW, S_LOWER_RIBS + RIB_HALF_WINDOW))
    rib_ok = rib & np.isfinite(front)
    rib_flare = front_point = None
    if rib_ok.sum() >= max(2, MIN_RANGE_SHARE * rib.sum()):
        rib_flare = float(np.median(front[rib_ok]))
        front_point = frame.to_image(np.array([S_LOWER_RIBS]), np.array([-side * rib_flare]))[0]

    ok = np.isfinite(back)
    ends_p, ends_t = np.array(PELVIC_RANGE), np.array(THORACIC_RANGE)
    ramp = outline.ramp_right if side > 0 else outline.ramp_left
    return RibCageSample(
        t=outline.t,
        lumbar_arch=arch[0],
        thorax_pelvis_deg=thoracic.tilt_deg - pelvic.tilt_deg,
        rib_flare=rib_flare,
        confidence=outline_confidence(ramp, pelvic, thoracic, arch[1]),
        pelvic_deg=pelvic.tilt_deg,
        thoracic_deg=thoracic.tilt_deg,
        back_contour=frame.to_image(s[ok], side * back[ok]),
        pelvic_line=frame.to_image(ends_p, side * pelvic.at(ends_p)),
        thoracic_line=frame.to_image(ends_t, side * thoracic.at(ends_t)),
        front_point=front_point,
    )


def measure_rib_cage(mask: np.ndarray | RoiMask, pose: Pose, facing: Facing) -> RibCageSample | None:
    """The back and rib-cage measures of one frame (definitions in the module doc):
    `rib_cage_from_outline(trunk_outline(mask, pose), facing)`.

    Args:
        mask: `(H, W)` float in 0..1, the person's segmentation mask (MediaPipe Pose with
            `enable_segmentation=True`), in the same pixels as `pose.xy`, or its `RoiMask`:
            use the model's raw landmarks of that frame, not smoothed or roll-corrected ones.
        pose: the landmarks of the same frame.
        facing: the running direction ("left" / "right"), for which side is the back.

    Returns None when the trunk is too small (under `MIN_TRUNK_PX`), or the back outline
    too broken to fit both lines and read the arch.
    """
    outline = trunk_outline(mask, pose)
    return None if outline is None else rib_cage_from_outline(outline, facing)


# --------------------------------------------------------------------------- per stride

#: The per-stride medians `RibCageTracker.stride_values` returns (sample attribute names);
#: it adds `rib_cage_quality`, the share of the stride's frames with a confident sample.
STRIDE_VALUES: tuple[str, ...] = (
    "lumbar_arch", "thorax_pelvis_deg", "rib_flare", "pelvic_deg", "thoracic_deg",
)


#: The per-stride rib-cage values summarised in summary.json's `rib_cage` section.
SUMMARY_METRICS: tuple[str, ...] = ("thorax_pelvis_deg", "pelvic_deg", "lumbar_arch", "rib_flare")
#: The `stride_values` merged into each stride's `StrideMetrics` (fields of the same names).
STRIDE_METRICS: tuple[str, ...] = (*SUMMARY_METRICS, "rib_cage_quality")


#: Confident frames a stride's value needs. The arms cross the upper back on most frames
#: (82 % on the lab's default body, 93–94 % on its two female bodies), and a stride has 9–10
#: frames at 15 fps or 200 steps/min: with 3, those runners got no value at all; with 2 the
#: lab's per-stride SD stays 0.0026 trunk lengths and no ribs_down way changes its catches.
MIN_STRIDE_SAMPLES = 2


class RibCageTracker:
    """Keeps the last `span_s` seconds of samples; per-stride medians on demand.

    Call `update(t, sample | None)` every frame (None: no pose, no mask, or no
    measurement). `stride_values(t0, t1)` gives, for each of `STRIDE_VALUES`, the median
    over the samples in [t0, t1] with confidence ≥ `min_confidence` (None with fewer
    than `min_samples` of them), plus `rib_cage_quality`: the share of that stretch's
    frames that had such a sample (0..1, None without frames).
    """

    def __init__(self, min_confidence: float = 0.3, span_s: float = 4.0,
                 min_samples: int = MIN_STRIDE_SAMPLES) -> None:
        if span_s <= 0 or min_samples < 1 or not 0.0 <= min_confidence <= 1.0:
            raise ValueError("span_s must be > 0, min_samples >= 1, min_confidence in [0, 1]")
        self.min_confidence = min_confidence
        self.span_s = span_s
        self.min_samples = min_samples
        self._frames: deque[tuple[float, RibCageSample | None]] = deque()

    def update(self, t: float, sample: RibCageSample | None) -> None:
        """Add one frame; frames older than `span_s` before `t` drop out."""
        if self._frames and t <= self._frames[-1][0]:
            return  # out of order or repeated
        keep = sample if sample is not None and sample.confidence >= self.min_confidence else None
        self._frames.append((float(t), keep))
        while self._frames and self._frames[0][0] < t - self.span_s:
            self._frames.popleft()

    def stride_values(self, t0: float, t1: float) -> dict[str, float | None]:
        """Medians of the confident samples in [t0, t1] (see the class doc)."""
        inside = [smp for t, smp in self._frames if t0 <= t <= t1]
        good = [smp for smp in inside if smp is not None]
        out: dict[str, float | None] = {}
        for name in STRIDE_VALUES:
            vals = [v for smp in good if (v := getattr(smp, name)) is not None]
            out[name] = float(np.median(vals)) if len(vals) >= self.min_samples else None
        out["rib_cage_quality"] = len(good) / len(inside) if inside else None
        return out


# --------------------------------------------------------------------------- session


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    p10, med, p90 = np.percentile(values, [10, 50, 90])
    return {"median": round(float(med), 4), "p10": round(float(p10), 4), "p90": round(float(p90), 4),
            "n": len(values)}


#: Strides in a row `held_arch` reads the arch over: the outline way's persistence in
#: cues/rules.toml (ribs_down), so the report speaks of what the coach judged.
ARCH_HELD_STRIDES = 4


def held_arch(strides: list, baseline: dict | None) -> dict | None:
    """The deepest lumbar arch held `ARCH_HELD_STRIDES` strides in a row, in the runner's own
    stride-to-stride SDs over the baseline (`baseline["spread"]`): {"sds", "t", "strides"}
    (t: the first of those strides' contact), or None without a baseline, a spread or enough strides."""
    base = (baseline or {}).get("lumbar_arch")
    spread = ((baseline or {}).get("spread") or {}).get("lumbar_arch")
    if base is None or not spread:
        return None
    rows = [(s.t_contact, (s.lumbar_arch - base) / spread) for s in strides if s.lumbar_arch is not None]
    n = ARCH_HELD_STRIDES
    if len(rows) < n:
        return None
    floors = [(min(z for _, z in rows[i:i + n]), rows[i][0]) for i in range(len(rows) - n + 1)]
    sds, t = max(floors)
    return {"sds": round(float(sds), 2), "t": round(float(t), 3), "strides": n}


def rib_cage_summary(strides: list, baseline: dict | None) -> dict:
    """summary.json's `rib_cage` section from the strides (`StrideMetrics`) and the baseline.

    `measured`: whether any stride had an outline; `quality`: the median share of a
    stride's frames with a confident outline; each of `SUMMARY_METRICS` as median/p10/p90/n
    over the strides that had it; `vs_baseline`: each median minus the runner's calibrated
    baseline (None before calibration or when either is unknown); `held_arch`: see
    `held_arch` (after the baseline's end only).
    """
    measured = [s for s in strides if s.rib_cage_quality is not None]
    out: dict = {"measured": bool(measured),
                 "quality": round(float(np.median([s.rib_cage_quality for s in measured])), 3) if measured else None}
    relative: dict[str, float | None] = {}
    for name in SUMMARY_METRICS:
        spread = _spread([v for s in measured if (v := getattr(s, name)) is not None])
        out[name] = spread
        base = (baseline or {}).get(name)
        relative[name] = None if spread is None or base is None else round(spread["median"] - float(base), 4)
    out["vs_baseline"] = relative
    t_end = (baseline or {}).get("t_end")
    after = [s for s in measured if t_end is None or s.t_contact >= t_end]
    out["held_arch"] = held_arch(after, baseline)
    return out
