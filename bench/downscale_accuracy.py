"""Does giving the model a smaller frame move the numbers? (issue #8: "give the model a
downscaled frame where that costs no accuracy — measure it").

For each real clip and each `--sides` value, the whole `analyze` (model pass, then the coach)
runs with `EstimatorConfig(max_side=...)`, and the trunk lean median, cadence, cues and the
model's time per frame are compared with the full-size frame. Run by hand:

    .venv/bin/python bench/downscale_accuracy.py [--sides 960,720,640,480] [--jobs 2]

Prints a Markdown table (the README's "Speed" section keeps one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"
DEFAULT_CLIPS = ("treadmill_side_left.mp4", "treadmill_side_left_then_arched.mp4", "run_grass_short.mp4",
                 "walk_side.mp4", "walk_multi_person.mp4")


def analyse(clip: Path, max_side: int | None, jobs: int) -> dict:
    """summary.json's numbers for one clip with the model's input shrunk to `max_side`."""
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach
    from realtime.apps.cli import build_parser
    from realtime.models.estimator import EstimatorConfig
    from realtime.pipeline.loop import replay_session
    from realtime.pipeline.parallel import analyze_landmarks
    from realtime.record.session import SessionRecord
    from realtime.sources.capture import FileSource

    with FileSource(clip) as src:
        fps, size, n = src.fps, src.size, src.frame_count
    stream = analyze_landmarks(clip, jobs, fps=fps, image_size=size, n_frames=n,
                               estimator_config=EstimatorConfig(max_side=max_side))
    args = build_parser().parse_args(["analyze", str(clip)])
    record = SessionRecord(source=str(clip), fps=fps)
    replay_session(stream, build_coach(load_rules(None), size, args), record)
    s = record.summary()
    lean = s["trunk_lean_deg"]
    return {
        "lean": lean["median"] if lean else None,
        "cadence": s["cadence_spm"],
        "cues": [(c["id"], round(c["t"], 2)) for c in s["cues"]],
        "pose_ms": float(np.median([f.pose_ms for f in stream])),
        "with_pose": s["frames_with_pose"],
        "size": size,
    }


def fmt(v, ref, digits=2):
    if v is None:
        return "–"
    if ref is None:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} ({v - ref:+.{digits}f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sides", default="960,720,640,480", help="max_side values to try (full size is always run)")
    ap.add_argument("--clips", default=",".join(DEFAULT_CLIPS))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    sides = [None] + [int(x) for x in a.sides.split(",") if x]
    print("| clip | model input (long side) | trunk lean median ° (Δ) | cadence spm (Δ) | cues | frames with pose | model ms p50 |")
    print("|---|---|---|---|---|---|---|")
    for name in a.clips.split(","):
        ref = None
        for side in sides:
            r = analyse(CLIPS / name, side, a.jobs)
            ref = ref or r
            label = f"{max(r['size'])} (full)" if side is None else str(side)
            cues = ", ".join(f"{i}@{t:g}" for i, t in r["cues"]) or "none"
            print(f"| {name} | {label} | {fmt(r['lean'], None if side is None else ref['lean'])} | "
                  f"{fmt(r['cadence'], None if side is None else ref['cadence'])} | {cues} | {r['with_pose']} | "
                  f"{r['pose_ms']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
