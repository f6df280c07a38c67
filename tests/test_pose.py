import numpy as np
import pytest

from realtime.core.pose import Pose


def test_pose_validates_shapes():
    with pytest.raises(ValueError, match=r"\(33, 2\)"):
        Pose(xy=np.zeros((32, 2)), visibility=np.ones(33), t=0.0)
    with pytest.raises(ValueError, match=r"\(33,\)"):
        Pose(xy=np.zeros((33, 2)), visibility=np.ones(3), t=0.0)
    with pytest.raises(ValueError, match=r"\(33, 3\)"):
        Pose(xy=np.zeros((33, 2)), visibility=np.ones(33), t=0.0, world=np.zeros((33, 2)))


def test_with_xy_keeps_everything_else():
    pose = Pose(xy=np.zeros((33, 2)), visibility=np.full(33, 0.7), t=1.5)
    moved = pose.with_xy(np.ones((33, 2)))
    assert moved.t == 1.5 and np.all(moved.visibility == 0.7) and np.all(moved.xy == 1)
