"""The whole app on the real clips (../shared/data/clips, see its README): the real model,
the real command line, SDL's dummy video and disk audio drivers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.analysis.passing import DEFAULT_PASSING
from tests.cli import run_cli, user_lines

ARCH_START_S = 12.0  # treadmill_side_left_then_arched.mp4: arched from 12 s (clips README)
TREADMILL_CADENCE_SPM = 168.9  # treadmill_side_left.mp4, measured from raw pixels (clips README)
TREADMILL_ROLL_DEG = -1.7  # that camera's roll, as ribsdown measures it on the unbent clip


@pytest.fixture(scope="session")
def analyzed(clips_dir, tmp_path_factory):
    """`ribsdown analyze CLIP` once per clip: (summary, frames.csv rows)."""
    cache: dict[str, tuple[dict, list[dict]]] = {}

    def get(name: str) -> tuple[dict, list[dict]]:
        if name not in cache:
            out = tmp_path_factory.mktemp(name.replace(".", "_"))
            result = run_cli("analyze", clips_dir / name, "--out", out / "session")
            assert result.returncode == 0, result.stderr
            assert "session saved to" in result.stdout
            cache[name] = read_session(out / "session")
        return cache[name]

    return get


def read_session(folder: Path) -> tuple[dict, list[dict]]:
    summary = json.loads((folder / "summary.json").read_text())
    with (folder / "frames.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return summary, rows


def cue_times(summary: dict, cue_id: str = "ribs_down") -> list[float]:
    return [c["t"] for c in summary["cues"] if c["id"] == cue_id]


def test_treadmill_runner_measured_and_not_cued(analyzed):
    summary, rows = analyzed("treadmill_side_left.mp4")
    assert summary["frames"] == len(rows) == 360
    assert summary["frames_with_pose"] >= 0.95 * summary["frames"]
    assert summary["facing"] == "left"
    # The clips README: about +4.7° by MediaPipe's landmarks; the app adds the model's bias
    # against the skeleton (realtime/models/estimator.py LEAN_CORRECTION_DEG).
    assert 4.9 <= summary["trunk_lean_deg"]["median"] <= 10.9
    assert summary["cues"] == []
    assert summary["fps"] == pytest.approx(30.0) and summary["duration_s"] == pytest.approx(12.0, abs=0.05)
    assert summary["timing"]["pose_ms_p50"] > 0 and summary["timing"]["loop_fps"] > 0


def test_treadmill_gait(analyzed, tmp_path_factory):
    summary, _ = analyzed("treadmill_side_left.mp4")
    assert summary["camera_roll_deg"] == pytest.approx(TREADMILL_ROLL_DEG, abs=0.3)
    assert summary["running"] is True
    assert summary["cadence_spm"] == pytest.approx(TREADMILL_CADENCE_SPM, abs=1.5)
    assert summary["strides"] >= 7
    hip = summary["hip_extension_deg"]
    assert hip["n"] >= 7 and -25.0 < hip["median"] < 0.0  # the thigh goes behind vertical
    assert summary["setup"] == []  # the set-up of this clip is fine
    assert summary["baseline"]["ready"] is False  # 12 s is shorter than the 20 s calibration


def test_strides_csv(clips_dir, tmp_path):
    result = run_cli("analyze", clips_dir / "treadmill_side_left.mp4", "--out", tmp_path, "--calibration-s", "5")
    assert result.returncode == 0, result.stderr
    with (tmp_path / "strides.csv").open() as fh:
        strides = list(csv.DictReader(fh))
    assert len(strides) >= 14
    assert {"leg", "t_contact", "t_toe_off", "cadence_spm", "trunk_lean_midstance_deg",
            "thigh_extension_deg"} <= set(strides[0])
    near = [s for s in strides if s["near"] == "True"]
    assert {s["leg"] for s in near} == {"left"}  # facing left, the camera sees the left side
    assert np.median([float(s["cadence_spm"]) for s in near]) == pytest.approx(TREADMILL_CADENCE_SPM, abs=2.0)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["baseline"]["ready"] is True
    assert summary["baseline"]["trunk_lean_midstance_deg"] == pytest.approx(summary["trunk_lean_deg"]["median"], abs=2.0)


@pytest.mark.parametrize("clip", ["walk_side.mp4", "walk_multi_person.mp4"])
def test_walking_is_not_running_and_never_coached(analyzed, clip):
    summary, rows = analyzed(clip)
    assert summary["running"] is False and summary["cadence_spm"] is None and summary["strides"] == 0
    assert summary["cues"] == []
    assert not any(r["activity"] == "running" for r in rows)


def test_a_flip_is_not_measured(analyzed):
    """walk_multi_person.mp4 holds a flip and jumping jacks (clips README): the frames whose pose
    is no upright runner (realtime/analysis/plausibility.py) are nobody in view, and no lean
    stored is steeper than the gate lets through."""
    from realtime.analysis.plausibility import DEFAULT_BOUNDS
    from realtime.models.estimator import LEAN_CORRECTION_DEG

    summary, rows = analyzed("walk_multi_person.mp4")
    gated = summary["implausible_frames"]
    assert gated["count"] > 0 and gated["reasons"].get("trunk_tilted", 0) > 0
    assert summary["frames_with_pose"] == sum(r["pose"] == "1" for r in rows) <= len(rows) - gated["count"]
    limit = DEFAULT_BOUNDS.max_trunk_from_vertical_deg + abs(LEAN_CORRECTION_DEG) + 0.01
    leans = [float(r["trunk_lean_deg"]) for r in rows if r["trunk_lean_deg"]]
    assert leans and max(abs(v) for v in leans) <= limit


def test_treadmill_runner_is_never_gated(analyzed):
    for clip in ("treadmill_side_left.mp4", "treadmill_side_left_then_arched.mp4"):
        summary, _ = analyzed(clip)
        assert summary["implausible_frames"]["count"] == 0


def test_someone_walking_past_is_not_measured(analyzed):
    """walk_side.mp4: a woman walks across the wall and back (clips README). While she crosses
    at walking speed she is someone walking past (realtime/analysis/passing.py): not measured,
    nothing stored; only the turn at the wall is a person in place."""
    summary, rows = analyzed("walk_side.mp4")
    past = summary["implausible_frames"]["reasons"].get("walking_past", 0)
    assert past >= 0.6 * (past + summary["frames_with_pose"])
    assert sum(r["trunk_lean_deg"] != "" for r in rows) == summary["frames_with_pose"]


def test_a_runner_crossing_the_view_is_still_measured(analyzed):
    """run_grass_short.mp4: a runner crosses the view faster than anyone walks; he is measured,
    his lean about +10° (clips README)."""
    summary, _ = analyzed("run_grass_short.mp4")
    assert "walking_past" not in summary["implausible_frames"]["reasons"]
    assert summary["frames_with_pose"] >= 15
    assert 6.0 <= summary["trunk_lean_deg"]["median"] <= 14.0


def test_arched_half_cued_and_first_half_not(analyzed):
    summary, rows = analyzed("treadmill_side_left_then_arched.mp4")
    times = cue_times(summary)
    assert times and all(t > ARCH_START_S for t in times)
    assert times[0] < ARCH_START_S + 3.0
    measured = [r for r in rows if r["trunk_lean_deg"]]  # not the first half second (passing.py)
    leans = np.array([float(r["trunk_lean_deg"]) for r in measured])
    t = np.array([float(r["t"]) for r in measured])
    drop = np.median(leans[t < ARCH_START_S]) - np.median(leans[t >= ARCH_START_S])
    assert 5.0 < drop < 11.0  # the clip bends the trunk back by 8°


def test_empty_room_no_pose_no_cue(analyzed):
    summary, rows = analyzed("empty_room.mp4")
    assert summary["frames"] > 0 and summary["frames_with_pose"] == 0
    assert summary["cues"] == [] and summary["trunk_lean_deg"] is None and summary["facing"] is None
    assert all(r["pose"] == "0" and r["trunk_lean_deg"] == "" for r in rows)


def test_mirrored_clip_gives_the_same_session(clips_dir, tmp_path, analyzed):
    """The issue "Coach every runner": the same activity, cadence within ±0.5 steps/min and
    lean within ±1° whichever way the runner faces."""
    original, original_rows = analyzed("treadmill_side_left.mp4")
    mirrored = write_clip(clips_dir / "treadmill_side_left.mp4", tmp_path / "mirrored.avi", flip=True)
    result = run_cli("analyze", mirrored, "--out", tmp_path / "session")
    assert result.returncode == 0, result.stderr
    summary, rows = read_session(tmp_path / "session")
    assert summary["facing"] == "right"
    assert summary["running"] is original["running"] is True
    assert summary["trunk_lean_deg"]["median"] == pytest.approx(original["trunk_lean_deg"]["median"], abs=1.0)
    assert summary["cadence_spm"] == pytest.approx(original["cadence_spm"], abs=0.5)
    assert summary["cadence_spm"] == pytest.approx(TREADMILL_CADENCE_SPM, abs=1.5)
    first_running = [next(float(r["t"]) for r in rs if r["activity"] == "running") for rs in (original_rows, rows)]
    # running seen within the first 3 s both ways, plus the half second a person is watched
    # before being measured (realtime/analysis/passing.py)
    assert max(first_running) <= 3.0 + DEFAULT_PASSING.min_span_s
    assert summary["cues"] == []


def test_rolled_camera_is_measured_and_corrected(clips_dir, tmp_path, analyzed):
    """The clip turned +5° in OpenCV's terms (counter-clockwise on screen):
    the scene's verticals then lean 5° further anticlockwise, so the roll reads 5° lower."""
    original, _ = analyzed("treadmill_side_left.mp4")
    rolled = write_clip(clips_dir / "treadmill_side_left.mp4", tmp_path / "rolled.avi", rotate_deg=5.0)
    result = run_cli("analyze", rolled, "--out", tmp_path / "session")
    assert result.returncode == 0, result.stderr
    summary, _ = read_session(tmp_path / "session")
    assert summary["camera_roll_deg"] == pytest.approx(original["camera_roll_deg"] - 5.0, abs=1.0)
    assert summary["trunk_lean_deg"]["median"] == pytest.approx(original["trunk_lean_deg"]["median"], abs=1.5)
    assert "camera_tilted" in {w["id"] for w in summary["setup"]}
    assert summary["cues"] == []


