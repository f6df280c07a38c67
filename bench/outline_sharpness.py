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

Reported per variant, on the clip (runner faces left) and its mirror (faces right):
the share of frames with a sample and with confidence ≥ 0.3; for `thorax_pelvis_deg`,
`pelvic_deg`, `lumbar_arch` over confident samples: first half (t < 12 s) median and
p10..p90 of the per-frame values and of the 1-second medians, second half (t ≥ 12.5 s)
median, the shift, the shift over the first half's 1-s p10..p90 spread ("clarity"),
and how far the clip's and the mirror's shifts disagree (% of their mean); and the
variant's extra time per frame (ms, perf_counter around the extra work only: crop,
resize, second model; for `pose2`, its model time minus the normal model's).

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
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"
CLIP = "treadmill_side_left_then_arched.mp4"

ARCH_START_S = 12.0  # the arched half starts here
SECOND_HALF_S = 12.5  # ... and is read from here (past the warp's onset)
MIN_CONFIDENCE = 0.3  # as `RibCageTracker`
METRICS = ("thorax_pelvis_deg", "pelvic_deg", "lumbar_arch")
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
    from realtime.rib_cage import trunk_frame

    frame = trunk_frame(pose)
    if frame is None:
        return None
    centre = frame.origin + 0.5 * frame.length * frame.axis
    size = int(round((1.0 + 2.0 * pad) * frame.length))
    x0, y0 = (int(round(c - size / 2.0)) for c in centre)
    return Crop(x0, y0, size, out)


# --------------------------------------------------------------------------- variants


@dataclass
class Frame:
    """One frame as the variants see it."""

    t: float
    bgr: np.ndarray
    rgb: np.ndarray
    pose: object  # realtime.pose.Pose (normal model's landmarks, frame pixels)
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

        start = time.perf_counter()
        crop = trunk_crop(fr.pose, self.pad)
        if crop is None:
            self.extra_ms.append((time.perf_counter() - start) * 1e3)
            return {}
        mask = crop.cut(fr.mask, cv2.INTER_LINEAR)
        pose = crop.pose(fr.pose)
        self.extra_ms.append((time.perf_counter() - start) * 1e3)
        return {self.labels()[0]: (mask, pose, 0.5)}


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

        start = time.perf_counter()
        crop = trunk_crop(fr.pose, self.pad)
        out: Readings = {}
        if crop is not None:
            guide = crop.cut(fr.bgr, cv2.INTER_AREA).astype(np.float32) * np.float32(1.0 / 255.0)
            mask = crop.cut(fr.mask, cv2.INTER_LINEAR)
            pose = crop.pose(fr.pose)
            for label, (r, e) in zip(self.labels(), self.settings):
                refined = cv2.ximgproc.guidedFilter(guide, mask, r, e)
                out[label] = (np.clip(refined, 0.0, 1.0), pose, 0.5)
        # all settings are timed together; one of them alone costs about 1/len(settings)
        self.extra_ms.append((time.perf_counter() - start) * 1e3 / max(len(self.settings), 1))
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

        start = time.perf_counter()
        crop = trunk_crop(fr.pose, self.pad)
        if crop is None:
            self.extra_ms.append((time.perf_counter() - start) * 1e3)
            return {}
        rgb = crop.cut(fr.rgb, cv2.INTER_AREA)
        mask = self._model.process(rgb).segmentation_mask
        pose = crop.pose(fr.pose)
        self.extra_ms.append((time.perf_counter() - start) * 1e3)
        return {} if mask is None else {self.name: (mask, pose, 0.5)}

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
        from realtime.estimator import pose_from_mediapipe

        start = time.perf_counter()
        result = self._model.process(fr.rgb)
        self.extra_ms.append((time.perf_counter() - start) * 1e3 - fr.pose_ms)
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
    """MediaPipe Pose as `realtime.estimator.PoseEstimator` builds it (tracking mode)."""
    import mediapipe as mp

    from realtime.estimator import EstimatorConfig

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
    from realtime import rib_cage

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
    t: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    confidence: list[float] = field(default_factory=list)
    outline_ms: list[float] = field(default_factory=list)


@dataclass
class Pass:
    """All labels over one clip, plus the variants' and the normal model's times."""

    series: dict[str, Series]
    extra_ms: dict[str, list[float]]
    pose_ms: list[float]


