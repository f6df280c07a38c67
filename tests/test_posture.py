import numpy as np
import pytest

from realtime.analysis.posture import (
    FacingDetector,
    PostureAnalyzer,
    facing_vote,
    trunk_lean_deg,
)
from tests.poses import figure


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("lean", [-12.0, -3.0, 0.0, 4.7, 15.0])
def test_trunk_lean_sign_convention(facing, lean):
    assert trunk_lean_deg(figure(lean, facing), facing) == pytest.approx(lean, abs=1e-9)


def test_mirroring_the_image_keeps_the_lean():
    pose = figure(6.0, "left")
    mirrored = pose.with_xy(np.column_stack([1000.0 - pose.xy[:, 0], pose.xy[:, 1]]))
    assert trunk_lean_deg(mirrored, "right") == pytest.approx(6.0)


def test_facing_vote_sign():
    assert facing_vote(figure(5, "left")) < 0 < facing_vote(figure(5, "right"))


def test_facing_locks_then_ignores_brief_contrary_frames():
    det = FacingDetector(lock_after=15, switch_after=90)
    for i in range(14):
        assert det.update(i / 30, figure(5, "right")) is None
    assert det.update(14 / 30, figure(5, "right")) == "right"
    for i in range(30):  # a second of contrary evidence, e.g. a landmark swap
        det.update(1 + i / 30, figure(5, "left"))
    assert det.facing == "right"
    for i in range(90):  # three seconds: the person really turned round
        det.update(2 + i / 30, figure(5, "left"))
    assert det.facing == "left"


def test_analyzer_reports_lean_with_locked_facing_and_none_without_pose():
    analyzer = PostureAnalyzer()
    samples = [analyzer.update(i / 30, figure(-4.0, "right", t=i / 30)) for i in range(20)]
    assert samples[-1].facing == "right"
    assert all(s.trunk_lean_deg == pytest.approx(-4.0) for s in samples)
    gap = analyzer.update(1.0, None)
    assert gap.trunk_lean_deg is None and gap.facing == "right"
