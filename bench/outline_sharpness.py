"""Does a sharper outline make the rib-cage values less noisy, and at what cost?

MediaPipe Pose's segmentation mask is made at 256×256 over the whole person's ROI: on
the treadmill clip the trunk is about 60 mask pixels long and the pelvic range (0.3 trunk
lengths) about 18. Each *variant* here gives another mask for the same frame (and the
landmarks moved into that mask's pixels); the rib-cage values are then read exactly as
the app does, `rib_cage_from_outline(trunk_outline(mask, pose), facing)`, with the
landmarks of the normal pose model (complexity 1, tracking mode, frames in order).

Variants (`--variants`, comma-separated names):

- `pose`: the pose model's own mask (today's app), and the same mask read at other
  levels than 0.5 (`--edges`, e.g. `pose@0.7`);
- `smoothed` (a diagnostic): the pose mask read with the app's One Euro-smoothed
  landmarks instead of the raw ones (does the flicker come from the landmarks?);
- `pose-crop`: the pose mask cut to the trunk crop below and resized to 256 px (a check
  of the crop's coordinates: it should read like `pose`);
- `guided`: the pose mask in the trunk crop, refined by a guided filter on the crop's
  image (cv2.ximgproc, radius/eps from `--guided`);
- `selfie0`, `selfie1`: MediaPipe SelfieSegmentation (general / landscape model) run on
  a square crop around the hip–shoulder segment, padded by `--pads` trunk lengths each
  side (one variant per pad, e.g. `selfie0/p0.6`), resized to 256×256; the outline is
  read from that crop's mask with the landmarks moved into crop pixels;
- `pose2`: the mask of a second pose model with `model_complexity=2` (with the normal
  model's landmarks, and `pose2/own` with its own landmarks: what adopting it means).
  Skipped when `pose_landmark_heavy.tflite` is absent: the mediapipe wheel bundles only
  the complexity-1 model and would download the heavy one.

Reported per variant, on the clip (runner faces left) and its mirror (faces right):
the share of frames with a sample and with confidence ≥ 0.3; for `thorax_pelvis_deg`,
`pelvic_deg`, `lumbar_arch` over confident samples: first half (t < 12 s) median and
p10..p90 of the per-frame values and of the 1-second medians, second half (t ≥ 12.5 s)
median, the shift, the shift over the first half's 1-s p10..p90 spread ("clarity"),
and how far the clip's and the mirror's shifts disagree (% of their mean); and the
variant's extra time per frame (ms, perf_counter around the extra work only: crop,
resize, second model; for `pose2`, its model time minus the normal model's; variants
run side by side, so time the one you care about alone with `--variants`).

Also, to tell noise from signal: the back edge's ramp (sharpness) and frame-to-frame
flicker; each value's per-frame σ and its frame-to-frame (white) part; the frame-by-frame
clip-vs-mirror difference (the same image flipped: what differs is measurement noise);
a block-bootstrap standard error of each shift (stride-long blocks) and of the
clip-vs-mirror disagreement (paired); and the spread of stride-long medians beside the
1-s ones (a 1-s bin holds 1.4 strides, so it mixes gait phases unevenly).

    .venv/bin/python bench/outline_sharpness.py [--mirror /tmp/arched_mirror.avi]

Without `--mirror` the mirror is made on the fly (cv2.flip of every decoded frame).
The clips are read where they are (`--clips`, default ../shared/data/clips); nothing is
copied into the repository. Single process; run it on an idle machine for the timings.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"
CLIP = "treadmill_side_left_then_arched.mp4"

ARCH_START_S = 12.0  # the arched half starts here
SECOND_HALF_S = 12.5  # ... and is read from here (past the warp's onset)
MIN_CONFIDENCE = 0.3  # as `RibCageTracker`
METRICS = ("thorax_pelvis_deg", "pelvic_deg", "lumbar_arch")
STRIDE_S = 2 * 60.0 / 168.9  # the clip's stride (clips README: 168.9 steps/min)
CROP_PX = 256  # side of the trunk crop given to the crop variants


# --------------------------------------------------------------------------- frames


def frames(path: Path, flip: bool) -> Iterator[tuple[float, np.ndarray]]:
    """(t, BGR image) of every frame of a clip, in order; mirrored when `flip`."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    index = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                return
            yield index / fps, cv2.flip(image, 1) if flip else image
            index += 1
    finally:
        cap.release()


