"""The mask's crop against the mask warped onto the frame (realtime/models/pose_graph.py).

For each clip, pre-decodes frames, then runs `PoseEstimator` twice over them — the mask
warped to the frame by MediaPipe (`crop_mask=False`, as before) and the model's own crop read
by `RoiMask` (`crop_mask=True`) — interleaved in rounds, and reports:

- the model's wall and CPU ms per frame of each (and without the mask, for the floor);
- how far the trunk outline moves between the two: the edge depths (trunk lengths, per level)
  and the ramp widths, |Δ| p50 / p99 / max over every frame and level both read;
- the mask values themselves at the frame's pixels in the edge band (0.05–0.95), |Δ| mean / max.

    .venv/bin/python bench/roi_mask.py [--clips a.mp4,b.mp4] [--frames 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CLIPS = ROOT.parent / "shared/data/clips"
DEFAULT_CLIPS = ("treadmill_side_left_then_arched.mp4", "treadmill_side_left.mp4", "walk_multi_person.mp4",
                 "run_grass_short.mp4")
VARIANTS = {"warped to the frame": dict(crop_mask=False), "the model's crop": dict(crop_mask=True),
            "no mask": dict(enable_segmentation=False)}


def run(frames: list[np.ndarray], fps: float, **config: object) -> tuple[list[float], list[float], list]:
    """(wall ms, CPU ms, outlines) for every frame after the first, one fresh model."""
    from realtime.analysis.rib_cage import TrunkOutline
    from realtime.models.estimator import EstimatorConfig, PoseEstimator

    wall, cpu, outlines = [], [], []
    with PoseEstimator(EstimatorConfig(**config)) as est:
        est.estimate(frames[0], 0.0)
        for i, image in enumerate(frames[1:], 1):
            w0, c0 = time.perf_counter(), time.process_time()
            pose = est.estimate(image, i / fps)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            packed = None if pose is None else pose.outline
            outlines.append(None if packed is None else TrunkOutline.unpack(packed))
    return wall, cpu, outlines


def outline_deltas(a: list, b: list) -> tuple[np.ndarray, np.ndarray, int]:
    """|Δ| of the edge depths and of the ramps over frames and levels both read; and how many
    frames have an outline in one run only."""
    depth, ramp, one_sided = [], [], 0
    for x, y in zip(a, b):
        if (x is None) != (y is None):
            one_sided += 1
        if x is None or y is None:
            continue
        for ex, ey in ((x.right, y.right), (x.left, y.left)):
            ok = np.isfinite(ex) & np.isfinite(ey)
            depth.extend(np.abs(ex[ok] - ey[ok]))
            one_sided += int((np.isfinite(ex) != np.isfinite(ey)).sum() > 0)
        for rx, ry in ((x.ramp_right, y.ramp_right), (x.ramp_left, y.ramp_left)):
            if np.isfinite(rx) and np.isfinite(ry):
                ramp.append(abs(rx - ry))
    return np.asarray(depth), np.asarray(ramp), one_sided


def mask_values(frames: list[np.ndarray]) -> tuple[float, float]:
    """|Δ| mean and max between MediaPipe's warped mask and `RoiMask.sample` at the frame's
    pixels in the edge band (0.05 < warped < 0.95), over the frames."""
    import mediapipe as mp

    from realtime.analysis.roi_mask import RoiMask
    from realtime.models.pose_graph import pose_solution

    means, peak = [], 0.0
    kw = dict(model_complexity=1, enable_segmentation=True, smooth_segmentation=False)
    with mp.solutions.pose.Pose(**kw) as warped, pose_solution(mp.solutions.pose.Pose, roi_mask=True)(**kw) as crop:
        for image in frames:
            rgb = image[:, :, ::-1].copy()
            a, b = warped.process(rgb), crop.process(rgb)
            if a.segmentation_mask is None or b.segmentation_mask is None or b.pose_rect is None:
                continue
            h, w = rgb.shape[:2]
            roi = RoiMask.from_normalized_rect(b.segmentation_mask, b.pose_rect, (w, h))
            ys, xs = np.nonzero((a.segmentation_mask > 0.05) & (a.segmentation_mask < 0.95))
            if len(xs) == 0:
                continue
            diff = np.abs(a.segmentation_mask[ys, xs] - roi.sample(xs.astype(np.float32), ys.astype(np.float32)))
            means.append(float(diff.mean()))
            peak = max(peak, float(diff.max()))
    return (float(np.mean(means)) if means else float("nan")), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default=",".join(DEFAULT_CLIPS))
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from model_threads import decoded

    import cv2

    print("| clip | mask | model ms p50 | CPU ms a frame | outline depth abs-delta p50 / p99 / max (trunk lengths) "
          "| ramp abs-delta max | frames read by one only | mask abs-delta mean / max (edge band) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.clips.split(","):
        clip = CLIPS / name
        frames = decoded(clip, args.frames)
        cap = cv2.VideoCapture(str(clip))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        cap.release()
        walls: dict[str, list] = {k: [] for k in VARIANTS}
        cpus: dict[str, list] = {k: [] for k in VARIANTS}
        outlines: dict[str, list] = {}
        for _ in range(args.rounds):
            for label, config in VARIANTS.items():
                wall, cpu, out = run(frames, fps, **config)
                walls[label] += wall
                cpus[label] += cpu
                outlines[label] = out
        depth, ramp, one = outline_deltas(outlines["warped to the frame"], outlines["the model's crop"])
        mean, peak = mask_values(frames[:60])
        h, w = frames[0].shape[:2]
        for label in VARIANTS:
            extra = "| – | – | – | –"
            if label == "the model's crop":
                extra = (f"| {np.percentile(depth, 50):.5f} / {np.percentile(depth, 99):.5f} / {depth.max():.5f} "
                         f"| {ramp.max() if len(ramp) else float('nan'):.5f} | {one} | {mean:.5f} / {peak:.4f}")
            print(f"| {name} ({w}×{h}, {len(frames)} frames) | {label} | {np.median(walls[label]):.1f} "
                  f"| {np.mean(cpus[label]):.1f} {extra} |")


if __name__ == "__main__":
    main()
