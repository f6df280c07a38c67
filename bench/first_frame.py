"""Time from `ribsdown run` to the first frame on screen, whole processes (issue "Speed on the
machines runners really have").

Each run starts `ribsdown -v run --source CLIP --realtime --headless --duration 3` (a video
played as a camera: the same start-up as a webcam's, minus the driver's), reads its log as it
comes and takes the time at which "first frame on screen" arrives; `--pace auto` (the default,
the models of the ladder built on a thread after the first) and `--pace off` alternate.

    .venv/bin/python bench/first_frame.py [--rounds 5] [--clip ../shared/data/clips/treadmill_side_left.mp4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared/data/clips/treadmill_side_left.mp4"


def time_to_first_frame(clip: Path, pace: str, out: Path, env: dict) -> float:
    """Seconds from starting the process to its "first frame on screen" log line."""
    cmd = [sys.executable, "-m", "realtime.apps.cli", "-v", "run", "--source", str(clip), "--realtime", "--headless",
           "--mute", "--duration", "3", "--pace", pace, "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    seen = None
    for line in proc.stderr:
        if seen is None and "first frame on screen" in line:
            seen = time.perf_counter() - start
    proc.wait()
    if seen is None:
        raise RuntimeError(f"no first frame from {' '.join(cmd)} (exit {proc.returncode})")
    return seen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ribsdown_first_"))
    env = {**os.environ, "XDG_DATA_HOME": str(work / "data"), "XDG_CONFIG_HOME": str(work / "config"),
           "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    times: dict[str, list[float]] = {"auto": [], "off": []}
    for r in range(a.rounds):
        for pace in times:
            times[pace].append(time_to_first_frame(a.clip, pace, work / f"s_{pace}_{r}", env))
            print(f"round {r + 1} --pace {pace}: {times[pace][-1]:.2f} s, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(f"\n{a.clip.name}, {a.rounds} rounds: `ribsdown run` to the first frame on screen\n")
    print("| command | median s | runs |")
    print("|---|---|---|")
    for pace, ts in times.items():
        print(f"| `ribsdown run --pace {pace}` | {np.median(ts):.2f} | {', '.join(f'{t:.2f}' for t in ts)} |")


if __name__ == "__main__":
    main()