# --------------------------------------------------------------------------- the trunk crop


@dataclass(frozen=True)
class Crop:
    """A square of the frame: top-left `(x0, y0)` and side `size` (integer pixels),
    resized to `out` pixels. Frame pixels p → crop pixels (p − (x0, y0)) · out / size."""

    x0: int
    y0: int
    size: int
    out: int

    @property
    def scale(self) -> float:
        return self.out / self.size

    def cut(self, image: np.ndarray, interpolation: int) -> np.ndarray:
        """The square of `image` (outside the frame: zeros), resized to `out`×`out`."""
        import cv2

        h, w = image.shape[:2]
        x0, y0, x1, y1 = self.x0, self.y0, self.x0 + self.size, self.y0 + self.size
        part = image[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            part = cv2.copyMakeBorder(part, max(-y0, 0), max(y1 - h, 0), max(-x0, 0), max(x1 - w, 0),
                                      cv2.BORDER_CONSTANT, value=0)
        return cv2.resize(part, (self.out, self.out), interpolation=interpolation)

    def pose(self, pose):
        """The pose with its landmarks in crop pixels."""
        return replace(pose, xy=(pose.xy - (self.x0, self.y0)) * self.scale)


def trunk_crop(pose, pad: float, out: int = CROP_PX) -> Crop | None:
    """A square around the hip–shoulder segment, centred on it, side (1 + 2·pad) trunk
    lengths; None without a trunk."""
    from realtime.analysis.rib_cage import trunk_frame

    frame = trunk_frame(pose)
    if frame is None:
        return None
    centre = frame.origin + 0.5 * frame.length * frame.axis
    size = round((1.0 + 2.0 * pad) * frame.length)
    x0, y0 = (round(float(c) - size / 2.0) for c in centre)
    return Crop(x0, y0, size, out)


# --------------------------------------------------------------------------- variants


@dataclass
class Frame:
    """One frame as the variants see it."""

    t: float
    bgr: np.ndarray
    rgb: np.ndarray
    pose: object  # realtime.core.pose.Pose (normal model's landmarks, frame pixels)
    mask: np.ndarray  # the normal model's mask, frame pixels
    pose_ms: float  # the normal model's time on this frame


#: One reading of a variant: label → (mask, pose in the mask's pixels, edge level).
Readings = dict[str, tuple[np.ndarray, object, float]]


class Variant:
    """Gives masks for a frame; `extra_ms` is appended by `run` for each frame."""

    name = "?"

    def __init__(self) -> None:
        self.extra_ms: list[float] = []

    def labels(self) -> list[str]:
        raise NotImplementedError

    def run(self, fr: Frame) -> Readings:
        raise NotImplementedError

    def close(self) -> None:
        pass

    @contextmanager
    def timed(self, share: float = 1.0, minus_ms: float = 0.0) -> Iterator[None]:
        """Appends the block's wall time to `extra_ms` (ms, × `share`, − `minus_ms`),
        however the block ends."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.extra_ms.append((time.perf_counter() - start) * 1e3 * share - minus_ms)


class PoseMask(Variant):
    """The pose model's own mask (no extra work), read at each of `edges`."""

    name = "pose"

    def __init__(self, edges: list[float]) -> None:
        super().__init__()
        self.edges = edges

    def _label(self, e: float) -> str:
        return "pose" if e == 0.5 else f"pose@{e:g}"

    def labels(self) -> list[str]:
        return [self._label(e) for e in self.edges]

    def run(self, fr: Frame) -> Readings:
        self.extra_ms.append(0.0)
        return {self._label(e): (fr.mask, fr.pose, e) for e in self.edges}


class SmoothedLandmarks(Variant):
    """A diagnostic, not a mask: the pose mask read with the app's One Euro-smoothed
    landmarks (`realtime.analysis.smoothing.PoseSmoother`, causal) instead of the raw ones. If the
    values steady much, the flicker comes from the landmarks, not from the mask."""

    name = "pose/smoothed-landmarks"

    def __init__(self) -> None:
        super().__init__()
        from realtime.analysis.smoothing import PoseSmoother

        self._smoother = PoseSmoother()

    def labels(self) -> list[str]:
        return [self.name]

    def run(self, fr: Frame) -> Readings:
        with self.timed():
            pose = self._smoother.update(fr.t, fr.pose)
        return {self.name: (fr.mask, pose, 0.5)}


class PoseMaskCrop(Variant):
    """The pose mask cut to the trunk crop (checks the crop's coordinates)."""

    name = "pose-crop"

    def __init__(self, pad: float) -> None:
        super().__init__()
        self.pad = pad

    def labels(self) -> list[str]:
        return [f"pose-crop/p{self.pad:g}"]

    def run(self, fr: Frame) -> Readings:
        import cv2

        with self.timed():
            crop = trunk_crop(fr.pose, self.pad)
            if crop is None:
                return {}
            return {self.labels()[0]: (crop.cut(fr.mask, cv2.INTER_LINEAR), crop.pose(fr.pose), 0.5)}


class Guided(Variant):
    """The pose mask in the trunk crop, guided-filtered on the crop's image."""

    name = "guided"

    def __init__(self, pad: float, settings: list[tuple[int, float]]) -> None:
        super().__init__()
        self.pad = pad
        self.settings = settings

    def labels(self) -> list[str]:
        return [f"guided/r{r}e{e:g}" for r, e in self.settings]

    def run(self, fr: Frame) -> Readings:
        import cv2

        out: Readings = {}
        # all settings are timed together; one of them alone costs about 1/len(settings)
        with self.timed(share=1.0 / max(len(self.settings), 1)):
            crop = trunk_crop(fr.pose, self.pad)
            if crop is not None:
                guide = crop.cut(fr.bgr, cv2.INTER_AREA).astype(np.float32) * np.float32(1.0 / 255.0)
                mask = crop.cut(fr.mask, cv2.INTER_LINEAR)
                pose = crop.pose(fr.pose)
                for label, (r, e) in zip(self.labels(), self.settings):
                    refined = cv2.ximgproc.guidedFilter(guide, mask, r, e)
                    out[label] = (np.clip(refined, 0.0, 1.0), pose, 0.5)
        return out


class Selfie(Variant):
    """MediaPipe SelfieSegmentation on a square trunk crop."""

    def __init__(self, model_selection: int, pad: float) -> None:
        super().__init__()
        import mediapipe as mp

        self.name = f"selfie{model_selection}/p{pad:g}"
        self.pad = pad
        self._model = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=model_selection)

    def labels(self) -> list[str]:
        return [self.name]

    def run(self, fr: Frame) -> Readings:
        import cv2

        with self.timed():
            crop = trunk_crop(fr.pose, self.pad)
            if crop is None:
                return {}
            mask = self._model.process(crop.cut(fr.rgb, cv2.INTER_AREA)).segmentation_mask
            return {} if mask is None else {self.name: (mask, crop.pose(fr.pose), 0.5)}

    def close(self) -> None:
        self._model.close()


