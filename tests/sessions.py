"""Real session folders for the store and report tests: the arched treadmill clip
analysed once per test run (about 20 s), then copied for each variant."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli import run_cli

ARCHED_CLIP = "treadmill_side_left_then_arched.mp4"


def arched_session(clips_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ribsdown analyze` of the arched clip, run once per test run (shared by modules
    through the run's base temp folder); treat it as read-only and copy it."""
    folder = tmp_path_factory.getbasetemp() / "arched_session"
    if not (folder / "summary.json").is_file():
        result = run_cli("analyze", clips_dir / ARCHED_CLIP, "--out", folder)
        assert result.returncode == 0, result.stderr
    return folder


def copy_session(source: Path, dest: Path) -> Path:
    """A copy of a session folder at `dest` (parents created), dated by its folder name
    as an older session would be: the summary's own `started_at` is taken out."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, dest)
    summary = json.loads((dest / "summary.json").read_text())
    summary.pop("started_at", None)
    (dest / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return dest
