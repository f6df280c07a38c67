"""`ribsdown demo`: the synthetic runner drawn on a treadmill drives the whole app."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from glob import glob
from pathlib import Path

import numpy as np
import pytest

from cues.engine import CueEngine
from cues.rules import load_rules
from realtime.analysis.frame import AnalyzerConfig, FrameAnalyzer
from realtime.apps.demo import (
    ARCH_END_S,
    ARCH_START_S,
    DEMO_CALIBRATION_S,
    KnownPoseEstimator,
    SyntheticSource,
    demo_spec,
)
from realtime.outputs.overlay import BANNER
from realtime.outputs.widgets import CALM
from realtime.pipeline.loop import Coach
from realtime.sources.demo_scene import SHIRT
from tests.cli import run_cli, user_lines

NO_CAMERA = not glob("/dev/video*")


class FakeClock:
    """A clock that only moves when slept on or told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def colour_share(rgb: np.ndarray, colour: tuple[int, int, int], tol: int = 14) -> float:
    """Share of the pixels of an `(H, W, 3)` RGB array within `tol` of `colour` in every channel."""
    if rgb.size == 0:
        return 0.0
    close = np.all(np.abs(rgb.astype(int) - np.array(colour)) <= tol, axis=-1)
    return float(close.mean())


def read_rgb(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path))
    assert image is not None, path
    return image[:, :, ::-1]


# --- the pieces ------------------------------------------------------------------------------


def test_source_is_paced_like_a_live_camera_and_drops_what_a_slow_consumer_misses():
    clock = FakeClock()
    spec = demo_spec(2.0)
    with SyntheticSource(spec, clock=clock, sleep=clock.sleep) as source:
        assert source.is_live and source.size == (1280, 720) and source.fps == 30.0
        frames = iter(source)
        first = next(frames)
        assert (first.index, first.t) == (0, 0.0)
        second = next(frames)  # a fast consumer waits for the next due frame
        assert second.index == 1 and clock.now == pytest.approx(100.0 + 1 / 30)
        clock.now += 0.2  # a slow consumer gets the newest due frame
        third = next(frames)
        assert third.index == 7 and third.t == pytest.approx(7 / 30)
        assert source.frames_dropped == 5
        rest = list(frames)
    assert rest[-1].index == 59 and rest[-1].image.shape == (720, 1280, 3)


def test_known_pose_estimator_gives_each_frame_its_generated_pose():
    poses = SyntheticSource(demo_spec(1.0)).poses
    est = KnownPoseEstimator(poses, 30.0)
    assert est.last_ms == 0.0
    assert est.estimate(None, 10 / 30) is poses[10]
    assert est.estimate(None, 5.0) is None


def test_the_figure_is_drawn_where_its_landmarks_are():
    source = SyntheticSource(demo_spec(1.0))
    image = source.render(0)[:, :, ::-1]
    pose = source.poses[0]
    hip, shoulder = pose.xy[24], pose.xy[12]
    chest = ((hip + shoulder) / 2).round().astype(int)
    patch = image[chest[1] - 20:chest[1] + 20, chest[0] - 20:chest[0] + 20]
    assert colour_share(patch, SHIRT) > 0.3  # an arm may swing across the chest
    ys, xs = np.nonzero(np.all(np.abs(image.astype(int) - SHIRT) <= 14, axis=-1))
    assert np.hypot(xs.mean() - chest[0], ys.mean() - chest[1]) < 30  # the shirt is on the trunk
    assert colour_share(image, SHIRT) < 0.05  # only the figure wears it


def test_demo_story_ribs_down_during_the_arch_then_praise():
    """The demo's poses through the coach (no images): the cue timing the demo promises."""
    spec = demo_spec(45.0)
    poses = SyntheticSource(spec).poses
    coach = Coach(FrameAnalyzer(spec.image_size, AnalyzerConfig(calibration_s=DEMO_CALIBRATION_S)),
                  CueEngine(load_rules()))
    cues = [c for i, p in enumerate(poses) if (c := coach.step(i / spec.fps, None, p).cue) is not None]
    assert [c.id for c in cues] == ["ribs_down", "praise"]
    assert ARCH_START_S < cues[0].t < ARCH_END_S
    assert ARCH_END_S < cues[1].t < 40.0


def test_building_the_parser_loads_no_native_library():
    code = ("import sys, realtime.apps.cli; realtime.apps.cli.build_parser(); "
            "print(sorted(m for m in ('cv2', 'mediapipe', 'pygame') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the whole app -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("demo") / "session"
    result = run_cli("demo", "--headless", "--duration", "45", "--out", out, "--screenshot-every", "2", "--mute",
                     timeout=180)
    return result, out


def screenshots(out: Path) -> dict[float, Path]:
    shots = {}
    for path in (out / "screens").glob("screen_*s.png"):
        match = re.fullmatch(r"screen_([0-9.]+)s\.png", path.name)
        if match:
            shots[float(match.group(1))] = path
    return dict(sorted(shots.items()))


def test_demo_cues_ribs_down_after_the_arch_starts_and_praise_after_the_recovery(demo_run):
    result, out = demo_run
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    cues = summary["cues"]
    ribs = [c["t"] for c in cues if c["id"] == "ribs_down"]
    assert ribs and all(t > ARCH_START_S for t in ribs), cues
    assert min(ribs) < ARCH_END_S
    assert any(c["id"] == "praise" and c["t"] > ARCH_END_S for c in cues), cues
    assert summary["setup"] == []  # the demo camera is set up right
    assert summary["frames"] > 0.5 * 45 * 30


def test_demo_screenshots_show_the_figure_and_the_banner(demo_run):
    result, out = demo_run
    assert result.returncode == 0, result.stderr
    shots = screenshots(out)
    assert len(shots) >= 20
    for path in shots.values():
        assert colour_share(read_rgb(path), SHIRT) > 0.0015, f"no figure in {path.name}"
    cues = json.loads((out / "summary.json").read_text())["cues"]
    banner_s = CueEngine(load_rules()).banner_s
    during = [(p, c) for t, p in shots.items() for c in cues if c["t"] <= t < c["t"] + banner_s - 0.2]
    assert during, (list(shots), cues)
    for path, cue in during:
        rgb = read_rgb(path)
        colour = CALM if cue["id"] == "praise" else BANNER  # praise in its own calm colour
        assert colour_share(rgb[: rgb.shape[0] // 12], colour) > 0.5, f"no banner in {path.name}"
    first = read_rgb(next(iter(shots.values())))
    assert colour_share(first[: first.shape[0] // 12], BANNER) < 0.05


@pytest.mark.skipif(not NO_CAMERA, reason="this machine has a camera")
def test_first_run_without_a_camera_says_so_and_shows_the_demo(tmp_path):
    result = run_cli("run", "--headless", "--duration", "3", "--mute", "--out", tmp_path / "o", timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in user_lines(result.stderr) if line.startswith("ribsdown: ")]
    assert len(lines) == 1 and "no camera" in lines[0] and "ribsdown demo" in lines[0] and "phone" in lines[0]
    assert "demo" in json.loads((tmp_path / "o" / "summary.json").read_text())["source"]


@pytest.mark.skipif(not NO_CAMERA, reason="this machine has a camera")
def test_an_explicit_camera_that_is_missing_stays_an_error(tmp_path):
    result = run_cli("run", "--source", "0", "--headless", "--out", tmp_path / "o")
    lines = user_lines(result.stderr)
    assert result.returncode == 2 and len(lines) == 1 and "camera 0" in lines[0], result.stderr
