"""The same session whichever way the runner faces: each clip against its mirror image.

For each video: a mirror copy (FFmpeg's `hflip`, re-encoded with libx264 at CRF 18, as a
phone or a user's editor would), `ribsdown analyze` of both as whole processes, and one
Markdown row comparing what a user sees: the session's activity, its cadence, the median
trunk lean of its strides and of its frames, and the cues. Works on the shared clips and
on the lab's rendered `clip.mp4`s alike (the row is named after the folder for those):

    .venv/bin/python bench/mirror_check.py ../shared/data/clips/*.mp4 LABDIR/run_*/clip.mp4 --out /tmp/mirror

Outputs go to OUT/NAME/{clip,mirror}; a finished analysis there is reused (`--rerun` redoes it).
`--replay` scores today's coach on the landmarks those analyses recorded (`analyze --landmarks`,
into OUT/NAME/{clip,mirror}.replay): seconds a clip, the model's output unchanged.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.score import analyze_command, analyze_env, needs_analysis, replay_command  # noqa: E402


def clip_name(video: Path) -> str:
    """The row's name: the file's stem, or its folder's name for a lab `clip.mp4`."""
    return video.parent.name if video.name == "clip.mp4" else video.stem


def mirror_video(video: Path, out: Path) -> None:
    """A horizontally mirrored copy of `video` (H.264, CRF 18, same frame rate)."""
    import imageio_ffmpeg

    tmp = out.with_suffix(".tmp.mp4")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(video), "-vf", "hflip",
               "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-an", str(tmp)]
    subprocess.run(command, check=True)
    os.replace(tmp, out)


def analyze(video: Path, out: Path, extra: list[str], rerun: bool) -> Path:
    """`ribsdown analyze VIDEO --out OUT` (reused when OUT holds a finished one)."""
    if needs_analysis(out, rerun):
        run_logged(analyze_command(video, out, extra, None), out)
    return out


def replay(analysis: Path, extra: list[str]) -> Path:
    """`ribsdown analyze --landmarks` of a finished analysis into a fresh ANALYSIS.replay."""
    out = analysis.with_name(analysis.name + ".replay")
    needs_analysis(out, rerun=True)
    run_logged(replay_command(analysis / "landmarks.npz", out, extra), out)
    return out


def run_logged(command: list[str], out: Path) -> None:
    """Run a ribsdown command from the repository with the lab's private homes, into OUT.log."""
    with (out.parent / f"{out.name}.log").open("w") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=analyze_env(out.parent), check=True,
                       cwd=ROOT)


def session_figures(folder: Path) -> dict:
    """What the comparison reads from one analysis folder."""
    summary = json.loads((folder / "summary.json").read_text())
    with (folder / "strides.csv").open(newline="") as fh:
        leans = [float(r["trunk_lean_midstance_deg"]) for r in csv.DictReader(fh) if r["trunk_lean_midstance_deg"]]
    with (folder / "frames.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    running = np.mean([r["activity"] == "running" for r in rows]) if rows else 0.0
    return {
        "running": bool(summary.get("running")),
        "running_share": float(running),
        "cadence": summary.get("cadence_spm"),
        "stride_lean": float(np.median(leans)) if leans else None,
        "frame_lean": (summary.get("trunk_lean_deg") or {}).get("median"),
        "cues": [c["id"] for c in summary.get("cues", [])],
    }


def difference(a: float | None, b: float | None) -> float | None:
    """b − a, None when either is missing."""
    return None if a is None or b is None else b - a


def fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else spec.format(value)


def row(name: str, clip: dict, mirror: dict) -> str:
    """One Markdown row: each figure as clip / mirror, the differences beside."""
    same = "yes" if clip["running"] == mirror["running"] else "**no**"
    cues = "same" if clip["cues"] == mirror["cues"] else f"{','.join(clip['cues']) or '–'} / {','.join(mirror['cues']) or '–'}"
    return " | ".join([
        f"| {name}", f"{clip['running']} / {mirror['running']} ({same})",
        f"{clip['running_share']:.0%} / {mirror['running_share']:.0%}",
        f"{fmt(clip['cadence'], '{:.1f}')} / {fmt(mirror['cadence'], '{:.1f}')}",
        fmt(difference(clip["cadence"], mirror["cadence"]), "{:+.2f}"),
        fmt(difference(clip["stride_lean"], mirror["stride_lean"]), "{:+.2f}°"),
        fmt(difference(clip["frame_lean"], mirror["frame_lean"]), "{:+.2f}°"),
        cues + " |",
    ])


HEADER = ("| clip | running (clip / mirror) | running time | cadence | Δ cadence | Δ stride lean | Δ frame lean "
          "| cues |\n|---|---|---|---|---|---|---|---|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True, help="folder for the mirrors and the analyses")
    parser.add_argument("--rerun", action="store_true", help="analyse again even when done")
    parser.add_argument("--replay", action="store_true", help="today's coach on the recorded landmarks")
    args = parser.parse_args(argv)
    lines = [HEADER]
    for video in args.videos:
        name = clip_name(video)
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        mirrored = folder / "mirror.mp4"
        if not mirrored.is_file():
            mirror_video(video, mirrored)
        extra = lab_analyze_args(video)
        done = [analyze(v, folder / side, extra, args.rerun) for v, side in ((video, "clip"), (mirrored, "mirror"))]
        if args.replay:
            done = [replay(d, extra) for d in done]
        clip, mirror = (session_figures(d) for d in done)
        lines.append(row(name, clip, mirror))
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


def lab_analyze_args(video: Path) -> list[str]:
    """A lab clip's own `analyze_args` (from its truth.json); none for other videos."""
    truth = video.parent / "truth.json"
    if video.name != "clip.mp4" or not truth.is_file():
        return []
    spec = json.loads(truth.read_text()).get("spec") or {}
    return list(spec.get("analyze_args") or [])


if __name__ == "__main__":
    sys.exit(main())
