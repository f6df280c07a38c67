"""The model's time per frame against the threads its inference may use (issue "Speed on the
machines runners really have": a live loop has a core the model does not use).

Pre-decodes frames of a clip, then runs each (model, mask, threads) over them, interleaved
in rounds so that a busy machine hurts them alike. Reports the wall time of
`PoseEstimator.estimate`, the process's CPU time per frame, and how far the landmarks move
against one thread (XNNPACK splits the work by output tiles: the same sums, the same numbers).
`--load N` keeps N busy-loop processes running beside it (bench/live_loop.py's BusyLoad).

    .venv/bin/python bench/model_threads.py [--models lite,full] [--masks on,off] [--threads 1,2]
    .venv/bin/python bench/model_threads.py --load 1
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


def decoded(clip: Path, n: int) -> list[np.ndarray]:
    """The clip's first `n` frames, decoded."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    frames = []
    while len(frames) < n and (got := cap.read())[0]:
        frames.append(got[1])
    cap.release()
    return frames


def time_run(frames: list[np.ndarray], model: str, mask: bool, threads: int) -> tuple[list[float], list[float], list]:
    """(wall ms, CPU ms, landmarks) for every frame after the first, one fresh model."""
    from realtime.models.estimator import EstimatorConfig, PoseEstimator
    from realtime.models.pose_models import complexity

    config = EstimatorConfig(model_complexity=complexity(model), enable_segmentation=mask, threads=threads)
    wall, cpu, xy = [], [], []
    with PoseEstimator(config) as est:
        est.estimate(frames[0], 0.0)  # the first frame builds the delegates
        for i, image in enumerate(frames[1:], 1):
            w0, c0 = time.perf_counter(), time.process_time()
            pose = est.estimate(image, i / 30)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            xy.append(None if pose is None else pose.xy)
    return wall, cpu, xy


def max_shift(a: list, b: list) -> float:
    """The largest landmark distance (px) between two runs over the same frames."""
    shifts = [float(np.max(np.hypot(*(p - q).T))) for p, q in zip(a, b) if p is not None and q is not None]
    return max(shifts) if shifts else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="treadmill_side_left.mp4")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default="lite,full")
    ap.add_argument("--masks", default="on,off")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--load", type=int, default=0, help="busy-loop processes beside it")
    a = ap.parse_args()
    from live_loop import BusyLoad

    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    frames = decoded(CLIPS / a.clip, a.frames)
    runs = [(m, k == "on", int(t)) for m in a.models.split(",") for k in a.masks.split(",") for t in a.threads.split(",")]
    wall: dict = {r: [] for r in runs}
    cpu: dict = {r: [] for r in runs}
    shift: dict = {r: 0.0 for r in runs}
    with BusyLoad(a.load):
        for _ in range(a.rounds):
            first: dict = {}
            for run in runs:
                w, c, xy = time_run(frames, *run)
                wall[run] += w
                cpu[run] += c
                base = first.setdefault(run[:2], xy)
                shift[run] = max(shift[run], max_shift(base, xy))
    h, w = frames[0].shape[:2]
    load = f", {a.load} busy-loop process(es) beside it" if a.load else ""
    print(f"{a.clip}, {w}x{h}, {len(frames)} frames x {a.rounds} rounds{load}\n")
    print("| model | mask | threads | estimate ms p50 | p95 | CPU ms/frame | landmarks vs 1 thread, max px |")
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        model, mask, threads = run
        print(f"| {model} | {'on' if mask else 'off'} | {threads} | {np.median(wall[run]):.1f} | "
              f"{np.percentile(wall[run], 95):.1f} | {np.mean(cpu[run]):.1f} | {shift[run]:.2f} |")


if __name__ == "__main__":
    main()
