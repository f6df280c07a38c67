"""The landmark stream: a session replayed without the model gives exactly the same results."""

from __future__ import annotations

import json

import pytest

from tests.cli import run_cli, user_lines


@pytest.fixture(scope="module")
def analysed(clips_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("replay") / "original"
    result = run_cli("analyze", clips_dir / "treadmill_side_left_then_arched.mp4", "--out", out)
    assert result.returncode == 0, result.stderr
    return out


def test_replay_gives_exactly_the_same_cues_and_metrics(analysed, tmp_path):
    result = run_cli("analyze", "--landmarks", analysed / "landmarks.npz", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    original = json.loads((analysed / "summary.json").read_text())
    replayed = json.loads((tmp_path / "summary.json").read_text())
    assert replayed["cues"] == original["cues"] and original["cues"]
    for key in ("frames", "frames_with_pose", "trunk_lean_deg", "cadence_spm", "stride_values", "baseline",
                "setup", "camera_roll_deg", "running", "strides"):
        assert replayed[key] == original[key], key
    assert (tmp_path / "frames.csv").read_text() == (analysed / "frames.csv").read_text()
    assert (tmp_path / "strides.csv").read_text() == (analysed / "strides.csv").read_text()


def test_replay_with_new_rules(analysed, tmp_path):
    """A coach re-runs an old session with a stricter rule of their own: the cue comes earlier."""
    rules = tmp_path / "strict.toml"
    rules.write_text('[[cue]]\nid = "ribs_down"\ntext = "Ribs down, lean forward"\nvoice = "ribs_down.wav"\n'
                     'persistence_strides = 1\n'
                     '[[cue.fault]]\nconditions = [{ metric = "trunk_lean_midstance_deg", below = 2.0 }]\n')
    result = run_cli("analyze", "--landmarks", analysed / "landmarks.npz", "--rules", rules, "--out", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    strict = [c["t"] for c in json.loads((tmp_path / "s" / "summary.json").read_text())["cues"]]
    default = [c["t"] for c in json.loads((analysed / "summary.json").read_text())["cues"]]
    assert strict and strict[0] < default[0]


@pytest.mark.parametrize("content", [None, b"not a numpy file"])
def test_bad_landmark_file_is_one_clear_line(tmp_path, content):
    path = tmp_path / "landmarks.npz"
    if content is not None:
        path.write_bytes(content)
    result = run_cli("analyze", "--landmarks", path, "--out", tmp_path / "s")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(user_lines(result.stderr)) == 1 and "landmark" in result.stderr


def test_video_or_landmarks_not_both(tmp_path):
    result = run_cli("analyze", "--out", tmp_path / "s")
    assert result.returncode == 2 and "either a VIDEO or --landmarks" in result.stderr