class Pose2(Variant):
    """A second pose model with model_complexity=2: its mask with the normal model's
    landmarks, and (`pose2/own`) with its own."""

    name = "pose2"

    def __init__(self) -> None:
        super().__init__()
        self._model = make_pose_model(2)

    def labels(self) -> list[str]:
        return ["pose2", "pose2/own"]

    def run(self, fr: Frame) -> Readings:
        from realtime.models.estimator import pose_from_mediapipe

        with self.timed(minus_ms=fr.pose_ms):
            result = self._model.process(fr.rgb)
        h, w = fr.rgb.shape[:2]
        own = pose_from_mediapipe(result, w, h, fr.t)
        mask = getattr(result, "segmentation_mask", None)
        if mask is None:
            return {}
        out: Readings = {"pose2": (mask, fr.pose, 0.5)}
        if own is not None:
            out["pose2/own"] = (mask, own, 0.5)
        return out

    def close(self) -> None:
        self._model.close()


def make_pose_model(complexity: int):
    """MediaPipe Pose as `realtime.models.estimator.PoseEstimator` builds it (tracking mode)."""
    import mediapipe as mp

    from realtime.models.estimator import EstimatorConfig

    cfg = EstimatorConfig(model_complexity=complexity)
    return mp.solutions.pose.Pose(
        static_image_mode=False, model_complexity=cfg.model_complexity, smooth_landmarks=True,
        enable_segmentation=True, smooth_segmentation=cfg.smooth_segmentation,
        min_detection_confidence=cfg.min_detection_confidence,
        min_tracking_confidence=cfg.min_tracking_confidence)


def heavy_model_present() -> bool:
    """Whether model_complexity=2 can start offline (the wheel bundles only the full model;
    MediaPipe downloads the heavy one into its package folder on first use)."""
    import mediapipe as mp

    return (Path(mp.__file__).parent / "modules/pose_landmark/pose_landmark_heavy.tflite").is_file()


