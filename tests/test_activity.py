"""Running or not, on the synthetic runner (known truth) and on hand-made arms."""

import math

import pytest

from realtime.analysis.activity import ActivityClassifier, joint_flexion_deg
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
        states.append(classifier.update(t, pose, tracker.cadence_spm))
    return states


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
def test_runner_is_running_within_4_seconds(facing, fps):
    states = classify(RunnerSpec.running(facing=facing, fps=fps, duration_s=12.0, noise_px=2.0))
    first = states.index("running") / fps
    assert first <= 4.0 and set(states[int(4.0 * fps):]) == {"running"}


def test_walker_is_walking_and_never_running():
    states = classify(RunnerSpec.walking(duration_s=15.0, noise_px=2.0))
    assert "running" not in states and states[-1] == "walking"


def test_a_fast_walker_with_straight_arms_is_not_running():
    states = classify(RunnerSpec.walking(duration_s=15.0, cadence_spm=150.0))
    assert "running" not in states


def test_standing_is_standing():
    assert set(classify(RunnerSpec.standing(duration_s=8.0))) == {"standing"}


def test_leaving_the_view_is_absent_at_once():
    classifier = ActivityClassifier()
    pose = figure(5.0)
    for i in range(30):
        classifier.update(i / 30, pose, 170.0)
    assert classifier.update(1.0, None, None) != "absent"  # a dropped frame is not leaving
    for i in range(40):
        state = classifier.update(1.0 + i / 30, None, None)
    assert state == "absent"


def test_joint_flexion():
    pose = figure(0.0)
    xy = pose.xy.copy()
    xy[[11, 13, 15]] = [(0, 0), (0, 100), (100, 100)]  # a right angle at the elbow
    assert joint_flexion_deg(pose.with_xy(xy), 11, 13, 15) == pytest.approx(90.0)
    xy[15] = (0, 200)  # straight
    assert joint_flexion_deg(pose.with_xy(xy), 11, 13, 15) == pytest.approx(0.0, abs=1e-6)
    xy[13] = xy[11]
    assert math.isnan(joint_flexion_deg(pose.with_xy(xy), 11, 13, 15))
