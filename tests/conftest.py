"""Shared fixtures: where the real clips live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The real clips, `../shared/data/clips` next to the repository (see its README).
CLIPS_DIR = Path(__file__).resolve().parents[2] / "shared/data/clips"


@pytest.fixture(scope="session")
def clips_dir() -> Path:
    """The real-clips folder; skips when it is missing, but fails under CI (`CI=true`)."""
    if CLIPS_DIR.is_dir():
        return CLIPS_DIR
    reason = f"real clips not found at {CLIPS_DIR} (expected ../shared/data/clips beside the repo)"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason}; CI=true requires them")
    pytest.skip(reason)
