"""Run the real `ribsdown` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m realtime.apps.cli ARGS` with the given extra environment (in `cwd`: `-m`
    puts the working folder first on the import path)."""
    full_env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "realtime.apps.cli", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd,
    )


def user_lines(stderr: str) -> list[str]:
    """stderr without the pose model's native start-up chatter."""
    native = ("INFO: Created TensorFlow", "WARNING: All log messages", "W0000", "I0000")
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(native)]
