"""Why `analyze` restarts the model's tracking at fixed frames (realtime/pipeline/parallel.py).

MediaPipe Pose in video mode crops each frame around the previous frame's landmarks. This
script measures how long that memory lasts: it runs the model over a clip from frame 0, and
again from later start frames, and compares the landmarks where both ran; then it runs the
whole analysis (the coach over the landmark stream) on streams that differ only in where a
model started, to show what that does to the session's numbers:

- one pass, never restarted (the loop `run` uses);
- "warm-up overlap": frames from 12 s on taken from a second model started 2 s earlier
  (the parallel design first planned for `analyze`);
- the model started 1–3 frames late (frames before that from the first pass): how far the
  numbers move when nothing but the model's starting point changes;
- restarts every 3 s (what `analyze` does now, with any number of jobs).

    .venv/bin/python bench/tracking_divergence.py [--clip treadmill_side_left_then_arched.mp4]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"
KEY = [11, 12, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]  # shoulders, hips, knees, ankles, heels, toes
NEVER = 10**9


def model_pass(args: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(has_pose, xy, visibility, pose_ms) of frames start..stop-1, the model started at `start`."""
    clip, fps, size, start, stop, block = args
    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    from realtime.pipeline.parallel import Segment, SegmentJob, run_segment

    chunks = []
    run_segment(SegmentJob(str(clip), fps, size, Segment(0, start, stop), block, 1.0, 0.0), chunks.append)
    return tuple(np.concatenate([getattr(c, k) for c in chunks]) for k in ("has_pose", "xy", "visibility", "pose_ms"))


def stream_from(base, parts: list[tuple[int, tuple]]):
    """`base` (a LandmarkStream) with frames from `first` on replaced by each part in turn."""
    from realtime.core.pose import Pose
    from realtime.record.landmarks import LandmarkStream, LoggedFrame

    frames = list(base.frames)
    for first, (has, xy, vis, ms) in parts:
        for j in range(len(has)):
            f = frames[first + j]
            pose = Pose(xy[j], vis[j], f.t) if has[j] else None
            frames[first + j] = LoggedFrame(f.t, f.frame_index, pose, f.scene, float(ms[j]))
    return LandmarkStream(base.image_size, base.fps, base.source, tuple(frames))


def summary(stream) -> dict:
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach
    from realtime.apps.cli import build_parser
    from realtime.pipeline.loop import replay_session
    from realtime.record.session import SessionRecord

    record = SessionRecord(source="bench", fps=stream.fps)
    replay_session(stream, build_coach(load_rules(None), stream.image_size, build_parser().parse_args(["analyze"])),
                   record)
    return record.summary()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="treadmill_side_left_then_arched.mp4")
    a = ap.parse_args()
    from realtime.apps.cli import quiet_native_logs
    from realtime.pipeline.parallel import analyze_landmarks
    from realtime.sources.capture import FileSource

    quiet_native_logs()
    clip = CLIPS / a.clip
    with FileSource(clip) as src:
        fps, size, n = src.fps, src.size, src.frame_count
    base = analyze_landmarks(clip, 1, fps=fps, image_size=size, n_frames=n, block_s=NEVER)  # never restarted
    half, warm = n // 2, round(2 * fps)
    late = (1, 2, 3)
    jobs = [(clip, fps, size, s, None, NEVER) for s in (*late, 60, 150)]
    jobs.append((clip, fps, size, half - warm, None, NEVER))
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        runs = list(pool.map(model_pass, jobs))
    base_xy = np.stack([f.pose.xy if f.pose is not None else np.full((33, 2), np.nan) for f in base])

    print(f"\n{a.clip}: landmarks of a model started at frame k against one started at frame 0, "
          f"over the last quarter of the clip (frames {3 * n // 4}..{n - 1}), px\n")
    print("| model started at frame | p50 | p90 | max |")
    print("|---|---|---|---|")
    for (_, _, _, start, _, _), (_, xy, _, _) in zip(jobs, runs):
        tail = slice(3 * n // 4 - start, None)
        d = np.hypot(*(xy[tail] - base_xy[3 * n // 4:]).transpose(2, 0, 1))[:, KEY]
        print(f"| {start} | {np.nanmedian(d):.2f} | {np.nanpercentile(d, 90):.2f} | {np.nanmax(d):.1f} |")

    variants = {"one pass, never restarted": base}
    overlap = runs[-1]
    variants[f"frames from {half / fps:g} s by a 2nd model started 2 s earlier"] = stream_from(
        base, [(half, tuple(x[warm:] for x in overlap))])
    for k, run in zip(late, runs):
        variants[f"model started {k} frame(s) late"] = stream_from(base, [(k, run)])
    variants["restarted every 3 s (analyze, any --jobs)"] = analyze_landmarks(
        clip, 2, fps=fps, image_size=size, n_frames=n, block_s=3.0)
    print(f"\n{a.clip}: the session's numbers\n")
    print("| landmark stream | cadence spm | trunk lean median ° | cues | strides |")
    print("|---|---|---|---|---|")
    for name, stream in variants.items():
        s = summary(stream)
        cues = ", ".join(f"{c['id']}@{c['t']:.2f}s" for c in s["cues"]) or "none"
        lean = s["trunk_lean_deg"]["median"] if s["trunk_lean_deg"] else None
        print(f"| {name} | {s['cadence_spm']} | {lean} | {cues} | {s['strides']} |")


if __name__ == "__main__":
    main()
