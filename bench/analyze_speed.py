"""`ribsdown analyze` against the naive loop, the bare loop and the model alone.

- naive loop (the peer): decode -> `Pose(model_complexity=1)` -> next, one thread, no mask, no
  coach, nothing written — what a user would otherwise run;
- bare loop (`--peers naive,bare`): decode -> model with the mask -> coach in one thread, one
  process, nothing written (what `analyze` did before it used every core);
- the ceiling (`--peers naive,ceiling`): one naive loop per core, started together, each on its
  own share of the clip — what the cores give the naive loop itself on this machine (two virtual
  cores need not give twice one core's speed);
- `ribsdown analyze CLIP --jobs N` for each N in `--jobs` (the whole command: the model's
  pass, the coach, summary.json / frames.csv / landmarks.npz, the report and the history),
  for each pose model in `--models` (default full);
- the model alone on pre-decoded frames (no decoding, no coach): its frames per second.

Whole processes, the variants alternated `--rounds` times; the table gives the median wall
time. Run by hand (a long clip: bench/make_long_clip.py):

    .venv/bin/python bench/analyze_speed.py /tmp/ribsdown_bench/treadmill_48s.mp4 [--rounds 3] [--jobs 1,2]
    .venv/bin/python bench/analyze_speed.py CLIP --jobs 2 --models full,heavy   # the models' cost
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def naive_loop(clip: str, part: str = "0/1") -> None:
    """What a user would otherwise run: decode -> `Pose(model_complexity=1)` -> next, one thread,
    no segmentation mask, no coach, nothing written. `part` "K/N": only the K-th of N equal
    parts of the clip (seek to its first frame)."""
    import cv2
    import mediapipe as mp

    k, parts = (int(x) for x in part.split("/"))
    cap = cv2.VideoCapture(clip)
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    first, stop = total * k // parts, total * (k + 1) // parts
    if first:
        cap.set(cv2.CAP_PROP_POS_FRAMES, first)
    n = 0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        while first + n < stop or parts == 1:
            ok, image = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            n += 1
    cap.release()
    print(f"{n} frames", file=sys.stderr)


def naive_side_by_side(clip: str, parts: int) -> None:
    """`parts` naive loops at once, each on its own part of the clip: what the cores can give
    the naive loop itself (its ceiling on this machine), processes started together."""
    procs = [subprocess.Popen([sys.executable, __file__, "--naive", clip, "--part", f"{k}/{parts}"])
             for k in range(parts)]
    if any(p.wait() for p in procs):
        raise SystemExit("a naive loop failed")


def bare_loop(clip: str) -> None:
    """The single-thread loop: FileSource -> PoseEstimator -> Coach, frame by frame."""
    from cues.rules import load_rules
    from realtime.apps.assemble import build_pipeline
    from realtime.apps.cli import build_parser, quiet_native_logs
    from realtime.record.session import SessionRecord
    from realtime.sources.capture import FileSource

    quiet_native_logs()
    args = build_parser().parse_args(["analyze", clip])
    with FileSource(clip) as source:
        record = SessionRecord(source=clip, fps=source.fps)
        pipeline = build_pipeline(load_rules(None), source, args)
        for frame in source:  # one thread: decode, model, coach, next (not run_session's pose thread)
            result = pipeline.process(frame)
            record.add(result.row(), result.cue, result.analysis.strides)
    print(f"{len(record.rows)} frames", file=sys.stderr)


def model_alone(clip: str, n_frames: int) -> float:
    """Frames per second of `PoseEstimator.estimate` on pre-decoded frames (one process)."""
    import cv2

    from realtime.models.estimator import PoseEstimator

    cap = cv2.VideoCapture(clip)
    frames = []
    while len(frames) < n_frames:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    with PoseEstimator() as est:
        est.estimate(frames[0], 0.0)
        start = time.perf_counter()
        for i, image in enumerate(frames[1:], 1):
            est.estimate(image, i / 30)
        return (len(frames) - 1) / (time.perf_counter() - start)


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall s, CPU s of the process and its children) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", default=f"1,{os.cpu_count()}")
    ap.add_argument("--models", default="full", help="comma-separated pose models for `ribsdown analyze --model`")
    ap.add_argument("--peers", default="naive", help="the loops to compare with: naive, bare (one thread each), ceiling (one naive loop per core, "
                         "each on its share of the clip, side by side)")
    ap.add_argument("--model-frames", type=int, default=200)
    ap.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)  # the bare loop's own process
    ap.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)  # the naive loop's own process
    ap.add_argument("--part", default="0/1", help=argparse.SUPPRESS)  # the naive loop's part of the clip
    ap.add_argument("--naive-parts", type=int, help=argparse.SUPPRESS)  # naive loops side by side
    a = ap.parse_args()
    if a.naive:
        naive_loop(a.clip, a.part)
        return
    if a.naive_parts:
        naive_side_by_side(a.clip, a.naive_parts)
        return
    if a.bare:
        bare_loop(a.clip)
        return
    import cv2

    cap = cv2.VideoCapture(a.clip)
    n, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    work = Path(tempfile.mkdtemp(prefix="ribsdown_bench_"))
    env = {**os.environ, "XDG_DATA_HOME": str(work / "data"), "XDG_CONFIG_HOME": str(work / "config"),
           "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    jobs = [int(j) for j in a.jobs.split(",")]
    peers = {"naive": ("naive loop: decode → Pose(model_complexity=1), 1 thread, no mask", "--naive"),
             "bare": ("bare loop: decode → model with mask → coach, 1 thread", "--bare"),
             "ceiling": (f"{os.cpu_count()} naive loops side by side, each on 1/{os.cpu_count()} of the clip "
                         "(the cores' limit)", f"--naive-parts={os.cpu_count()}")}
    chosen = a.peers.split(",")
    variants = {peers[p][0]: [sys.executable, __file__, peers[p][1], a.clip] for p in chosen}
    for model in a.models.split(","):
        for j in jobs:
            name = f"ribsdown analyze --jobs {j}" + ("" if model == "full" else f" --model {model}")
            variants[name] = [sys.executable, "-m", "realtime.apps.cli", "analyze", a.clip, "--model", model,
                              "--jobs", str(j), "--out"]
    times: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(a.rounds):
        for name, cmd in variants.items():
            if cmd[-1] == "--out":
                cmd = [*cmd, str(work / f"out_{r}_{len(times[name])}_{'_'.join(name.split()[2:])}")]
            wall, cpu_s = timed(cmd, env)
            times[name].append(wall)
            cpu[name].append(cpu_s)
            print(f"round {r + 1}: {name}: {wall:.2f} s wall, {cpu_s:.1f} s CPU, load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    model_fps = model_alone(a.clip, a.model_frames)
    bare = float(np.median(times[peers[chosen[0]][0]]))
    print(f"\n{Path(a.clip).name}: {n} frames, {n / fps:.1f} s at {fps:g} fps; {a.rounds} rounds, median wall time\n")
    print("| variant | wall s (median) | runs | CPU s (median) | frames/s | vs the first loop |")
    print("|---|---|---|---|---|---|")
    for name, ts in times.items():
        med = float(np.median(ts))
        print(f"| {name} | {med:.2f} | {', '.join(f'{t:.1f}' for t in ts)} | {np.median(cpu[name]):.1f} | "
              f"{n / med:.1f} | {bare / med:.2f}x |")
    print(f"| model alone, pre-decoded frames (1 process) | – | – | – | {model_fps:.1f} | – |")


if __name__ == "__main__":
    main()
