"""Running or not, on the synthetic runner (known truth)."""

import pytest

from realtime.analysis.activity import ActivityClassifier
from realtime.analysis.gait import GaitTracker
from realtime.sources.synthetic import RunnerSpec, generate
from tests.poses import figure


def classify(spec: RunnerSpec) -> list[str]:
    poses, _ = generate(spec)
    tracker = GaitTracker(spec.facing)
    classifier = ActivityClassifier()
    states = []
    for i, pose in enumerate(poses):
        t = i / spec.fps
        tracker.update(t, pose)
        states.append(classifier.update(t, pose, tracker.hip_phases(4.0), tracker.last_midstance_age_s))
    return states


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
def test_runner_is_running_within_3_seconds(facing, fps):
    states = classify(RunnerSpec.running(facing=facing, fps=fps, duration_s=12.0, noise_px=2.0))
    first = states.index("running") / fps
    assert first <= 3.0 and set(states[int(3.0 * fps):]) == {"running"}


@pytest.mark.parametrize("cadence", [110.0, 200.0])
def test_a_slow_jog_and_a_fast_run_are_running(cadence):
    states = classify(RunnerSpec.running(cadence_spm=cadence, duration_s=10.0, noise_px=2.0))
    assert set(states[int(3.0 * 30):]) == {"running"}


def test_walker_is_walking_and_never_running():
    states = classify(RunnerSpec.walking(duration_s=15.0, noise_px=2.0))
    assert "running" not in states and states[-1] == "walking"


def test_a_brisk_walker_is_not_running():
    states = classify(RunnerSpec.walking(duration_s=15.0, cadence_spm=135.0, noise_px=2.0))
    assert "running" not in states and states[-1] == "walking"


def test_standing_is_standing():
    assert set(classify(RunnerSpec.standing(duration_s=8.0))) == {"standing"}


def test_leaving_the_view_is_absent_at_once():
    classifier = ActivityClassifier()
    pose = figure(5.0)
    for i in range(30):
        classifier.update(i / 30, pose, [0.8] * 6, 0.1)
    assert classifier.update(1.0, None, [0.8] * 6, 0.1) != "absent"  # a dropped frame is not leaving
    for i in range(40):
        state = classifier.update(1.0 + i / 30, None, [], None)
    assert state == "absent"
