"""Readable from the treadmill: the status line's letters and the replayed runner's size,
measured on a real pygame surface (SDL dummy driver)."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pygame
import pytest

from cues.rules import load_rules
from realtime.core.pose import Pose
from realtime.outputs.layers import screen_gauges
from realtime.outputs.overlay import Overlay, View
from realtime.outputs.replay import InstantReplay, ReplayBuffer
from realtime.outputs.widgets import INK
from tests.poses import figure

RUNNER = (255, 0, 255)  # the replayed runner's silhouette (BGR magenta, the same in RGB)
SHOTS = os.environ.get("RIBSDOWN_SCREENS")


@pytest.fixture()
def fonts(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    yield
    pygame.display.quit()


def body(image_size: tuple[int, int], height_share: float) -> Pose:
    """The test figure scaled so its landmarks span `height_share` of the image's height,
    only its body's landmarks visible."""
    pose = figure(5, "left")
    xy = pose.xy.copy()
    used = np.any(xy != 0, axis=1)
    (x0, y0), (x1, y1) = xy[used].min(axis=0), xy[used].max(axis=0)
    w, h = image_size
    scale = height_share * h / (y1 - y0)
    xy = (xy - ((x0 + x1) / 2, (y0 + y1) / 2)) * scale + (w / 2, h / 2)
    return Pose(xy=xy, visibility=np.where(used, 0.95, 0.0), t=0.0)


def replay_view(image_size: tuple[int, int], height_share: float) -> View:
    """A live frame with a replay playing: the runner drawn as a magenta box over its landmarks."""
    w, h = image_size
    buffer, pose = ReplayBuffer(), body(image_size, height_share)
    used = pose.visibility > 0
    (x0, y0), (x1, y1) = pose.xy[used].min(axis=0).astype(int), pose.xy[used].max(axis=0).astype(int)
    image = np.full((h, w, 3), 70, np.uint8)
    cv2.rectangle(image, (x0, y0), (x1, y1), RUNNER, -1)
    for i in range(12):
        buffer.push(i / 30, image, pose.with_xy(pose.xy), -3.0)
    replay = InstantReplay()
    replay.start(0.0, buffer.clip(0.0, 1.0))
    gauges = tuple((spec, None) for spec in screen_gauges(load_rules()))
    live = np.full((h, w, 3), 70, np.uint8)  # the live picture: no magenta in it
    return View(image_bgr=live, pose=None, trunk_lean_deg=None, banner_text="Ribs down, lean forward",
                status_text="Running", gauges=gauges, replay=replay.frame_at(0.1))


