"""A first run on a fresh machine (an empty data folder), as a user sees it: the demo, then an
analysed video, then the history: no "earlier session" that is not there, the kinds shown, and
only the user's own sessions in the trend."""

from __future__ import annotations

import json

from tests.cli import run_cli

CLIP = "run_grass_short.mp4"  # 1.6 s (clips README)


def test_first_runs_and_history(clips_dir, tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    demo = run_cli("demo", "--headless", "--mute", "--duration", "4", env=env)
    assert demo.returncode == 0, demo.stderr
    assert "earlier session" not in demo.stdout + demo.stderr
    video = run_cli("analyze", clips_dir / CLIP, "--jobs", "1", env=env)
    assert video.returncode == 0, video.stderr
    assert "earlier session" not in video.stdout + video.stderr
    mine = run_cli("analyze", clips_dir / CLIP, "--jobs", "1", "--mine", env=env)
    assert mine.returncode == 0, mine.stderr

    history = run_cli("history", env=env)
    lines = history.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "date", "kind", "source"]
    kinds = [line.split()[3] for line in lines[1:]]
    assert kinds == ["demo", "video", "video"] and lines[3].split()[4] == "(you)"

    sessions = sorted((tmp_path / "data" / "ribsdown" / "sessions").glob("*/summary.json"))
    found = {(s["kind"], s["mine"]) for s in (json.loads(p.read_text()) for p in sessions)}
    assert found == {("demo", False), ("video", False), ("video", True)}


def test_a_machine_without_display_or_sound(tmp_path):
    """The demo on a box with no desktop and no sound card (no DISPLAY, no XDG_RUNTIME_DIR, ALSA
    with no card): nothing on stderr with --mute; one line of ribsdown's own without."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "SDL_VIDEODRIVER", "RIBSDOWN_NATIVE_LOGS")}
    env.update(SDL_AUDIODRIVER="alsa", XDG_DATA_HOME=str(tmp_path / "data"))

    def demo(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "realtime.apps.cli", "demo", "--duration", "2", *extra],
                              env=env, capture_output=True, text=True, timeout=120)

    muted, loud = demo("--mute"), demo()
    assert muted.returncode == 0 and loud.returncode == 0, muted.stderr + loud.stderr
    assert "session saved to" in muted.stdout
    assert muted.stderr == ""
    assert all(line.startswith("ribsdown: ") for line in loud.stderr.splitlines()), loud.stderr
