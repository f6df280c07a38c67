"""How far can the arched clip show the rib-cage values? Truth, shift and noise floor.

`treadmill_side_left_then_arched.mp4` repeats the same 12 s of running with the upper body
bent back 8° about the hip centre, the bend spread over the lowest third of the trunk (an
image warp; clips README). Frame k of the first half and frame k + 360 of the second show
the same stride phase, arms and clothes. This script reads two sessions' landmarks.npz
(the clip's and its mirror's, from `ribsdown analyze`) and reports, for
`thorax_pelvis_deg`, `pelvic_deg` and `lumbar_arch` (frames with confidence ≥ 0.3):

- **truth**: the values `rib_cage_from_outline` gives for a back before and after that
  warp, applied to a straight back and to the first half's median back profile;
- **shift**: second-half median (t ≥ 12.5 s) minus first-half median (t < 12 s), and the
  **paired shift**: the mean change of frame k + 360 against frame k (the same picture,
  warped or not), with its standard error;
- **clip vs mirror, frame by frame**: the spread of (clip − mirror) over the same frames,
  once with each pass's own landmarks and once with the mirror's back edge re-read in the
  clip's trunk frame (same landmarks: what is left is the segmentation mask's own noise);
- with `--videos CLIP MIRROR`, the same frame-by-frame spread with each back edge moved to
  the strongest image edge (grey-level step) within ±`SNAP_REACH` trunk lengths of the
  mask's edge: does the full-resolution image give a steadier back than the mask?
- **floor**: the standard error of (clip − mirror) of the paired shifts, as a share of the
  mean shift: the smallest clip-vs-mirror disagreement this clip can show.

    .venv/bin/ribsdown analyze ../shared/data/clips/treadmill_side_left_then_arched.mp4 --out /tmp/a7
    .venv/bin/ribsdown analyze /tmp/arched_mirror.avi --out /tmp/m7   # cv2.flip of every frame
    .venv/bin/python bench/arch_noise_floor.py /tmp/a7/landmarks.npz /tmp/m7/landmarks.npz
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from realtime.analysis import rib_cage as rc
from realtime.analysis.rib_cage import LEVELS, TrunkFrame, TrunkOutline

ARCH_START_S = 12.0
SECOND_HALF_S = 12.5
MIN_CONFIDENCE = 0.3
WARP_DEG = 8.0  # clips README: bent back 8° about the hip centre...
WARP_SPAN = 1.0 / 3.0  # ... spread over the lowest third of the trunk
METRICS = ("thorax_pelvis_deg", "pelvic_deg", "lumbar_arch")
NEAREST = 0.03  # a re-read level needs an edge point within this many trunk lengths
SNAP_REACH = 0.04  # trunk lengths searched each side of the mask's edge
SNAP_SAMPLES = 33


def outlines(path: Path) -> dict[float, TrunkOutline]:
    """The logged outlines of a session by time (ms-rounded seconds)."""
    a = np.load(path)
    if "outline" not in a.files:
        raise SystemExit(f"{path} has no outlines: record it with this version of ribsdown")
    return {round(float(t), 3): TrunkOutline.unpack(row)
            for t, row in zip(a["t"], a["outline"]) if not np.isnan(row[0])}


def back_of(outline: TrunkOutline, facing: str) -> np.ndarray:
    return outline.right if facing == "left" else outline.left


def with_back(frame: TrunkFrame, back: np.ndarray, facing: str, ramp: float = 0.06) -> TrunkOutline:
    """An outline with this back edge (and no front) in `frame`."""
    none = np.full_like(back, np.nan)
    right, left = (back, none) if facing == "left" else (none, back)
    return TrunkOutline(0.0, frame, right, left, ramp, ramp)


def values(outline: TrunkOutline, facing: str) -> dict[str, float] | None:
    """The app's values of one outline; None without a confident sample."""
    smp = rc.rib_cage_from_outline(outline, facing)
    if smp is None or smp.confidence < MIN_CONFIDENCE:
        return None
    return {m: getattr(smp, m) for m in METRICS}


# --------------------------------------------------------------------------- truth


def warped_back(back: np.ndarray) -> np.ndarray:
    """The back profile v(s) after the clip's warp, re-read in the warped trunk's frame:
    each point turned back about the hip centre by 8°·min(s / (1/3), 1)."""
    turn = np.radians(WARP_DEG) * np.clip(LEVELS / WARP_SPAN, 0.0, 1.0)
    s = LEVELS * np.cos(turn) - back * np.sin(turn)
    v = LEVELS * np.sin(turn) + back * np.cos(turn)
    axis = math.radians(WARP_DEG)  # the shoulders turn by the full bend: so does the trunk's axis
    s2, v2 = s * math.cos(axis) + v * math.sin(axis), -s * math.sin(axis) + v * math.cos(axis)
    order = np.argsort(s2)
    return np.interp(LEVELS, s2[order], v2[order])


