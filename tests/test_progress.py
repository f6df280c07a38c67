"""`analyze` shows one updating progress line on a terminal, and nothing when piped."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from realtime.apps.progress import ProgressLine, progress_text
from tests.cli import run_cli

CLIP = "run_grass_short.mp4"  # 47 frames (clips README)


def test_progress_text():
    assert progress_text(120, 360, 4.2) == "analysing 120/360 frames (33 %), 0:04"
    assert progress_text(5, None, 75.0) == "analysing 5 frames, 1:15"


def test_silent_when_not_a_terminal():
    out = io.StringIO()
    with ProgressLine(10, out) as bar:
        bar.update(10)
    assert out.getvalue() == ""


def test_analyze_on_a_terminal_and_piped(clips_dir, tmp_path):
    leader, follower = pty.openpty()
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "realtime.apps.cli", "analyze", str(clips_dir / CLIP), "--jobs", "1",
         "--out", str(tmp_path / "tty")],
        stdout=subprocess.PIPE, stderr=follower, env=env,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=300) == 0
    proc.stdout.close()
    os.close(leader)
    text = seen.decode("utf-8", errors="replace")
    assert "\ranalysing 47/47 frames (100 %)" in text
    assert "\n" not in text[text.index("analysing"):text.rindex("analysing")]  # one line, redrawn

    piped = run_cli("analyze", clips_dir / CLIP, "--jobs", "1", "--out", tmp_path / "piped")
    assert piped.returncode == 0 and "analysing" not in piped.stderr and "\r" not in piped.stderr
