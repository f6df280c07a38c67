"""Midstances and the hips' phase there: running lowest, walking highest, whatever the labels."""

import numpy as np
import pytest

from realtime.analysis.gait import GaitTracker
from realtime.analysis.midstance import (
    MidstanceTracker,
    gait_from_hip_phases,
    hip_phase,
)
from realtime.core.pose import Landmark as L
from realtime.sources.synthetic import RunnerSpec, generate


def midstances(spec: RunnerSpec, poses=None) -> list:
    poses = poses if poses is not None else generate(spec)[0]
    tracker = GaitTracker(spec.facing)
    found = {}
    for i, pose in enumerate(poses):
        tracker.update(i / spec.fps, pose)
        found.update({m.t: m for m in tracker.midstances})
    return sorted(found.values(), key=lambda m: m.t)


@pytest.mark.parametrize("cadence", [110.0, 170.0, 200.0])
def test_running_hips_are_lowest_at_every_midstance(cadence):
    spec = RunnerSpec.running(cadence_spm=cadence, duration_s=8.0, noise_px=2.0)
    found = midstances(spec)
    steps = 8.0 * cadence / 60.0
    assert len(found) >= steps - 4  # one a step, but for the window at each end
    assert np.median([m.hip_phase for m in found]) > 0.7
    assert gait_from_hip_phases([m.hip_phase for m in found]) == "running"


@pytest.mark.parametrize("cadence", [95.0, 115.0, 135.0])
def test_walking_hips_are_highest_at_every_midstance(cadence):
    found = midstances(RunnerSpec.walking(cadence_spm=cadence, duration_s=10.0, noise_px=2.0))
    assert np.median([m.hip_phase for m in found]) < -0.5
    assert gait_from_hip_phases([m.hip_phase for m in found]) == "walking"


def test_midstances_come_once_a_step_halfway_through_the_stance():
    spec = RunnerSpec.running(duration_s=8.0)
    poses, truth = generate(spec)
    found = np.array([m.t for m in midstances(spec, poses)])
    for leg in ("left", "right"):
        for c, o in zip(truth.contacts[leg], truth.toe_offs[leg]):
            middle = (c + o) / 2 if o > c else None
            if middle is None or not found[0] < middle < found[-1]:
                continue
            assert np.min(np.abs(found - middle)) < 0.06  # within two frames of the stance's middle


def test_the_legs_labels_do_not_matter():
    """MediaPipe swaps the legs' labels most easily as the ankles cross: the midstances,
    read from the distance between the ankles, are the same with every label swapped."""
    spec = RunnerSpec.running(duration_s=6.0, noise_px=1.0)
    poses, _ = generate(spec)
    pairs = [(L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_KNEE, L.RIGHT_KNEE), (L.LEFT_ANKLE, L.RIGHT_ANKLE),
             (L.LEFT_HEEL, L.RIGHT_HEEL), (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)]
    order = np.arange(33)
    for a, b in pairs:
        order[[a, b]] = order[[b, a]]
    swapped = [p.with_xy(p.xy[order]) if i % 7 < 3 else p for i, p in enumerate(poses)]  # swaps now and then
    plain = [(round(m.t, 4), round(m.hip_phase, 3)) for m in midstances(spec, poses)]
    assert [(round(m.t, 4), round(m.hip_phase, 3)) for m in midstances(spec, swapped)] == plain


def test_standing_gives_no_midstance():
    assert midstances(RunnerSpec.standing(duration_s=6.0, noise_px=2.0)) == []


def test_hip_phase_is_plus_one_at_the_lowest_and_minus_one_at_the_highest():
    t = np.arange(0, 1, 1 / 30)
    y = np.cos(2 * np.pi * 2.5 * t)  # image y, + down: lowest at t = 0, 0.4, 0.8
    assert hip_phase(t, y, 0.4) == pytest.approx(1.0, abs=0.02)
    assert hip_phase(t, y, 0.6) == pytest.approx(-1.0, abs=0.05)
    assert hip_phase(t, np.zeros_like(t), 0.5) is None


def test_a_midstance_is_reported_once_its_window_has_passed():
    tracker = MidstanceTracker()
    t = np.arange(0, 3, 1 / 30)
    gap = 0.6 * np.abs(np.sin(2 * np.pi * 1.4 * t))  # ankles cross 2.8 times a second
    hip = np.cos(2 * np.pi * 2.8 * t)  # lowest as they cross: running
    reported = {}
    for ti, g, h in zip(t, gap, hip):
        for m in tracker.update(ti, g, h):
            reported[m.t] = ti
    assert reported and all(0.3 - 1e-9 <= ti - tm <= 0.3 + 1 / 30 + 1e-9 for tm, ti in reported.items())
    assert gait_from_hip_phases([0.9, 0.8, -0.2, 0.7]) == "running"
    assert gait_from_hip_phases([0.9, 0.8]) == "unknown"  # two steps decide nothing
    assert gait_from_hip_phases([0.05, -0.05, 0.02]) == "unknown"
