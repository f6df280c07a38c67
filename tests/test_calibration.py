"""Calibration: the runner's own baseline from the first ~20 s of steady running."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from realtime.analysis.calibration import Calibration, is_fault
from realtime.analysis.rib_cage import STRIDE_METRICS
from realtime.analysis.stride_metrics import METRICS, StrideMetrics
from realtime.sources.synthetic import RunnerSpec, generate
from tests.test_stride_metrics import measure_run

STRIDE_S = 120 / 170
LEAN_MID = 5.73  # the synthetic runner's midstance lean: 5 deg + its oscillation there


def _stride(t: float, lean: float | None = 5.0, near: bool = True) -> StrideMetrics:
    return StrideMetrics(
        leg="right" if near else "left", near=near, t_contact=t - STRIDE_S,
        t_toe_off=t - STRIDE_S + 0.26, t_next_contact=t, cadence_spm=170.0,
        contact_time_s=0.26, trunk_lean_midstance_deg=lean, thigh_extension_deg=-18.0,
        trunk_back_excursion_deg=1.7, extension_coupling=0.08, shank_angle_contact_deg=3.0,
        foot_ahead_of_hip=0.17, vertical_oscillation=0.08, quality=1.0)


def _feed(cal: Calibration, spec: RunnerSpec, not_running: tuple[float, float] | None = None
          ) -> tuple[list[tuple[float, StrideMetrics]], float | None]:
    """Run a synthetic sequence through tracker, buffer and `cal`, as the loop does.

    `not_running`: (t0, t1) during which the runner is reported as not running.
    Returns the (t, metrics) of every measured stride and the frame time at which the
    calibration became ready (None if it did not).
    """
    frames, truth = generate(spec)
    strides: list[tuple[float, StrideMetrics]] = []
    when = None
    for t, metrics, running in measure_run(frames, truth):
        if not_running and not_running[0] <= t < not_running[1]:
            running = False
        cal.update(t, metrics, running)
        if metrics is not None:
            strides.append((t, metrics))
        if cal.ready and when is None:
            when = t
    return strides, when


def _ready_time(spec: RunnerSpec, not_running: tuple[float, float] | None = None
                ) -> tuple[Calibration, float | None]:
    """A default Calibration fed with a run, and when it became ready."""
    cal = Calibration()
    return cal, _feed(cal, spec, not_running)[1]


# ------------------------------------------------------------------ on the synthetic runner


@pytest.mark.parametrize("fps,facing", [(15, "right"), (30, "left"), (60, "right")])
def test_ready_after_20_s_of_running(fps: int, facing: str) -> None:
    spec = RunnerSpec.running(fps=fps, facing=facing, duration_s=26)
    cal, when = _ready_time(spec)
    assert when is not None and 20.0 <= when <= 21.5
    base = cal.baseline
    assert base is not None and base["t_end"] == pytest.approx(when)
    assert base["t_end"] - base["t_start"] >= 20.0 and base["t_start"] < 1.0
    assert base["n_strides"] >= 50  # both legs, ~2.8 strides a second
    assert base["trunk_lean_midstance_deg"] == pytest.approx(LEAN_MID, abs=0.3)
    assert base["cadence_spm"] == pytest.approx(170, rel=0.01)
    assert base["vertical_oscillation"] == pytest.approx(0.07 / 0.859, abs=0.003)
    assert cal.progress == 1.0 and cal.remaining_s == 0.0


def test_progress_counts_up_while_calibrating() -> None:
    spec = RunnerSpec.running(duration_s=12)
    frames, truth = generate(spec)
    cal = Calibration()
    seen = []
    for t, metrics, running in measure_run(frames, truth):
        cal.update(t, metrics, running)
        seen.append((t, cal.progress, cal.remaining_s))
    assert not cal.ready and cal.baseline is None and cal.relative(_stride(1.0)) == {}
    t, progress, remaining = seen[-1]
    assert progress == pytest.approx((t - 0.5) / 20, abs=0.05)  # from the first stride's contact
    assert remaining == pytest.approx(20 * (1 - progress))
    progresses = [p for _, p, _ in seen]
    assert progresses == sorted(progresses)  # never goes back while running steadily


def test_an_arching_episode_is_not_learned() -> None:
    """Lean 5 deg, arching to -5 deg from 6 s to 11 s (1 s ramps), inside the window."""
    spec = RunnerSpec.running(duration_s=26, arch_start_s=6.0, arch_end_s=11.0,
                              arch_delta_deg=-10.0)
    cal, when = _ready_time(spec)
    base = cal.baseline
    assert when is not None and base is not None
    assert base["trunk_lean_midstance_deg"] == pytest.approx(LEAN_MID, abs=0.4)
    clean, _ = _ready_time(spec.with_(arch_start_s=None, arch_end_s=None))
    assert base["n_strides"] < clean.baseline["n_strides"] - 10  # type: ignore[index]


def test_a_stop_restarts_the_stretch() -> None:
    """The classifier says "not running" from 10 s to 12 s: calibration starts again.

    The first stride reported after 12 s began (its contact) ~0.85 s earlier, so the new
    stretch starts at ~11.4 s."""
    spec = RunnerSpec.running(duration_s=36)
    cal, when = _ready_time(spec, not_running=(10.0, 12.0))
    assert when is not None and 31.0 <= when <= 33.0
    assert cal.baseline["t_start"] >= 11.0  # type: ignore[index]


def test_a_long_gap_without_strides_restarts_the_stretch() -> None:
    """No person seen from 10 s to 14 s: no strides for > 3 s."""
    spec = RunnerSpec.running(duration_s=38, dropout_intervals=((10.0, 14.0),))
    cal, when = _ready_time(spec)
    assert when is not None and 34.0 <= when <= 35.5
    assert cal.baseline["t_start"] >= 14.0  # type: ignore[index]


def test_relative_values_after_calibration() -> None:
    """Calibrated at lean 5 deg; an arching episode at 24-30 s reads -8 deg relative."""
    spec = RunnerSpec.running(duration_s=32, arch_start_s=24.0, arch_end_s=29.0,
                              arch_delta_deg=-8.0)
    cal = Calibration()
    strides, _ = _feed(cal, spec)
    assert cal.ready
    base = cal.baseline
    after = [m for t, m in strides if t > base["t_end"]]  # type: ignore[index]
    for m in after:
        rel = cal.relative(m)
        assert set(rel) == set(METRICS) - set(STRIDE_METRICS)  # the synthetic runner has no outline
        for name in rel:
            assert rel[name] == pytest.approx(getattr(m, name) - base[name])  # type: ignore[index]
    arched = [cal.relative(m)["trunk_lean_midstance_deg"] for m in after
              if 25.2 < m.t_contact < 28.8]
    assert len(arched) >= 8
    assert np.median(arched) == pytest.approx(-8.0, abs=0.5)
    steady = [cal.relative(m)["trunk_lean_midstance_deg"] for m in after if m.t_contact < 23]
    assert np.abs(steady).max() < 0.5


# ------------------------------------------------------------------ rules, on made-up strides


def test_unsteady_running_is_not_frozen_until_it_settles() -> None:
    """Leans alternating 3 / 12 deg (p90 - p10 = 9 > 6) for 30 s: never ready; then a
    steady 5 deg: ready about 20 s later. Dropping the oldest strides stops as soon as
    p90 - p10 <= 6, so the last few unsteady strides (under 10 % at each end) stay in
    the stretch: measured 17.5 s."""
    cal = Calibration()
    t = 0.0
    for i in range(int(30 / 0.35)):
        t += 0.35
        cal.update(t, _stride(t, 3.0 if i % 2 else 12.0), True)
    assert not cal.ready and cal.progress < 1.0
    t_steady = t
    while not cal.ready and t < t_steady + 40:
        t += 0.35
        cal.update(t, _stride(t, 5.0), True)
    assert cal.ready
    assert 16.0 <= t - t_steady <= 20.0 + STRIDE_S + 0.5
    lean = cal.baseline["trunk_lean_midstance_deg"]  # type: ignore[index]
    assert lean == pytest.approx(5.0, abs=0.01)


def test_faults_are_skipped_and_a_frozen_baseline_never_moves() -> None:
    cal = Calibration(duration_s=5.0, min_strides=7)
    t = 0.0
    for i in range(40):
        t += 0.35
        cal.update(t, _stride(t, -4.0 if i % 3 == 0 else 6.0), True)
    assert cal.ready
    base = cal.baseline
    assert base["trunk_lean_midstance_deg"] == 6.0  # type: ignore[index]
    assert is_fault(_stride(0.0, -0.1)) and not is_fault(_stride(0.0, None))
    for _ in range(30):
        t += 0.35
        cal.update(t, _stride(t, 12.0), False)  # stopping after ready changes nothing
    assert cal.baseline == base and cal.ready
    cal.reset()
    assert not cal.ready and cal.progress == 0.0


def test_near_leg_strides_set_the_baseline() -> None:
    cal = Calibration(duration_s=5.0)
    t = 0.0
    for i in range(40):
        t += 0.35
        near = i % 2 == 0
        m = _stride(t, 5.0 if near else 9.0, near=near)
        cal.update(t, replace(m, thigh_extension_deg=-20.0 if near else -5.0), True)
    assert cal.baseline["trunk_lean_midstance_deg"] == 5.0  # type: ignore[index]
    assert cal.baseline["thigh_extension_deg"] == -20.0  # type: ignore[index]


def test_summary_is_json_safe() -> None:
    cal = Calibration()
    before = cal.summary()
    assert before["ready"] is False and before["t_start"] is None and before["n_strides"] == 0
    assert set(METRICS) <= set(before)
    json.dumps(before, allow_nan=False)
    t = 0.0
    while not cal.ready:
        t += 0.35
        m = _stride(t, 5.0 + 0.123456 * (int(t) % 3))
        cal.update(t, replace(m, extension_coupling=None), True)
    after = cal.summary()
    text = json.dumps(after, allow_nan=False)
    assert json.loads(text) == after
    assert after["ready"] is True and after["duration_s"] == 20.0
    assert after["extension_coupling"] is None
    assert after["t_end"] - after["t_start"] >= 20.0
    assert after["trunk_lean_midstance_deg"] == round(after["trunk_lean_midstance_deg"], 4)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Calibration(duration_s=0)
    with pytest.raises(ValueError):
        Calibration(min_strides=0)
