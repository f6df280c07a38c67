"""Kiosk mode with the real model: runners come and go, the camera drops out and comes back."""

from __future__ import annotations

import cv2
import numpy as np
import pygame
import pytest

from cues.engine import CueEngine
from cues.rules import load_rules
from realtime.analysis.frame import AnalyzerConfig, FrameAnalyzer
from realtime.apps.kiosk import Kiosk, KioskTimes
from realtime.core.errors import SourceError
from realtime.models.estimator import LEAN_CORRECTION_DEG, PoseEstimator
from realtime.pipeline.loop import Coach
from realtime.sources.capture import Frame, FrameSource
from realtime.sources.demo_source import KnownPoseEstimator
from realtime.sources.synthetic import RunnerSpec, generate

SIZE = (720, 1280)  # (w, h) of the treadmill clip; the empty room is resized to it


def read_frames(path, seconds: float, size=SIZE) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < int(seconds * 30):
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image if image.shape[1::-1] == size else cv2.resize(image, size))
    cap.release()
    return frames


class ScriptedSource(FrameSource):
    """Frames from a list at `fps`; optionally the camera 'unplugs' after `fail_after` frames."""

    is_live = True

    def __init__(self, images: list[np.ndarray], fail_after: int | None = None, fps: float = 30.0) -> None:
        self.images, self.fail_after = images, fail_after
        self.name, self.fps, self.size = "scripted", fps, SIZE
        self._index = 0

    def _next_frame(self) -> Frame | None:
        i = self._index
        if self.fail_after is not None and i >= self.fail_after:
            raise SourceError("camera unplugged")
        if i >= len(self.images):
            return None
        self._index += 1
        return Frame(self.images[i], i / self.fps, i, float(i))

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def footage(clips_dir):
    return {
        "empty": read_frames(clips_dir / "empty_room.mp4", 6.0),
        "runner": read_frames(clips_dir / "treadmill_side_left.mp4", 8.0),
        "whole_run": read_frames(clips_dir / "treadmill_side_left.mp4", 12.0),
    }


def make_coach(size):
    """The coach the kiosk builds for the real model (realtime/apps/assemble.py build_coach)."""
    config = AnalyzerConfig(calibration_s=20.0, lean_correction_deg=LEAN_CORRECTION_DEG)
    return Coach(FrameAnalyzer(size, config), CueEngine(load_rules()))


def scripted(*sources):
    """An open_source() that hands out the given sources (or raises), then None."""
    queue = list(sources)

    def open_source():
        if not queue:
            return None
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return open_source


TIMES = KioskTimes(start_after_s=1.0, end_after_s=3.0, end_screen_s=2.0, reconnect_s=0.01)


def test_two_runners_make_two_sessions_and_nothing_is_stored(footage, screen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    e, r = footage["empty"], footage["runner"]
    script = e[:60] + r + e + r + e[:120]  # empty → runner → empty → runner → empty
    with PoseEstimator() as estimator:
        kiosk = Kiosk(scripted(ScriptedSource(script)), estimator, make_coach, screen, None, TIMES)
        sessions = kiosk.run()
    assert len(sessions) == 2
    for s in sessions:
        assert 5.0 <= s.duration_s <= 12.0  # 8 s of runner plus the wait to end
        assert s.cues == ()
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_camera_unplugged_mid_session_then_back(footage, screen):
    r = footage["whole_run"]  # the whole 12 s clip: the coach needs a few strides to call it running
    script = scripted(
        ScriptedSource(r, fail_after=120),  # unplugged 4 s into the run
        SourceError("no camera at index 0"),
        SourceError("no camera at index 0"),
        ScriptedSource(r),  # plugged back in
    )
    with PoseEstimator() as estimator:
        kiosk = Kiosk(script, estimator, make_coach, screen, None, TIMES)
        sessions = kiosk.run()
    assert len(sessions) == 2  # the interrupted one, and the one after the camera came back
    assert sessions[1].running_s > 3.0


def test_attract_screen_says_what_to_do(footage, screen):
    with PoseEstimator() as estimator:
        kiosk = Kiosk(scripted(ScriptedSource(footage["empty"][:30])), estimator, make_coach, screen, None, TIMES)
        assert kiosk.run() == []
    pixels = pygame.surfarray.array3d(screen.surface)
    assert np.mean(pixels.min(axis=-1) > 220) > 0.005  # the light lines of text on the dimmed room


def test_running_time_of_a_15_fps_camera(screen):
    """The kiosk's running time is the frames' time, not their number over 30 fps."""
    spec = RunnerSpec.running(fps=15.0, duration_s=20.0, image_size=SIZE)
    poses, _ = generate(spec)
    blank = [np.zeros((SIZE[1], SIZE[0], 3), np.uint8)] * len(poses)
    kiosk = Kiosk(scripted(ScriptedSource(blank, fps=15.0)), KnownPoseEstimator(poses, 15.0), make_coach, screen,
                  None, TIMES)
    (session,) = kiosk.run()
    assert 15.0 <= session.running_s <= session.duration_s <= 20.0


def test_the_end_of_a_video_file_ends_the_session_on_its_end_screen(clips_dir, screen):
    """A video file that ends is the end of the session (not a lost camera): its end screen
    shows, and the kiosk stops instead of playing the file again."""
    from dataclasses import replace

    from realtime.outputs.widgets import PANEL
    from realtime.sources.capture import open_source

    with PoseEstimator() as estimator:
        kiosk = Kiosk(lambda: open_source(str(clips_dir / "treadmill_side_left.mp4")), estimator, make_coach,
                      screen, None, replace(TIMES, end_screen_s=0.2))
        sessions = kiosk.run(duration_s=60.0)
    assert len(sessions) == 1 and sessions[0].measured
    pixels = pygame.surfarray.array3d(screen.surface)
    assert np.mean(np.all(pixels == PANEL, axis=-1)) > 0.1  # the end screen's tiles and charts

