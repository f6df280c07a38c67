"""The model's time per frame against the size of the frame it is given (issue #8: a
downscaled frame "where that costs no accuracy" — this is the cost side; the accuracy
side is bench/downscale_accuracy.py).

Pre-decodes frames of a clip, then runs one MediaPipe model per input size over them,
the sizes interleaved in rounds so that a busy machine hurts them alike. Reports the wall
time of `PoseEstimator.estimate` (resize + colour conversion + model, and with the
segmentation mask on, the trunk outline read from it) and its CPU time. `--masks on,off`
times each size with and without the mask: the rib cage's whole cost per frame.

    .venv/bin/python bench/model_input_size.py [--clip NAME] [--frames 150] [--rounds 3]
    .venv/bin/python bench/model_input_size.py --sides 0 --masks on,off --rounds 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="treadmill_side_left.mp4")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sides", default="0,960,640,480", help="0 = full size")
    ap.add_argument("--masks", default="on", help="segmentation mask: on, off, or on,off")
    a = ap.parse_args()
    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    import cv2

    from realtime.models.estimator import EstimatorConfig, PoseEstimator

    cap = cv2.VideoCapture(str(CLIPS / a.clip))
    frames = []
    while len(frames) < a.frames:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    sides = [int(s) or None for s in a.sides.split(",")]
    masks = [m.strip() == "on" for m in a.masks.split(",")]
    runs = [(side, mask) for side in sides for mask in masks]
    wall: dict = {r: [] for r in runs}
    cpu: dict = {r: [] for r in runs}
    for _ in range(a.rounds):
        for side, mask in runs:
            with PoseEstimator(EstimatorConfig(max_side=side, enable_segmentation=mask)) as est:
                est.estimate(frames[0], 0.0)  # the first frame builds the model's delegates
                for i, image in enumerate(frames[1:], 1):
                    w0, c0 = time.perf_counter(), time.process_time()
                    est.estimate(image, i / 30)
                    wall[side, mask].append((time.perf_counter() - w0) * 1000)
                    cpu[side, mask].append((time.process_time() - c0) * 1000)
    h, w = frames[0].shape[:2]
    print(f"| model input (long side) | mask | estimate ms p50 | p95 | CPU ms/frame |  ({a.clip}, {w}x{h}, {len(frames)} frames x {a.rounds} rounds)")
    print("|---|---|---|---|---|")
    for side, mask in runs:
        label = f"{max(h, w)} (full)" if side is None else str(side)
        times = wall[side, mask]
        print(f"| {label} | {'on' if mask else 'off'} | {np.median(times):.1f} | {np.percentile(times, 95):.1f} | {np.mean(cpu[side, mask]):.1f} |")


if __name__ == "__main__":
    main()
