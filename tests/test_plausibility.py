"""The plausibility gate: a pose that is no upright runner is nobody in view."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.analysis.frame import FrameAnalyzer
from realtime.analysis.plausibility import DEFAULT_BOUNDS, implausible_reason, plausible_runner
from realtime.core.pose import N_LANDMARKS, Pose
from realtime.core.pose import Landmark as L
from realtime.sources.synthetic import RunnerSpec, generate
from tests.poses import figure


def tree(t: float = 0.0) -> Pose:
    """A 'runner' strung over a tree at the frame's edge: the trunk along a branch 78° from
    vertical, the 'legs' down the tree's trunk, three times the body's trunk long."""
    xy = np.zeros((N_LANDMARKS, 2))
    hips = np.array([60.0, 300.0])
    shoulders = hips + 120.0 * np.array([np.sin(np.radians(78.0)), -np.cos(np.radians(78.0))])
    xy[:] = shoulders + (0.0, -30.0)
    xy[[L.LEFT_HIP, L.RIGHT_HIP]] = hips
    xy[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = shoulders
    xy[[L.LEFT_KNEE, L.RIGHT_KNEE]] = hips + (0.0, 360.0)
    xy[[L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]] = \
        hips + (0.0, 700.0)
    return Pose(xy=xy, visibility=np.full(N_LANDMARKS, 0.9), t=t)


def with_points(pose: Pose, **moves: tuple[float, float]) -> Pose:
    xy = pose.xy.copy()
    for name, offset in moves.items():
        xy[L[name.upper()]] += offset
    return pose.with_xy(xy)


def test_upright_runners_pass():
    assert plausible_runner(figure(5.0))
    assert plausible_runner(figure(-12.0, facing="right"))
    frames, _ = generate(RunnerSpec(noise_px=2.0, seed=3))
    assert all(plausible_runner(p) for p in frames if p is not None)


@pytest.mark.parametrize("lean", [40.0, -40.0, 78.0, 180.0])
def test_a_trunk_far_from_vertical_fails(lean):
    assert implausible_reason(figure(lean)).startswith("trunk_tilted")


def test_the_bound_is_where_the_docs_say():
    limit = DEFAULT_BOUNDS.max_trunk_from_vertical_deg
    assert plausible_runner(figure(limit - 1.0))
    assert not plausible_runner(figure(limit + 1.0))


def test_a_tree_fails():
    assert not plausible_runner(tree())
    upright_tree = with_points(figure(5.0), left_knee=(0.0, 400.0), right_knee=(0.0, 400.0),
                               left_ankle=(0.0, 800.0), right_ankle=(0.0, 800.0))
    assert implausible_reason(upright_tree).startswith("thigh_proportion")


def test_feet_above_the_hips_fail():
    # the legs swung up over the hips, as in a flip (the trunk still upright)
    flip = with_points(figure(5.0), left_ankle=(0.0, -440.0), right_ankle=(0.0, -440.0),
                       left_knee=(0.0, -220.0), right_knee=(0.0, -220.0))
    assert implausible_reason(flip).startswith("feet_above_hips")


def test_a_tiny_body_and_an_unseen_trunk_fail():
    assert implausible_reason(figure(5.0, trunk_px=20.0)).startswith("too_small")
    pose = figure(5.0)
    unseen = Pose(xy=pose.xy, visibility=np.full(N_LANDMARKS, 0.2), t=0.0)
    assert implausible_reason(unseen).startswith("trunk_unseen")


def test_a_leg_out_of_the_picture_is_no_reason():
    pose = figure(5.0)
    vis = pose.visibility.copy()
    vis[[L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_KNEE, L.RIGHT_KNEE]] = 0.1
    xy = pose.xy.copy()
    xy[[L.LEFT_ANKLE, L.RIGHT_ANKLE]] = (500.0, 300.0)  # a guess above the hips, not seen
    assert plausible_runner(Pose(xy=xy, visibility=vis, t=0.0))


def test_the_analysis_treats_a_tree_as_nobody():
    analyzer = FrameAnalyzer((1280, 720))
    for i in range(60):
        a = analyzer.update(i / 30.0, None, tree(i / 30.0))
        assert a.pose is None and a.posture.trunk_lean_deg is None and a.strides == []
    assert [w.id for w in a.setup] == ["no_person"]
    assert analyzer.implausible == {"trunk_tilted": 60}
    assert analyzer.gait is None
