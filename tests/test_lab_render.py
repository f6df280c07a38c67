"""The lab's rendered clips: the picture agrees with the truth written beside it.

Renders two short clips (a runner facing left and the same spec mirrored) with pyrender on
Mesa's EGL, and drives `python -m lab` as a real process for the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from lab.clip import render_clip
from lab.scene import DECK_TOP_M
from lab.spec import CameraSpec, Spec

REPO = Path(__file__).resolve().parents[1]
SPEC = Spec(name="render_check", duration_s=1.0, camera=CameraSpec(width=640, height=360), console="none",
            background="wall_grey", noise=0.0)
MAIN_JOINTS = ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
               "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
               "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lab_render")
    out = {}
    for spec in (SPEC, SPEC.mirrored()):
        render_clip(spec, root / spec.name)
        out[spec.facing] = root / spec.name
    return out


def truth_of(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text())


def masks_of(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(folder / "masks.npz") as npz:
        h, w = npz["shape"]
        masks = np.unpackbits(npz["packed"], axis=1)[:, : h * w].reshape(-1, h, w).astype(bool)
        return npz["index"], masks


def test_the_video_has_every_frame_at_the_specs_size(clips):
    cap = cv2.VideoCapture(str(clips["left"] / "clip.mp4"))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    truth = truth_of(clips["left"])
    assert len(frames) == SPEC.frames == truth["video"]["frames"] == len(truth["frames"]["t"])
    assert frames[0].shape == (360, 640, 3)
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    assert not list(clips["left"].glob("*.tmp*")), "temporary files left behind"


def test_projected_joints_land_on_the_rendered_body(clips):
    inside = truth_of(clips["left"])["frames"]["in_silhouette"]
    for joint in MAIN_JOINTS:
        assert all(inside[joint]), f"{joint} falls off the rendered body"
    for joint in ("left_index", "right_index", "left_pinky", "right_pinky", "left_thumb", "right_thumb"):
        assert np.mean(inside[joint]) > 0.95, joint


def test_the_rendered_foot_is_down_on_the_belt_exactly_when_the_model_says(clips):
    truth = truth_of(clips["left"])
    fx = truth["camera"]
    pose = np.array(fx["camera_to_world"])
    to_cam = np.linalg.inv(pose)
    index, masks = masks_of(clips["left"])
    checked = {"down": 0, "flight": 0}
    for i, mask in zip(index, masks):
        contact = {side: truth["frames"]["contact"][side][i] for side in ("left", "right")}
        rows = np.flatnonzero(mask.any(axis=1))
        lowest = rows.max()
        heel = np.array(truth["frames"]["joints_3d"]["left_heel"][i])  # the near foot
        belt = np.array([heel[0], DECK_TOP_M, heel[2] + 0.045])  # under the sole's near edge
        cam = to_cam[:3, :3] @ belt + to_cam[:3, 3]
        belt_row = fx["cy"] - fx["fy"] * cam[1] / -cam[2]
        if contact["left"]:
            assert abs(lowest - belt_row) < 4.0, f"frame {i}: the near foot in stance is off the belt"
            checked["down"] += 1
        elif not contact["right"]:
            assert lowest < belt_row - 3.0, f"frame {i}: in flight, yet a foot touches the belt"
            checked["flight"] += 1
    assert checked["down"] >= 3 and checked["flight"] >= 1


def test_a_mirrored_spec_gives_the_mirrored_truth_and_picture(clips):
    left, right = truth_of(clips["left"]), truth_of(clips["right"])
    width = left["video"]["width"]
    swap = lambda name: name.replace("left", "@").replace("right", "left").replace("@", "right")  # noqa: E731
    for joint, track in left["frames"]["joints_2d"].items():
        a = np.array(track)
        b = np.array(right["frames"]["joints_2d"][swap(joint)])
        assert np.allclose(a[:, 0], width - b[:, 0], atol=1.5), joint
        assert np.allclose(a[:, 1], b[:, 1], atol=1.5), joint
    for key in ("trunk_lean_deg", "thorax_pelvis_deg", "pelvic_tilt_deg"):
        assert np.allclose(left["frames"][key], right["frames"][key], atol=0.05), key
    assert left["events"]["left"] == right["events"]["right"]
    assert left["events"]["right"] == right["events"]["left"]
    assert left["runner"]["near_leg"] == "left" and right["runner"]["near_leg"] == "right"
    _, ma = masks_of(clips["left"])
    _, mb = masks_of(clips["right"])
    flipped = mb[:, :, ::-1]
    iou = (ma & flipped).sum() / (ma | flipped).sum()
    assert iou > 0.97


def test_the_true_back_edge_is_read_on_every_frame(clips):
    outline = truth_of(clips["left"])["frames"]["outline"]
    assert all(o is not None and o.get("thorax_pelvis_deg") is not None for o in outline)


def run_lab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_the_command_line_renders_a_toml_spec_and_never_overwrites(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text('name = "tiny"\nduration_s = 1.0\nactivity = "walking"\ncadence_spm = 110\n'
                    "[camera]\nwidth = 320\nheight = 180\n")
    out = tmp_path / "out"
    done = run_lab("render", str(spec), "--out", str(out))
    assert done.returncode == 0, done.stderr
    truth = json.loads((out / "truth.json").read_text())
    assert truth["runner"]["activity"] == "walking" and truth["video"]["width"] == 320
    before = (out / "clip.mp4").read_bytes()
    again = run_lab("render", str(spec), "--out", str(out))
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "already holds a clip" in again.stderr
    assert (out / "clip.mp4").read_bytes() == before


@pytest.mark.parametrize("text, why", [
    ('name = "x"\ncadense_spm = 170\n', "unknown spec field"),
    ('name = "x"\n[camera]\nheight_m = 9\n', "height_m"),
    ('name = "x"\n[[faults]]\nkind = "slouch"\nmagnitude = 5\nonset_s = 1\n', "unknown fault"),
    ("name = \n", "not a valid lab spec"),
])
def test_a_bad_spec_is_one_clear_line_and_exit_2(tmp_path, text, why):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    done = run_lab("render", str(spec), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert why in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_the_mirror_of_a_spec_only_turns_the_runner():
    mirrored = SPEC.mirrored()
    assert replace(mirrored, name=SPEC.name, facing=SPEC.facing) == SPEC


@pytest.mark.parametrize("roll", [-5.0, 5.0])
def test_a_photo_backdrop_turns_with_the_cameras_roll(roll):
    """A rolled camera rolls the whole picture: the photo behind turns as the room's verticals do."""
    from lab.picture import rolled_cover
    from lab.scene import make_camera

    camera = make_camera(640, 360, 62.0, 3.0, 1.0, 0.0, roll)
    up = camera.project(np.array([[0.0, 0.5, -2.5], [0.0, 2.0, -2.5]]))
    turn = np.degrees(np.arctan2(-(up[1, 0] - up[0, 0]), -(up[1, 1] - up[0, 1])))
    photo = np.zeros((720, 1280, 3), np.uint8)
    photo[:, 630:650] = 255  # a vertical white stripe through the centre
    picture = rolled_cover(photo, camera)
    assert picture.shape == (360, 640, 3) and picture.min(axis=2).max() == 255
    rows = np.array([60, 300])
    cols = [np.average(np.arange(640), weights=picture[r, :, 0].astype(float) + 1e-9) for r in rows]
    seen = np.degrees(np.arctan2(-(cols[0] - cols[1]), -(rows[0] - rows[1])))
    assert abs(turn) > 4.5 and abs(seen - turn) < 0.5, (seen, turn)