def build_variants(a: argparse.Namespace) -> list[Variant]:
    edges = [float(x) for x in a.edges.split(",") if x]
    pads = [float(x) for x in a.pads.split(",") if x]
    guided = [(int(r), float(e)) for r, e in (s.split(":") for s in a.guided.split(",") if s)]
    out: list[Variant] = []
    for name in a.variants.split(","):
        if name == "pose":
            out.append(PoseMask(sorted({0.5, *edges})))
        elif name == "smoothed":
            out.append(SmoothedLandmarks())
        elif name == "pose-crop":
            out.append(PoseMaskCrop(pads[0]))
        elif name == "guided":
            out.append(Guided(pads[0], guided))
        elif name in ("selfie0", "selfie1"):
            out.extend(Selfie(int(name[-1]), p) for p in pads)
        elif name == "pose2":
            if heavy_model_present():
                out.append(Pose2())
            else:
                print("pose2 skipped: pose_landmark_heavy.tflite is not in the mediapipe wheel and "
                      "would be downloaded (no network here)", file=sys.stderr)
        elif name:
            raise SystemExit(f"unknown variant {name!r}")
    return out


# --------------------------------------------------------------------------- one pass


@contextmanager
def edge_level(level: float) -> Iterator[None]:
    """Read the outline at another mask level than `rib_cage.EDGE` (0.5)."""
    from realtime.analysis import rib_cage

    old = rib_cage.EDGE
    rib_cage.EDGE = level
    try:
        yield
    finally:
        rib_cage.EDGE = old


@dataclass
class Series:
    """One label's samples over a clip."""

    n_frames: int = 0
    index: list[int] = field(default_factory=list)  # frame index of each sample
    t: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    confidence: list[float] = field(default_factory=list)
    ramp: list[float] = field(default_factory=list)  # back edge's 0.8→0.2 ramp, trunk lengths
    outline_ms: list[float] = field(default_factory=list)
    #: frame index → the back edge's depth at each level (trunk lengths), every outline
    back: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass
class Pass:
    """All labels over one clip, plus the variants' and the normal model's times."""

    series: dict[str, Series]
    extra_ms: dict[str, list[float]]
    pose_ms: list[float]


def run_pass(path: Path, flip: bool, facing: str, variants: list[Variant], limit_s: float | None) -> Pass:
    """Every frame of a clip (mirrored on the fly when `flip`), the runner facing `facing`."""
    import cv2

    from realtime.analysis.rib_cage import rib_cage_from_outline, trunk_outline
    from realtime.models.estimator import pose_from_mediapipe

    model = make_pose_model(1)
    labels = [lab for v in variants for lab in v.labels()]
    series = {lab: Series() for lab in labels}
    pose_ms: list[float] = []
    back_is_right = facing == "left"  # the back lies along TrunkFrame.normal (image-right)
    for i, (t, bgr) in enumerate(frames(path, flip)):
        if limit_s is not None and t >= limit_s:
            break
        for s in series.values():
            s.n_frames += 1
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        start = time.perf_counter()
        result = model.process(rgb)
        ms = (time.perf_counter() - start) * 1e3
        pose_ms.append(ms)
        h, w = bgr.shape[:2]
        pose = pose_from_mediapipe(result, w, h, t)
        mask = getattr(result, "segmentation_mask", None)
        if pose is None or mask is None:
            continue
        fr = Frame(t, bgr, rgb, pose, mask, ms)
        for variant in variants:
            for label, (m, p, edge) in variant.run(fr).items():
                start = time.perf_counter()
                with edge_level(edge):
                    outline = trunk_outline(m, p)
                s = series[label]
                s.outline_ms.append((time.perf_counter() - start) * 1e3)
                if outline is None:
                    continue
                s.back[i] = outline.right if back_is_right else outline.left
                sample = rib_cage_from_outline(outline, facing)
                if sample is None:
                    continue
                s.index.append(i)
                s.t.append(t)
                s.confidence.append(sample.confidence)
                s.ramp.append(outline.ramp_right if back_is_right else outline.ramp_left)
                for metric in METRICS:
                    s.values[metric].append(getattr(sample, metric))
    model.close()
    return Pass(series, {v.name: v.extra_ms for v in variants}, pose_ms)


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Shift:
    """The first half vs the second half of one metric on one clip."""

    first: float
    frame_p10: float
    frame_p90: float
    sec_p10: float
    sec_p90: float
    second: float
    stride_width: float  # p10..p90 width of the first half's stride-long medians
    shift_se: float  # bootstrap standard error of the shift (stride-long blocks)

    @property
    def shift(self) -> float:
        return self.second - self.first

    @property
    def clarity(self) -> float:
        spread = self.sec_p90 - self.sec_p10
        return self.shift / spread if spread > 0 else math.nan

    @property
    def stride_clarity(self) -> float:
        return self.shift / self.stride_width if self.stride_width > 0 else math.nan