def write_clip(src: Path, dst: Path, start_s: float = 0.0, flip: bool = False, rotate_deg: float = 0.0) -> Path:
    """A derived clip in a temporary folder (never in the repository): a part, maybe
    mirrored, maybe rotated about its centre (OpenCV's sign: + is counter-clockwise)."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    turn = cv2.getRotationMatrix2D((size[0] / 2, size[1] / 2), rotate_deg, 1.0)
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    index = 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        if index / fps >= start_s:
            image = cv2.flip(image, 1) if flip else image
            writer.write(cv2.warpAffine(image, turn, size) if rotate_deg else image)
        index += 1
    writer.release()
    cap.release()
    return dst


def test_live_run_speaks_the_cue_on_the_disk_audio_driver(clips_dir, tmp_path):
    """`run --realtime --headless --duration 8` on the arched half: the voice line is in the
    samples SDL wrote, after the cue and not before (disk driver at its default pace: real time).

    The derived clip bends the background along with the runner (clips README), so the room's
    "verticals" tilt by the arch itself; the camera's roll is given (`--camera-roll`) as
    measured on the same camera's unbent first half, instead of from that bent scene."""
    clip = write_clip(clips_dir / "treadmill_side_left_then_arched.mp4", tmp_path / "arched.avi", start_s=ARCH_START_S)
    audio = tmp_path / "audio.raw"
    result = run_cli(
        "run", "--source", clip, "--realtime", "--headless", "--duration", "8", "--camera-roll", str(TREADMILL_ROLL_DEG),
        "--out", tmp_path / "s",
        env={"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": str(audio)},
    )
    assert result.returncode == 0, result.stderr
    assert not [line for line in user_lines(result.stderr) if "SDL disk" not in line and "Writing to file" not in line]
    summary, rows = read_session(tmp_path / "s")
    assert 7.0 <= summary["duration_s"] <= 8.1
    assert summary["frames"] + summary["timing"]["frames_dropped"] >= 230  # 8 s at 30 fps, paced
    (cue_t,) = cue_times(summary)
    samples = np.fromfile(audio, dtype=np.int16).reshape(-1, 2)
    rate = 22050
    loud = np.abs(samples).max(axis=1) > 16
    before = loud[: int(max(0.0, cue_t - 1.0) * rate)]
    after = loud[int(max(0.0, cue_t - 1.0) * rate): int((cue_t + 4.0) * rate)]
    assert before.size > 0 and not before.any()
    assert after.sum() / rate > 0.8  # the 1.4 s line, most of it above silence


