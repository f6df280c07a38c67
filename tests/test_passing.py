"""Someone walking past is nobody to coach; a runner who stays in place, or runs past, is."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.analysis.frame import FrameAnalyzer
from realtime.analysis.passing import DEFAULT_PASSING, PlaceWatch, theil_sen_slope
from realtime.core.pose import Pose
from tests.poses import figure

FPS = 30.0
TRUNK_PX = 200.0


def moving(speed_trunks_per_s: float, t: float, jitter: float = 0.0, rng=None) -> Pose:
    """The figure carried across the image at a steady speed (trunk lengths per second)."""
    pose = figure(5.0, t=t, trunk_px=TRUNK_PX)
    shift = speed_trunks_per_s * TRUNK_PX * t - 400.0
    noise = rng.normal(0.0, jitter, size=pose.xy.shape) if rng is not None else 0.0
    return pose.with_xy(pose.xy + (shift, 0.0) + noise)


def placements(speed: float, seconds: float = 3.0, jitter: float = 0.0) -> list[str]:
    watch, rng = PlaceWatch(), np.random.default_rng(7)
    return [watch.update(i / FPS, moving(speed, i / FPS, jitter, rng)) for i in range(int(seconds * FPS))]


def test_the_slope_ignores_a_few_frames_on_someone_else():
    t = np.arange(30) / FPS
    x = np.full(30, 500.0)
    x[10:14] = 1400.0  # the model on another person for four frames
    assert theil_sen_slope(t, x) == pytest.approx(0.0, abs=1e-9)
    assert theil_sen_slope(t, 3.0 * t) == pytest.approx(3.0)


def test_a_runner_in_place_is_measured_after_half_a_second():
    seen = placements(0.0, jitter=2.0)  # the pose model's jitter on a still body: about 2 px
    settle = int(DEFAULT_PASSING.min_span_s * FPS)
    assert set(seen[:settle]) == {"settling"}
    assert set(seen[settle:]) == {"in_place"}


@pytest.mark.parametrize("speed", [1.0, 2.2, 3.0, 3.9])  # a slow walk … a brisk one (trunk lengths/s)
def test_someone_walking_past_is_nobody(speed):
    seen = placements(speed, jitter=2.0)
    assert set(seen[int(DEFAULT_PASSING.min_span_s * FPS):]) == {"walking_past"}


@pytest.mark.parametrize("speed", [0.2, 5.0, 8.0])  # drifting on the belt; running past outdoors
def test_a_drift_on_the_belt_and_a_runner_crossing_are_still_measured(speed):
    seen = placements(speed, jitter=2.0)
    assert set(seen[int(DEFAULT_PASSING.min_span_s * FPS):]) == {"in_place"}


def test_a_gap_longer_than_the_window_starts_the_watch_again():
    watch = PlaceWatch()
    for i in range(30):
        watch.update(i / FPS, moving(0.0, i / FPS))
    assert watch.update(3.0, None) == "settling"
    assert watch.update(3.1, moving(0.0, 3.1)) == "settling"  # back in view: half a second again


def test_the_analysis_treats_someone_walking_past_as_nobody():
    analyzer = FrameAnalyzer((1920, 1080))
    analyses = [analyzer.update(i / FPS, None, moving(2.0, i / FPS)) for i in range(int(4 * FPS))]
    assert all(a.pose is None and a.posture.trunk_lean_deg is None for a in analyses)
    assert [w.id for w in analyses[-1].setup] == ["no_person"]
    settle = int(DEFAULT_PASSING.min_span_s * FPS)
    assert analyzer.implausible == {"walking_past": len(analyses) - settle}