def bin_medians(t: np.ndarray, v: np.ndarray, t0: float, t1: float, width: float = 1.0,
                min_n: int = 3) -> np.ndarray:
    """Medians of `v` over consecutive bins of `width` seconds from `t0` (whole bins before
    `t1`) with at least `min_n` values each."""
    out = []
    for a in np.arange(t0, t1 - width + 1e-9, width):
        inside = (t >= a) & (t < a + width)
        if inside.sum() >= min_n:
            out.append(np.median(v[inside]))
    return np.asarray(out)


def block_bootstrap_se(t: np.ndarray, v: np.ndarray, first: np.ndarray, second: np.ndarray,
                       n_boot: int = 400, seed: int = 0) -> float:
    """Standard error of median(second) − median(first), resampling stride-long blocks of
    frames within each half (the values are correlated over a stride, so frames are not
    independent draws)."""
    rng = np.random.default_rng(seed)
    halves = []
    for sel in (first, second):
        blocks = np.floor(t[sel] / STRIDE_S).astype(int)
        vals = v[sel]
        halves.append([vals[blocks == b] for b in np.unique(blocks)])
    shifts = []
    for _ in range(n_boot):
        meds = [np.median(np.concatenate([blocks[i] for i in rng.integers(0, len(blocks), len(blocks))]))
                for blocks in halves]
        shifts.append(meds[1] - meds[0])
    return float(np.std(shifts))


def shift_of(s: Series, metric: str) -> Shift | None:
    t, v, c = np.asarray(s.t), np.asarray(s.values[metric]), np.asarray(s.confidence)
    good = c >= MIN_CONFIDENCE
    first, second = good & (t < ARCH_START_S), good & (t >= SECOND_HALF_S)
    if first.sum() < 10 or second.sum() < 10:
        return None
    secs = bin_medians(t[first], v[first], 0.0, ARCH_START_S)
    strides = bin_medians(t[first], v[first], 0.0, ARCH_START_S, STRIDE_S)
    if secs.size < 3 or strides.size < 3:
        return None
    f10, f90 = np.percentile(v[first], [10, 90])
    s10, s90 = np.percentile(secs, [10, 90])
    r10, r90 = np.percentile(strides, [10, 90])
    return Shift(float(np.median(v[first])), float(f10), float(f90), float(s10), float(s90),
                 float(np.median(v[second])), float(r90 - r10), block_bootstrap_se(t, v, first, second))


def disagreement(a: Shift | None, b: Shift | None) -> float:
    """|shift a − shift b| in % of their mean size."""
    if a is None or b is None:
        return math.nan
    mean = (abs(a.shift) + abs(b.shift)) / 2.0
    return 100.0 * abs(a.shift - b.shift) / mean if mean > 0 else math.nan


def paired_disagreement_se(a: Series, b: Series, metric: str, n_boot: int = 400, seed: int = 0) -> float:
    """The sampling error of `disagreement` (percentage points) by a paired block bootstrap:
    the same stride-long blocks of frames are drawn for both clips (they are the same
    footage, so their errors are correlated and must not be taken as independent)."""
    rng = np.random.default_rng(seed)
    cols = []
    for s in (a, b):
        t, v, c = np.asarray(s.t), np.asarray(s.values[metric]), np.asarray(s.confidence)
        good = c >= MIN_CONFIDENCE
        block = np.floor(t / STRIDE_S).astype(int)
        cols.append((block, v, good & (t < ARCH_START_S), good & (t >= SECOND_HALF_S)))
    ids = [np.unique(np.concatenate([col[0][col[k]] for col in cols])) for k in (2, 3)]
    out = []
    for _ in range(n_boot):
        draw = [rng.choice(i, i.size) for i in ids]
        shifts = []
        for block, v, first, second in cols:
            meds = []
            for sel, d in ((first, draw[0]), (second, draw[1])):
                counts = np.bincount(d, minlength=block.max() + 1)
                weights = counts[block[sel]]  # each frame as many times as its block was drawn
                meds.append(np.median(np.repeat(v[sel], weights)) if weights.sum() else math.nan)
            shifts.append(meds[1] - meds[0])
        mean = (abs(shifts[0]) + abs(shifts[1])) / 2.0
        out.append(100.0 * abs(shifts[0] - shifts[1]) / mean if mean > 0 else math.nan)
    out = np.asarray(out)
    return float(np.nanstd(out))