def run_pass(path: Path, flip: bool, variants: list[Variant], limit_s: float | None) -> Pass:
    import cv2

    from realtime.estimator import pose_from_mediapipe
    from realtime.rib_cage import rib_cage_from_outline, trunk_outline

    facing = "right" if flip else "left"
    model = make_pose_model(1)
    labels = [lab for v in variants for lab in v.labels()]
    series = {lab: Series() for lab in labels}
    pose_ms: list[float] = []
    for t, bgr in frames(path, flip):
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
                sample = None if outline is None else rib_cage_from_outline(outline, facing)
                if sample is None:
                    continue
                s.t.append(t)
                s.confidence.append(sample.confidence)
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

    @property
    def shift(self) -> float:
        return self.second - self.first

    @property
    def clarity(self) -> float:
        spread = self.sec_p90 - self.sec_p10
        return self.shift / spread if spread > 0 else math.nan


def second_medians(t: np.ndarray, v: np.ndarray, t0: float, t1: float, min_n: int = 3) -> np.ndarray:
    """Medians of `v` over each whole second in [t0, t1) with at least `min_n` values."""
    out = []
    for a in np.arange(t0, t1, 1.0):
        inside = (t >= a) & (t < a + 1.0)
        if inside.sum() >= min_n:
            out.append(np.median(v[inside]))
    return np.asarray(out)


def shift_of(s: Series, metric: str) -> Shift | None:
    t, v, c = np.asarray(s.t), np.asarray(s.values[metric]), np.asarray(s.confidence)
    good = c >= MIN_CONFIDENCE
    first, second = good & (t < ARCH_START_S), good & (t >= SECOND_HALF_S)
    if first.sum() < 10 or second.sum() < 10:
        return None
    secs = second_medians(t[first], v[first], 0.0, ARCH_START_S)
    if secs.size < 3:
        return None
    f10, f90 = np.percentile(v[first], [10, 90])
    s10, s90 = np.percentile(secs, [10, 90])
    return Shift(float(np.median(v[first])), float(f10), float(f90), float(s10), float(s90),
                 float(np.median(v[second])))


def disagreement(a: Shift | None, b: Shift | None) -> float:
    """|shift a − shift b| in % of their mean size."""
    if a is None or b is None:
        return math.nan
    mean = (abs(a.shift) + abs(b.shift)) / 2.0
    return 100.0 * abs(a.shift - b.shift) / mean if mean > 0 else math.nan


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
    print("\n### Summary (shift clip / mirror; disagreement; clarity = shift / 1st-half 1-s p10..p90 width, "
          "clip / mirror)\n")
    head = " | ".join(f"{m} shift | {m} disagree | {m} clarity" for m in METRICS)
    print(f"| variant | {head} |")
    print("|---|" + "---|" * (3 * len(METRICS)))
    for label in labels:
        cells = []
        for metric in METRICS:
            d = DIGITS[metric]
            sh = [shift_of(passes[c].series[label], metric) for c in names]
            if any(x is None for x in sh):
                cells += ["–", "–", "–"]
                continue
            cells.append(" / ".join(f"{x.shift:+.{d}f}" for x in sh))
            cells.append(f"{disagreement(*sh[:2]):.0f}%" if len(sh) >= 2 else "–")
            cells.append(" / ".join(f"{x.clarity:.2f}" for x in sh))
        print(f"| {label} | " + " | ".join(cells) + " |")


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, default=CLIPS, help="folder of the shared clips")
    ap.add_argument("--clip", default=CLIP, help="the normal-then-arched clip (runner faces left)")
    ap.add_argument("--mirror", type=Path, default=None,
                    help="the mirrored clip (e.g. made by tests.test_clips.write_clip(flip=True)); "
                         "default: mirror every decoded frame on the fly")
    ap.add_argument("--variants", default="pose,pose-crop,guided,selfie0,selfie1,pose2")
    ap.add_argument("--edges", default="0.3,0.7", help="mask levels read from the pose mask besides 0.5")
    ap.add_argument("--pads", default="0.6,0.35", help="trunk-crop padding, trunk lengths each side "
                                                      "(the first one also for pose-crop and guided)")
    ap.add_argument("--guided", default="4:0.001,8:0.01", help="guided-filter radius:eps pairs (crop pixels; "
                                                              "image in 0..1)")
    ap.add_argument("--seconds", type=float, default=None, help="read only the first seconds (a quick check)")
    ap.add_argument("--only", choices=("clip", "mirror"), default=None, help="run one of the two")
    a = ap.parse_args()

    from realtime.cli import quiet_native_logs

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
        passes[name] = run_pass(path, flip, variants, a.seconds)
        for v in variants:
            v.close()

    print(f"## Outline sharpness: {a.clip} (clip) and its mirror\n")
    coverage_table(passes, labels, owner)
    for metric in METRICS:
        metric_table(passes, labels, metric)
    summary_table(passes, labels)


if __name__ == "__main__":
    main()