@pytest.mark.parametrize("camera, share", [((720, 1280), 0.7), ((1280, 720), 0.7), ((1280, 720), 0.45)])
def test_the_replayed_runner_is_a_third_of_the_screen_tall(fonts, camera, share):
    """Portrait (the treadmill clips) and landscape cameras, a near and a far runner."""
    canvas = pygame.Surface((1280, 720))
    Overlay().annotate(canvas, replay_view(camera, share))
    if SHOTS:
        pygame.image.save(canvas, os.path.join(SHOTS, f"replay_{camera[0]}x{camera[1]}_{share}.png"))
    mask = np.all(pygame.surfarray.array3d(canvas) == RUNNER, axis=-1)  # (W, H)
    rows = np.flatnonzero(mask.any(axis=0))
    assert rows.size and rows.max() - rows.min() + 1 >= canvas.get_height() / 3


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_the_status_line_has_reading_size_capitals(fonts, size):
    """45 px capitals on a 1080-pixel screen (12.5 mm at 0.277 mm a pixel: 22 arcminutes at
    2 m), scaled with the window's height."""
    canvas = pygame.Surface(size)
    view = View(image_bgr=np.zeros((720, 1280, 3), np.uint8), pose=None, trunk_lean_deg=None,
                banner_text=None, status_text="HHHH", status_detail="30.0 fps")
    Overlay().annotate(canvas, view)
    w, h = size
    strip = pygame.surfarray.array3d(canvas)[: w // 4, h - h // 8:]  # the text's start, bottom rows
    rows = np.flatnonzero(np.all(strip == INK, axis=-1).any(axis=0))
    assert rows.max() - rows.min() + 1 >= 45 * h / 1080 - 1


def analysed(roll_deg: float = 0.0, raw: Pose | None = None):
    """A real analysis of the test figure by the analyzer, with a known camera roll: its frame
    once the figure has stood in place long enough to be measured (realtime/analysis/passing.py)."""
    from realtime.analysis.frame import AnalyzerConfig, FrameAnalyzer
    from realtime.analysis.passing import DEFAULT_PASSING
    from realtime.pipeline.loop import FrameResult
    from realtime.sources.capture import Frame

    image = np.zeros((1280, 720, 3), np.uint8)
    raw = raw if raw is not None else figure(5, "left")
    analyzer = FrameAnalyzer((720, 1280), AnalyzerConfig(camera_roll_deg=roll_deg))
    frames = int(DEFAULT_PASSING.min_span_s * 30) + 1
    for i in range(frames):
        t = i / 30.0
        analysis = analyzer.update(t, image, Pose(raw.xy, raw.visibility, t))
    return FrameResult(Frame(image, t, frames - 1, t), analysis, None, None, 0.0, raw=raw)


def test_the_skeleton_is_drawn_where_the_body_is_on_the_unlevelled_picture():
    """The analysis levels the pose by the camera's roll; the screen puts it back on the picture."""
    from realtime.outputs.layers import pose_on_image

    result = analysed(roll_deg=4.0)
    assert np.abs(result.pose.xy - result.raw.xy).max() > 10  # levelled: moved off the picture's body
    assert np.allclose(pose_on_image(result).xy, result.raw.xy, atol=0.5)


def test_no_calibration_countdown_under_a_cue_banner_and_no_keys_in_the_kiosk():
    from dataclasses import replace

    from cues.engine import Cue
    from realtime.outputs.layers import KEY_HINTS, status_detail, what_we_see

    result = analysed()
    running = replace(result, analysis=replace(result.analysis, activity="running", calibration_left_s=9.0,
                                               cadence_spm=168.0, setup=[]))
    running = replace(running, analysis=replace(running.analysis, posture=replace(running.analysis.posture, facing="left")))
    assert what_we_see(running).startswith("Calibrating — 9 s")
    waiting = replace(running, analysis=replace(running.analysis, calibration_left_s=0.0))
    assert what_we_see(waiting).startswith("Calibrating — keep a steady pace")  # never "0 s" for ever
    cue = Cue(t=0.0, id="ribs_down", text="Ribs down, lean forward", voice="ribs_down.wav")
    assert "Calibrating" not in what_we_see(replace(running, banner=cue))
    assert KEY_HINTS in status_detail(running, 30.0, False) and "quit" not in status_detail(running, 30.0, False, keys=False)


def test_the_last_cue_stays_in_the_portrait_band_after_its_banner(fonts):
    """The band beside a portrait picture keeps the coach's last line, at reading size."""
    from realtime.outputs.widgets import PANEL, WARN

    canvas = pygame.Surface((1280, 720))
    view = View(image_bgr=np.zeros((1280, 720, 3), np.uint8), pose=None, trunk_lean_deg=None, banner_text=None,
                status_text="Running", last_cue=("0:13  Ribs down, lean forward", False))
    overlay = Overlay()
    overlay.annotate(canvas, view)
    if SHOTS:
        pygame.image.save(canvas, os.path.join(SHOTS, "last_cue_band.png"))
    fit, side = overlay.layout((1280, 720), (720, 1280), gauges=False)
    band = pygame.surfarray.array3d(canvas)[side.x:side.right, side.y:side.bottom]
    warn_rows = np.flatnonzero(np.all(band == WARN, axis=-1).any(axis=0))
    assert np.all(band == PANEL, axis=-1).any() and warn_rows.size >= 30  # its card and its words, big
