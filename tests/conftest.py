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


@pytest.fixture(scope="session", autouse=True)
def private_user_dirs(tmp_path_factory):
    """Sessions, history and user rules of the tests go to temporary folders, never the user's own."""
    saved = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data_home"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config_home"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture()
def screen(monkeypatch):
    """A real pygame screen on SDL's dummy video driver."""
    from realtime.outputs.screen import Screen

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    screen = Screen()
    screen.open()
    yield screen
    screen.close()


@pytest.fixture()
def canvas(monkeypatch):
    """A 1280×720 pygame Surface to draw on (SDL's dummy video driver, fonts ready)."""
    import pygame

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    yield pygame.Surface((1280, 720))
    pygame.display.quit()
