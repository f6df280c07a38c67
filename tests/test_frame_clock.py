"""A live frame's time: the camera's stamps when usable, the wall clock otherwise (realtime/sources/frame_clock.py)."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.sources.frame_clock import MAX_DRIFT_S, FrameClock


def times(stamps_ms, reads_s) -> tuple[list[float], FrameClock]:
    clock = FrameClock()
    return [clock.t(own, now) for own, now in zip(stamps_ms, reads_s)], clock


def test_a_60fps_camera_read_with_jitter_is_timed_by_its_stamps():
    """Reads late by up to 12 ms (a busy laptop), stamps exact: the times are the stamps."""
    rng = np.random.default_rng(0)
    k = np.arange(600)
    stamps = 5_000.0 + k * 1000.0 / 60.0
    reads = 100.0 + k / 60.0 + rng.uniform(0.0, 0.012, k.size)
    t, clock = times(stamps, reads)
    assert clock.uses_stamps
    assert np.allclose(t, k / 60.0)
    assert np.all(np.diff(t) > 0)


def test_a_camera_without_stamps_is_timed_by_the_clock():
    reads = 50.0 + np.arange(10) * 0.033
    for missing in (0.0, -1.0, float("nan")):
        t, clock = times([missing] * 10, reads)
        assert not clock.uses_stamps
        assert np.allclose(t, reads - reads[0])


def test_stamps_that_go_back_or_run_away_give_way_to_the_clock_without_a_jump():
    reads = 10.0 + np.arange(8) * 0.04
    back = [1000.0, 1040.0, 1080.0, 900.0, 940.0, 980.0, 1020.0, 1060.0]  # a stream's clock restarts
    t, clock = times(back, reads)
    assert not clock.uses_stamps
    assert t[:3] == pytest.approx([0.0, 0.04, 0.08])
    assert np.allclose(np.diff(t), 0.04)  # one frame's gap where it gave up, then the clock's
    away = [1000.0, 1040.0, 1040.0 + 1000.0 * (MAX_DRIFT_S + 0.5)] + [5000.0 + 40.0 * i for i in range(5)]
    t, clock = times(away, reads)
    assert not clock.uses_stamps
    assert np.allclose(np.diff(t), 0.04)