def truth(first_half_profile: np.ndarray) -> dict[str, dict[str, float]]:
    """What the warp changes in each value, for a straight back and the median profile."""
    frame = TrunkFrame(np.zeros(2), np.array([0.0, -1.0]), 200.0)
    out = {}
    for name, back in (("straight back", np.full(LEVELS.shape, 0.28)), ("first-half median back", first_half_profile)):
        before = rc.rib_cage_from_outline(with_back(frame, back, "left"), "left")
        after = rc.rib_cage_from_outline(with_back(frame, warped_back(back), "left"), "left")
        out[name] = {m: getattr(after, m) - getattr(before, m) for m in METRICS}
    return out


# --------------------------------------------------------------------------- shifts


def series(outs: dict[float, TrunkOutline], facing: str) -> dict[float, dict[str, float]]:
    return {t: v for t, o in outs.items() if (v := values(o, facing)) is not None}


def shift(vals: dict[float, dict[str, float]], metric: str) -> float:
    first = [v[metric] for t, v in vals.items() if t < ARCH_START_S]
    second = [v[metric] for t, v in vals.items() if t >= SECOND_HALF_S]
    return float(np.median(second) - np.median(first))


def paired_changes(vals: dict[float, dict[str, float]], metric: str) -> np.ndarray:
    """Frame k + 12 s minus frame k, over the frames confident in both (k from 0.5 s, so
    the second frame lies past `SECOND_HALF_S`)."""
    return np.array([vals[round(t + ARCH_START_S, 3)][metric] - v[metric]
                     for t, v in vals.items()
                     if 0.5 <= t < ARCH_START_S and round(t + ARCH_START_S, 3) in vals])


# --------------------------------------------------------------------------- clip vs mirror


def mirrored_frame(frame: TrunkFrame, width: float) -> TrunkFrame:
    return TrunkFrame(np.array([width - frame.origin[0], frame.origin[1]]),
                      np.array([-frame.axis[0], frame.axis[1]]), frame.length)


def reread(back_points: np.ndarray, frame: TrunkFrame) -> np.ndarray:
    """Back-edge points (pixels, `(K, 2)`) read as a back profile at `LEVELS` in `frame`
    (facing left: the back along `frame.normal`); NaN where no point lies near a level."""
    rel = (back_points - frame.origin) / frame.length
    s, v = rel @ frame.axis, rel @ frame.normal
    order = np.argsort(s)
    s, v = s[order], v[order]
    out = np.interp(LEVELS, s, v, left=np.nan, right=np.nan)
    out[np.min(np.abs(LEVELS[:, None] - s[None]), axis=1) > NEAREST] = np.nan
    return out


def back_points(outline: TrunkOutline, facing: str) -> np.ndarray:
    side = 1.0 if facing == "left" else -1.0
    back = back_of(outline, facing)
    ok = np.isfinite(back)
    return outline.frame.to_image(LEVELS[ok], side * back[ok])


def mirror_in_clip_frame(clip: dict[float, TrunkOutline], mirror: dict[float, TrunkOutline],
                         width: float) -> dict[float, TrunkOutline]:
    """The mirror's back edges flipped into the clip's pixels and re-read in the clip's
    trunk frame of the same frame (facing left): the same landmarks, the mirror's mask."""
    out = {}
    for t, a in clip.items():
        if (b := mirror.get(t)) is not None:
            pts = back_points(b, "right")
            pts[:, 0] = width - pts[:, 0]
            out[t] = with_back(a.frame, reread(pts, a.frame), "left", b.ramp_left)
    return out


def differences(a: dict[float, dict[str, float]], b: dict[float, dict[str, float]]) -> dict[str, np.ndarray]:
    """Per frame confident in both, `a` minus `b` of each value."""
    common = [t for t in a if t in b]
    return {m: np.array([a[t][m] - b[t][m] for t in common]) for m in METRICS}


def grey_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video, grey, float32, lightly blurred (σ 1 px)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    out = []
    while (got := cap.read())[0]:
        grey = cv2.cvtColor(got[1], cv2.COLOR_BGR2GRAY).astype(np.float32)
        out.append(cv2.GaussianBlur(grey, (0, 0), 1.0))
    cap.release()
    return out