def white_sigma(index: np.ndarray, v: np.ndarray) -> float:
    """The frame-to-frame (white) part of a series' noise: from the second differences
    v[i] − (v[i−1] + v[i+1]) / 2 over consecutive frames, robust σ (1.4826·MAD-about-0,
    / √1.5, the variance of that difference for white noise of σ = 1). Slow changes
    (the stride's shape, the arch itself) hardly enter it."""
    where = {int(i): k for k, i in enumerate(index)}
    d2 = [v[k] - (v[where[i - 1]] + v[where[i + 1]]) / 2.0
          for i, k in where.items() if i - 1 in where and i + 1 in where]
    d2 = np.asarray(d2, dtype=float)
    d2 = d2[np.isfinite(d2)]
    return float(1.4826 * np.median(np.abs(d2)) / math.sqrt(1.5)) if d2.size >= 10 else math.nan


def robust_sigma(v: np.ndarray) -> float:
    """σ from the p10..p90 width (normal: 2.563 σ)."""
    if v.size < 10:
        return math.nan
    p10, p90 = np.percentile(v, [10, 90])
    return float((p90 - p10) / 2.563)


def first_half_confident(s: Series) -> np.ndarray:
    t, c = np.asarray(s.t), np.asarray(s.confidence)
    return (c >= MIN_CONFIDENCE) & (t < ARCH_START_S)


def edge_jitter(s: Series, fps: float = 30.0) -> float:
    """`white_sigma` of the back edge's depth, pooled over the levels, first half (trunk
    lengths): how much the outline itself flickers from frame to frame."""
    keys = sorted(k for k in s.back if k / fps < ARCH_START_S)
    d2 = []
    for i in keys:
        if i - 1 in s.back and i + 1 in s.back:
            d2.append(s.back[i] - (s.back[i - 1] + s.back[i + 1]) / 2.0)
    if not d2:
        return math.nan
    d = np.concatenate(d2)
    d = d[np.isfinite(d)]
    return float(1.4826 * np.median(np.abs(d)) / math.sqrt(1.5)) if d.size >= 10 else math.nan


def pct(x: list[float], q: float) -> float:
    return float(np.percentile(x, q)) if len(x) else math.nan


# --------------------------------------------------------------------------- tables

DIGITS = {"thorax_pelvis_deg": 1, "pelvic_deg": 1, "lumbar_arch": 4}