def test_a_60fps_camera_is_kept_pace_with_and_its_strides_timed_from_the_frames_own_times(clips_dir, tmp_path):
    """`run --realtime` on a 60 fps video (each frame of the treadmill clip twice): the live
    ladder steps down exactly when the top mode's measured model time cannot fit the 16.7 ms
    between frames, summary.json says how long it spent in each mode, and the cadence, timed
    from the frames' own times, is the runner's whatever share of frames was taken."""
    cap = cv2.VideoCapture(str(clips_dir / "treadmill_side_left.mp4"))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    clip = tmp_path / "treadmill_60fps.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 60.0, size)
    while (got := cap.read())[0]:
        writer.write(got[1])
        writer.write(got[1])
    writer.release()
    cap.release()
    result = run_cli("run", "--source", clip, "--realtime", "--headless", "--mute", "--duration", "12",
                     "--calibration-s", "4", "--out", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    summary, rows = read_session(tmp_path / "s")
    pace = summary["live_pace"]
    assert sum(pace["modes"].values()) == pytest.approx(summary["duration_s"], abs=0.5)
    top = [float(r["pose_ms"]) for r in rows if float(r["t"]) < 2.0][5:]  # the top mode's first 2 s
    if np.percentile(top, 90) > 0.92 * 1000 / 60:  # it cannot keep pace: a step down by 3 s
        assert pace["switches"] and pace["switches"][0]["t"] <= 3.0, pace
        assert pace["switches"][0]["to"] == "lite+mask"
    else:
        assert not pace["switches"] or pace["switches"][0]["t"] > 2.0, pace
    assert {s["to"] for s in pace["switches"]} <= {"full+mask", "lite+mask", "lite+mask/2"}
    assert summary["cadence_spm"] == pytest.approx(TREADMILL_CADENCE_SPM, abs=2.0)