def snapped(outline: TrunkOutline, facing: str, grey: np.ndarray) -> TrunkOutline:
    """The outline with its back edge moved, level by level, to the strongest grey-level
    step along the normal within ±`SNAP_REACH` of the mask's edge (sub-sample peak)."""
    import cv2

    frame, back = outline.frame, back_of(outline, facing).copy()
    ok = np.isfinite(back)
    if not ok.any():
        return outline
    side = 1.0 if facing == "left" else -1.0
    offsets = np.linspace(-SNAP_REACH, SNAP_REACH, SNAP_SAMPLES)
    depth = back[ok][:, None] + offsets[None]
    pts = frame.origin + frame.length * (LEVELS[ok][:, None, None] * frame.axis + side * depth[..., None] * frame.normal)
    grey_along = cv2.remap(grey, (pts[..., 0] - 0.5).astype(np.float32), (pts[..., 1] - 0.5).astype(np.float32),
                           cv2.INTER_LINEAR)
    step = np.abs(np.diff(grey_along, axis=1))
    j = np.clip(np.argmax(step, axis=1), 1, step.shape[1] - 2)
    rows = np.arange(len(j))
    y0, y1, y2 = step[rows, j - 1], step[rows, j], step[rows, j + 1]
    curve = y0 - 2 * y1 + y2
    peak = np.where(np.abs(curve) > 1e-6, 0.5 * (y0 - y2) / np.where(np.abs(curve) > 1e-6, curve, 1.0), 0.0)
    back[ok] = offsets[0] + (j + 0.5 + np.clip(peak, -0.5, 0.5)) * (offsets[1] - offsets[0]) + back[ok]
    return with_back(frame, back, facing, outline.ramp_right if facing == "left" else outline.ramp_left)


def snapped_outlines(outs: dict[float, TrunkOutline], facing: str, video: Path,
                     fps: float = 30.0) -> dict[float, TrunkOutline]:
    greys = grey_frames(video)
    return {t: snapped(o, facing, greys[k]) for t, o in outs.items()
            if (k := round(t * fps)) < len(greys)}


def robust_sd(x: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


# --------------------------------------------------------------------------- report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", type=Path, help="landmarks.npz of the clip (runner faces left)")
    ap.add_argument("mirror", type=Path, help="landmarks.npz of its mirror image")
    ap.add_argument("--width", type=float, default=720.0, help="frame width, pixels")
    ap.add_argument("--videos", type=Path, nargs=2, metavar=("CLIP", "MIRROR"),
                    help="the two videos, to also read the back from the image's edges")
    a = ap.parse_args()
    clip, mirror = outlines(a.clip), outlines(a.mirror)
    vc, vm = series(clip, "left"), series(mirror, "right")

    profile = np.nanmedian([back_of(o, "left") for t, o in clip.items() if t < ARCH_START_S], axis=0)
    print("## What the warp puts in (the app's definitions)\n")
    print("| back | " + " | ".join(METRICS) + " |\n|---|---|---|---|")
    for name, d in truth(profile).items():
        print(f"| {name} | " + " | ".join(f"{d[m]:+.4f}" for m in METRICS) + " |")

    print("\n## Shifts, clip / mirror\n")
    print("| value | shift of medians | paired shift ± SE | floor: SE of the disagreement (white noise: a lower bound), % of the shift |")
    print("|---|---|---|---|")
    for m in METRICS:
        pc, pm = paired_changes(vc, m), paired_changes(vm, m)
        se_c, se_m = pc.std() / math.sqrt(len(pc)), pm.std() / math.sqrt(len(pm))
        mean = (pc.mean() + pm.mean()) / 2
        print(f"| {m} | {shift(vc, m):+.4f} / {shift(vm, m):+.4f} | {pc.mean():+.4f} ± {se_c:.4f} / "
              f"{pm.mean():+.4f} ± {se_m:.4f} (n {len(pc)} / {len(pm)}) | {100 * math.hypot(se_c, se_m) / abs(mean):.0f} % |")

    print("\n## Clip minus mirror, frame by frame (SD, robust SD)\n")
    print("| value | own landmarks | the same landmarks (mask only) |\n|---|---|---|")
    own = differences(vc, vm)
    same = differences(vc, series(mirror_in_clip_frame(clip, mirror, a.width), "left"))
    for m in METRICS:
        print(f"| {m} | {own[m].std():.4f}, {robust_sd(own[m]):.4f} (n {len(own[m])}) | "
              f"{same[m].std():.4f}, {robust_sd(same[m]):.4f} (n {len(same[m])}) |")
    if a.videos:
        snap = differences(series(snapped_outlines(clip, "left", a.videos[0]), "left"),
                           series(snapped_outlines(mirror, "right", a.videos[1]), "right"))
        print("\n## Clip minus mirror, back edges snapped to the image's edges (SD, robust SD)\n")
        print("| value | own landmarks |\n|---|---|")
        for m in METRICS:
            print(f"| {m} | {snap[m].std():.4f}, {robust_sd(snap[m]):.4f} (n {len(snap[m])}) |")


if __name__ == "__main__":
    main()