def coverage_table(passes: dict[str, Pass], labels: list[str], owner: dict[str, str]) -> None:
    print("| variant | clip | frames | with sample | conf ≥ 0.3 | extra ms p50 | extra ms p95 | outline ms p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for label in labels:
        for clip, p in passes.items():
            s = p.series[label]
            n = max(s.n_frames, 1)
            conf = sum(c >= MIN_CONFIDENCE for c in s.confidence)
            extra = p.extra_ms[owner[label]]
            print(f"| {label} | {clip} | {s.n_frames} | {len(s.t) / n:.0%} | {conf / n:.0%} | "
                  f"{pct(extra, 50):.2f} | {pct(extra, 95):.2f} | {pct(s.outline_ms, 50):.2f} |")
    for clip, p in passes.items():
        print(f"\nnormal pose model (complexity 1, mask on), {clip}: {pct(p.pose_ms, 50):.1f} ms p50, "
              f"{pct(p.pose_ms, 95):.1f} ms p95")


def noise_table(passes: dict[str, Pass], labels: list[str]) -> None:
    """How sharp and how steady each variant's outline is, and how much of each value's
    per-frame spread is frame-to-frame flicker (the part a sharper mask could remove)
    rather than slow change over the stride. First half, confident samples."""
    print("\n### Noise (first half): edge ramp and flicker; per-frame σ (robust, from p10..p90) "
          "and its frame-to-frame part (σ of the white part)\n")
    head = " | ".join(f"{m} σ | {m} flicker σ" for m in METRICS)
    print(f"| variant | clip | back-edge ramp p50 (L) | back-edge flicker σ (L) | {head} |")
    print("|---|---|---|---|" + "---|" * (2 * len(METRICS)))
    for label in labels:
        for clip, p in passes.items():
            s = p.series[label]
            ok = first_half_confident(s)
            idx = np.asarray(s.index)[ok]
            cells = []
            for metric in METRICS:
                d = DIGITS[metric]
                v = np.asarray(s.values[metric])[ok]
                cells += [f"{robust_sigma(v):.{d}f}", f"{white_sigma(idx, v):.{d}f}"]
            ramp = np.asarray(s.ramp)[ok]
            print(f"| {label} | {clip} | {np.nanmedian(ramp) if ramp.size else math.nan:.3f} | "
                  f"{edge_jitter(s):.4f} | " + " | ".join(cells) + " |")


def confident_by_frame(s: Series, metric: str) -> dict[int, float]:
    return {int(i): v for i, v, c in zip(s.index, s.values[metric], s.confidence) if c >= MIN_CONFIDENCE}


def mirror_table(passes: dict[str, Pass], labels: list[str]) -> None:
    """Frame by frame, clip vs mirror: the mirror is the very same image flipped, so
    whatever the runner's body does shows the same on both; the difference is what the
    model (landmarks and mask) makes of the flip: measurement noise. σ/√2 is that noise
    per clip, if independent."""
    if len(passes) < 2:
        return
    a, b = list(passes.values())[:2]
    print("\n### Frame by frame, clip vs mirror (frames confident on both): robust σ of the "
          "difference, and σ/√2 = the measurement noise per frame\n")
    head = " | ".join(f"{m} diff σ | noise σ" for m in METRICS)
    print(f"| variant | paired frames | {head} |")
    print("|---|---|" + "---|" * (2 * len(METRICS)))
    for label in labels:
        cells, paired = [], 0
        for metric in METRICS:
            va, vb = confident_by_frame(a.series[label], metric), confident_by_frame(b.series[label], metric)
            both = sorted(set(va) & set(vb))
            paired = len(both)
            diff = np.asarray([va[i] - vb[i] for i in both])
            sigma = robust_sigma(diff)
            d = DIGITS[metric]
            cells += [f"{sigma:.{d}f}", f"{sigma / math.sqrt(2):.{d}f}"]
        n = max(a.series[label].n_frames, 1)
        print(f"| {label} | {paired / n:.0%} | " + " | ".join(cells) + " |")


def metric_table(passes: dict[str, Pass], labels: list[str], metric: str) -> None:
    d = DIGITS[metric]
    print(f"\n### {metric}\n")
    print("| variant | clip | 1st-half median | per-frame p10..p90 (width) | 1-s medians p10..p90 (width) "
          "| 2nd-half median | shift | shift / 1-s width | clip vs mirror |")
    print("|---|---|---|---|---|---|---|---|---|")
    names = list(passes)
    for label in labels:
        shifts = {clip: shift_of(p.series[label], metric) for clip, p in passes.items()}
        gap = disagreement(*(shifts[c] for c in names[:2])) if len(names) >= 2 else math.nan
        for i, (clip, sh) in enumerate(shifts.items()):
            tail = f"{gap:.0f}%" if i == len(shifts) - 1 and math.isfinite(gap) else ""
            if sh is None:
                print(f"| {label} | {clip} | – | – | – | – | – | – | {tail} |")
                continue
            print(f"| {label} | {clip} | {sh.first:+.{d}f} | {sh.frame_p10:+.{d}f}..{sh.frame_p90:+.{d}f} "
                  f"({sh.frame_p90 - sh.frame_p10:.{d}f}) | {sh.sec_p10:+.{d}f}..{sh.sec_p90:+.{d}f} "
                  f"({sh.sec_p90 - sh.sec_p10:.{d}f}) | {sh.second:+.{d}f} | {sh.shift:+.{d}f} | "
                  f"{sh.clarity:.2f} | {tail} |")


def summary_table(passes: dict[str, Pass], labels: list[str]) -> None:
    names = list(passes)
    print("\n### Summary: shift ± bootstrap SE (clip / mirror); clip-vs-mirror disagreement ± its SE (paired bootstrap); "
          "clarity = shift / first-half p10..p90 width of 1-s medians, and of stride-long medians "
          "(clip / mirror)\n")
    head = " | ".join(f"{m} shift | disagree | clarity 1-s | clarity stride" for m in METRICS)
    print(f"| variant | {head} |")
    print("|---|" + "---|" * (4 * len(METRICS)))
    for label in labels:
        cells = []
        for metric in METRICS:
            d = DIGITS[metric]
            sh = [shift_of(passes[c].series[label], metric) for c in names]
            if any(x is None for x in sh):
                cells += ["–"] * 4
                continue
            cells.append(" / ".join(f"{x.shift:+.{d}f}±{x.shift_se:.{d}f}" for x in sh))
            if len(sh) >= 2:
                se = paired_disagreement_se(passes[names[0]].series[label], passes[names[1]].series[label], metric)
                cells.append(f"{disagreement(*sh[:2]):.0f}±{se:.0f}%")
            else:
                cells.append("–")
            cells.append(" / ".join(f"{x.clarity:.2f}" for x in sh))
            cells.append(" / ".join(f"{x.stride_clarity:.2f}" for x in sh))
        print(f"| {label} | " + " | ".join(cells) + " |")


# --------------------------------------------------------------------------- main


def dump(path: Path, passes: dict[str, Pass]) -> None:
    """Per-frame values of every clip and label, as `clip|label|field` arrays."""
    out = {}
    for clip, p in passes.items():
        out[f"{clip}|pose_ms"] = np.asarray(p.pose_ms)
        for label, s in p.series.items():
            key = f"{clip}|{label}"
            out[f"{key}|index"] = np.asarray(s.index)
            out[f"{key}|confidence"] = np.asarray(s.confidence)
            for metric in METRICS:
                out[f"{key}|{metric}"] = np.asarray(s.values[metric])
            out[f"{key}|back_index"] = np.asarray(sorted(s.back))
            out[f"{key}|back"] = np.asarray([s.back[i] for i in sorted(s.back)])
        for name, ms in p.extra_ms.items():
            out[f"{clip}|{name}|extra_ms"] = np.asarray(ms)
    np.savez_compressed(path, **out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, default=CLIPS, help="folder of the shared clips")
    ap.add_argument("--clip", default=CLIP, help="the normal-then-arched clip (runner faces left)")
    ap.add_argument("--mirror", type=Path, default=None,
                    help="the mirrored clip (e.g. made by tests.test_clips.write_clip(flip=True)); "
                         "default: mirror every decoded frame on the fly")
    ap.add_argument("--variants", default="pose,smoothed,pose-crop,guided,selfie0,selfie1,pose2")
    ap.add_argument("--edges", default="0.3,0.7", help="mask levels read from the pose mask besides 0.5")
    ap.add_argument("--pads", default="0.6,0.35", help="trunk-crop padding, trunk lengths each side "
                                                      "(the first one also for pose-crop and guided)")
    ap.add_argument("--guided", default="4:0.001,8:0.01", help="guided-filter radius:eps pairs (crop pixels; "
                                                              "image in 0..1)")
    ap.add_argument("--seconds", type=float, default=None, help="read only the first seconds (a quick check)")
    ap.add_argument("--dump", type=Path, default=None, help="also save the per-frame values (.npz)")
    ap.add_argument("--only", choices=("clip", "mirror"), default=None, help="run one of the two")
    a = ap.parse_args()

    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    clip = a.clips / a.clip
    runs = {"clip": (clip, False), "mirror": (a.mirror, False) if a.mirror else (clip, True)}
    if a.only:
        runs = {a.only: runs[a.only]}
    passes = {}
    for name, (path, flip) in runs.items():
        print(f"{name}: {path}{' (mirrored on the fly)' if flip else ''}", file=sys.stderr, flush=True)
        variants = build_variants(a)  # fresh models: no tracking state from the other clip
        labels = [lab for v in variants for lab in v.labels()]
        owner = {lab: v.name for v in variants for lab in v.labels()}
        passes[name] = run_pass(path, flip, "right" if name == "mirror" else "left", variants, a.seconds)
        for v in variants:
            v.close()

    if a.dump:
        dump(a.dump, passes)
    print(f"## Outline sharpness: {a.clip} (clip) and its mirror\n")
    coverage_table(passes, labels, owner)
    noise_table(passes, labels)
    mirror_table(passes, labels)
    for metric in METRICS:
        metric_table(passes, labels, metric)
    summary_table(passes, labels)


if __name__ == "__main__":
    main()
