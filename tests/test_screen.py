"""What the screen shows on the real clips, checked by the pixels in the saved screenshots
(`ribsdown run --headless --screenshot-every 1`, SDL's dummy video driver)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pygame
import pytest

from realtime.outputs.overlay import PANEL_SHARE
from realtime.outputs.widgets import BANNER, GOOD, GOOD_BAND, INK, PANEL, WARN
from tests.cli import run_cli

W, H = 1280, 720
BANNER_BOX = (0, 0, W, 100)
PANEL_BOX = (int(W * (1 - PANEL_SHARE)), 130, W, 660)
IMAGE_BOX = (540, 120, 930, 660)  # the portrait treadmill clip, right of its band in the image area
REPLAY_BOX = (40, 170, 480, 640)  # the instant replay, big in the band left of the portrait image
REPLAY_TAG = (40, 125, 480, 165)  # its "Replay" tag


def share(image: np.ndarray, box, colour, tol: int = 0) -> float:
    x0, y0, x1, y1 = box
    area = image[x0:x1, y0:y1].astype(int)
    return float(np.mean(np.all(np.abs(area - colour) <= tol, axis=-1)))


def load(path: Path) -> np.ndarray:
    return pygame.surfarray.array3d(pygame.image.load(str(path)))  # (W, H, 3)


def screens_by_time(folder: Path) -> dict[float, Path]:
    return {float(re.search(r"screen_([\d.]+)s", p.name).group(1)): p for p in folder.glob("screen_*.png")}


@pytest.fixture(scope="module")
def arched_run(clips_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("screens") / "session"
    result = run_cli("run", "--source", clips_dir / "treadmill_side_left_then_arched.mp4", "--headless", "--mute",
                     "--screenshot-every", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    (cue,) = [c for c in summary["cues"] if c["id"] == "ribs_down"]
    return out / "screens", cue["t"]


def test_running_frames_show_skeleton_trunk_line_angle_and_gauges(arched_run):
    screens, _ = arched_run
    image = load(screens_by_time(screens)[8.0])  # running, good form
    assert share(image, IMAGE_BOX, GOOD) > 0.001  # the green trunk line and its angle
    assert share(image, IMAGE_BOX, (200, 214, 229)) > 0.0005  # the skeleton
    assert share(image, PANEL_BOX, PANEL) > 0.3  # three gauge cards
    assert share(image, PANEL_BOX, GOOD_BAND) > 0.005  # their good bands
    assert share(image, BANNER_BOX, BANNER) == 0.0  # no cue yet


def test_banner_and_replay_after_the_cue_and_none_before(arched_run):
    screens, cue_t = arched_run
    by_t = screens_by_time(screens)
    before = [load(p) for t, p in by_t.items() if 4.0 <= t < 12.0]  # running (no set-up checklist)
    after = load(by_t[float(int(cue_t) + 1)])  # within the 4 s the banner shows
    assert all(share(img, BANNER_BOX, BANNER) == 0.0 for img in before)
    assert all(share(img, REPLAY_BOX, INK) < 0.01 for img in before)
    assert share(after, BANNER_BOX, BANNER) > 0.5
    assert share(after, IMAGE_BOX, WARN) > 0.001  # the trunk line turns amber
    assert share(after, REPLAY_BOX, INK) > 0.01  # the replay inset's frame
    assert share(after, REPLAY_TAG, BANNER) > 0.02  # its "Replay" tag
    assert all(share(img, REPLAY_TAG, BANNER) == 0.0 for img in before)


def test_end_of_session_screen(arched_run):
    screens, _ = arched_run
    image = load(screens / "end_of_session.png")
    assert share(image, (60, 90, 1220, 240), PANEL) > 0.5  # four tiles
    assert share(image, (60, 300, 625, 480), GOOD_BAND) > 0.2  # the lean band in the sparkline
    assert share(image, (60, 300, 625, 480), WARN) > 0.001  # the cue marker


def test_empty_room_asks_to_step_into_view(clips_dir, tmp_path):
    result = run_cli("run", "--source", clips_dir / "empty_room.mp4", "--headless", "--mute", "--duration", "2",
                     "--screenshot-every", "1", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    image = load(screens_by_time(tmp_path / "screens")[1.0])
    # "Step into view": light text on a dark backing in the middle of the image area
    assert np.mean(image[300:640, 300:420].min(axis=-1) > 220) > 0.05
    assert share(image, BANNER_BOX, BANNER) == 0.0
