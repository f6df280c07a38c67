"""The mask's crop (`RoiMask`, realtime/models/pose_graph.py) reads as the warped full-frame mask."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from realtime.analysis.roi_mask import RoiMask
from realtime.analysis.rib_cage import TrunkOutline, trunk_outline


def disc_crop(n: int = 256) -> np.ndarray:
    """A soft disc filling the crop: 1 inside, a 6-pixel ramp at its rim."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    r = np.hypot(xx - n / 2 + 0.5, yy - n / 2 + 0.5)
    return np.clip((n * 0.4 - r) / 6.0 + 0.5, 0.0, 1.0).astype(np.float32)


def test_the_rectangle_maps_its_centre_and_corners_onto_the_crop():
    roi = RoiMask.from_rect(disc_crop(), 0.4, 0.6, 0.5, 0.25, math.radians(30), (800, 1600))
    centre = roi.to_crop @ (0.4 * 800, 0.6 * 1600, 1.0)
    assert centre == pytest.approx((128, 128))
    # one side of the 400 px square, along the rectangle's rotated x axis, is the crop's width
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    edge = roi.to_crop @ (0.4 * 800 + 200 * c, 0.6 * 1600 + 200 * s, 1.0)
    assert edge == pytest.approx((256, 128), abs=1e-6)


def test_sampling_the_crop_reads_what_the_warped_frame_mask_reads():
    roi = RoiMask.from_rect(disc_crop(), 0.45, 0.5, 0.6, 0.3375, math.radians(-12), (640, 1138))
    frame = roi.full_frame()
    assert frame.shape == (1138, 640)
    ys, xs = np.nonzero((frame > 0.02) & (frame < 0.98))
    assert len(xs) > 500
    got = roi.sample(xs.astype(np.float32), ys.astype(np.float32))
    # OpenCV quantises both warps' coordinates to 1/32 pixel: a few thousandths apart at most
    diff = np.abs(got - frame[ys, xs])
    assert diff.mean() < 1e-3 and diff.max() < 1e-2


def test_the_crop_reads_zero_beyond_the_frame_and_beyond_itself():
    roi = RoiMask.from_rect(np.ones((256, 256), np.float32), 0.05, 0.5, 0.5, 0.5, 0.0, (400, 400))
    vals = roi.sample(np.array([-5.0, 5.0, 390.0]), np.array([200.0, 200.0, 200.0]))
    assert vals[0] == 0.0 and vals[1] == pytest.approx(1.0) and vals[2] == 0.0


@pytest.fixture(scope="module")
def outlines(clips_dir):
    """The arched clip's first 90 frames through the real model, the mask read both ways."""
    from realtime.models.estimator import EstimatorConfig, PoseEstimator

    cap = cv2.VideoCapture(str(clips_dir / "treadmill_side_left_then_arched.mp4"))
    frames = [cap.read()[1] for _ in range(90)]
    cap.release()
    out = {}
    for crop in (True, False):
        with PoseEstimator(EstimatorConfig(crop_mask=crop)) as est:
            out[crop] = [est.estimate(f, i / 30) for i, f in enumerate(frames)]
    return out


def test_the_real_model_gives_the_same_landmarks_and_outline_from_its_crop(outlines):
    crop, warped = outlines[True], outlines[False]
    assert sum(p is not None and p.outline is not None for p in crop) >= 80
    depth = []
    for a, b in zip(crop, warped):
        np.testing.assert_array_equal(a.xy, b.xy)
        oa, ob = TrunkOutline.unpack(a.outline), TrunkOutline.unpack(b.outline)
        for ea, eb in ((oa.right, ob.right), (oa.left, ob.left)):
            ok = np.isfinite(ea) & np.isfinite(eb)
            depth.extend(np.abs(ea[ok] - eb[ok]))
    # trunk lengths; a trunk is about 400 px here: p99 under a pixel
    assert np.percentile(depth, 50) < 5e-4 and np.percentile(depth, 99) < 2.5e-3


def test_a_full_frame_mask_and_its_crop_give_one_outline(outlines):
    pose = next(p for p in outlines[True] if p is not None and p.outline is not None)
    h, w = 1280, 720
    x0, y0 = pose.xy[:, 0].min() - 100, pose.xy[:, 1].min() - 100
    side = max(np.ptp(pose.xy[:, 0]), np.ptp(pose.xy[:, 1])) + 200
    body = np.zeros((h, w), np.float32)
    cv2.fillPoly(body, [cv2.convexHull(pose.xy.astype(np.int32))], 1.0)
    body = cv2.GaussianBlur(body, (0, 0), 3)
    # the crop: the body mask seen through a square rectangle, resampled to 256²
    rect = ((x0 + side / 2) / w, (y0 + side / 2) / h, side / w, side / h)
    to_crop = RoiMask.from_rect(np.zeros((256, 256), np.float32), *rect, 0.0, (w, h)).to_crop
    crop = cv2.warpAffine(body, to_crop, (256, 256), flags=cv2.INTER_LINEAR)
    roi = RoiMask.from_rect(crop, *rect, 0.0, (w, h))
    a, b = trunk_outline(roi, pose), trunk_outline(roi.full_frame(), pose)
    assert a is not None and b is not None
    ok = np.isfinite(a.right) & np.isfinite(b.right)
    assert ok.sum() >= 5
    np.testing.assert_allclose(a.right[ok], b.right[ok], atol=3e-3)
