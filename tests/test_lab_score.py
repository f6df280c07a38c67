"""The lab's scorer: the pure comparison on constructed truths with known answers, the files and
the command line on a stored analysis, and once end to end on a real clip."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cues.engine import Cue
from lab import score
from lab.compare import (
    AFTER_END_S,
    AppFrames,
    AppOutputs,
    ClipScore,
    Errors,
    FaultScore,
    IoUStats,
    iou_stats,
    mask_iou,
    match_strides,
    score_clip,
    summarise,
)
from realtime.analysis.stride_metrics import StrideMetrics
from realtime.record.session import FrameRow, SessionRecord

FPS = 30.0


def make_truth(n: int = 360, activity: str = "running", cadence: float | None = 170.0, faults=(), strides=(),
               frames: dict | None = None, present: bool = True) -> dict:
    """A truth.json document of `n` frames at 30 fps."""
    return {
        "format": "ribsdown-lab-truth/1", "name": "t", "spec": {},
        "video": {"file": "clip.mp4", "width": 64, "height": 48, "fps": FPS, "frames": n, "duration_s": n / FPS},
        "runner": {"present": present, "activity": activity if present else "none", "facing": "left",
                   "cadence_spm": cadence, "speed_mps": None, "near_leg": "left"},
        "faults": list(faults), "events": {}, "strides": list(strides), "frames": frames,
    }


def make_app(n: int = 360, lean=None, activity=None, pose=None, cues=(), cadence: float | None = 173.0,
             strides=(), running: bool = True) -> AppOutputs:
    """App outputs of `n` frames: lean NaN, pose found and running unless given."""
    frames = AppFrames(
        index=np.arange(n),
        pose=np.ones(n, bool) if pose is None else np.asarray(pose, bool),
        trunk_lean_deg=np.full(n, np.nan) if lean is None else np.asarray(lean, float),
        activity=np.full(n, "running") if activity is None else np.asarray(activity),
    )
    summary = {"cadence_spm": cadence, "running": running, "cues": [{"t": t, "id": i} for t, i in cues]}
    return AppOutputs(summary, frames, tuple(strides))


def fault(kind="lumbar_extension", cue="ribs_down", onset=6.0, ramp=1.0, end=None) -> dict:
    return {"kind": kind, "magnitude": 10.0, "unit": "deg", "onset_s": onset, "full_s": onset + ramp,
            "ramp_s": ramp, "end_s": end, "cue": cue}


# --------------------------------------------------------------------------- cadence, lean, strides


def test_cadence_off_by_three_spm():
    s = score_clip("c", make_truth(cadence=170.0), make_app(cadence=173.0))
    assert s.cadence_err_spm == pytest.approx(3.0)
    assert s.cadence_err_pct == pytest.approx(300.0 / 170.0)


def test_no_cadence_when_the_app_finds_no_running():
    s = score_clip("c", make_truth(), make_app(cadence=None, running=False))
    assert s.cadence_err_spm is None and s.cadence_err_pct is None and s.app_running is False


def test_frame_lean_bias_joins_on_the_frame_index_and_skips_unknowns():
    truth_lean = [5.0] * 10
    truth_lean[3] = None  # no truth on frame 3
    frames = {"index": list(range(10)), "t": [i / FPS for i in range(10)], "trunk_lean_deg": truth_lean}
    app_lean = np.array([6.0, 6.0, np.nan, 100.0, 6.0, 6.0, 6.0, 4.0, 6.0, 6.0])  # frame 2: no pose
    s = score_clip("c", make_truth(n=10, frames=frames), make_app(n=10, lean=app_lean))
    assert s.lean_frames.n == 8
    assert s.lean_frames.bias == pytest.approx(1.0)  # median of seven +1 and one −1
    assert s.lean_frames.rmse == pytest.approx(1.0)


def stride(t: float, lean: float | None, leg: str = "left") -> dict:
    return {"leg": leg, "near": leg == "left", "t_contact": t, "t_next_contact": t + 0.7,
            "trunk_lean_midstance_deg": lean, "cadence_spm": 171.4}


def test_stride_lean_rmse_by_hand():
    true = [stride(1.0, 3.0), stride(1.35, 3.0, "right"), stride(1.7, 3.0), stride(2.05, 3.0, "right")]
    app = [stride(1.02, 4.0), stride(1.40, 1.0, "right"), stride(1.69, 3.0), stride(2.30, 10.0),  # 0.25 s off: no match
           stride(2.06, None, "right")]  # matched, but no value
    s = score_clip("c", make_truth(strides=true), make_app(strides=app))
    assert (s.strides_app, s.strides_true, s.strides_matched) == (5, 4, 4)
    lean = s.stride_errors["trunk_lean_midstance_deg"]
    assert lean.n == 3 and lean.rmse == pytest.approx(math.sqrt((1 + 4 + 0) / 3)) and lean.bias == pytest.approx(0.0)
    assert s.stride_errors["cadence_spm"].rmse == pytest.approx(0.0)


def test_strides_match_the_nearest_contact_of_either_leg_within_the_limit():
    assert match_strides(np.array([0.0, 0.5, 0.9]), np.array([0.1, 0.4, 0.62])).tolist() == [0, 1, -1]
    assert match_strides(np.array([1.0]), np.array([])).tolist() == [-1]


# --------------------------------------------------------------------------- running, pose


def test_walker_called_running_half_the_time():
    activity = ["walking"] * 180 + ["running"] * 180
    s = score_clip("w", make_truth(activity="walking", cadence=None), make_app(activity=activity))
    assert s.false_running_share == pytest.approx(0.5) and s.running_share is None


def test_running_detected_over_the_truly_running_frames_after_the_first_3_5_s():
    frames = {"index": list(range(300)), "activity": ["standing"] * 60 + ["running"] * 240}
    app_activity = ["standing"] * 120 + ["running"] * 180
    s = score_clip("r", make_truth(n=300, frames=frames), make_app(n=300, activity=app_activity))
    assert s.running_share == pytest.approx(180 / 195)  # frames 105.. (3.5 s at 30 fps) truly run
    assert s.false_running_share == pytest.approx(0.0)


def test_empty_scene():
    s = score_clip("e", make_truth(present=False, cadence=None), make_app(pose=[0] * 300 + [1] * 60,
                                                                          activity=["absent"] * 360, running=False))
    assert s.activity == "none" and s.pose_share == pytest.approx(60 / (360 - 15))  # from 0.5 s in (passing.py)
    assert s.false_running_share == 0.0 and s.running_share is None


# --------------------------------------------------------------------------- cues


def test_cue_one_and_a_half_seconds_after_onset():
    truth = make_truth(n=720, faults=[fault(onset=12.0)])
    s = score_clip("a", truth, make_app(n=720, cues=[(10.0, "ribs_down"), (13.5, "ribs_down"), (20.0, "ribs_down")]))
    assert s.faults == (FaultScore("lumbar_extension", "ribs_down", 12.0, 13.5, 10.0),)
    assert s.faults[0].latency_s == pytest.approx(1.5)
    assert s.false_cues == 1  # at 10 s, before the onset
    assert s.clean_minutes == pytest.approx(12.0 / 60)
    assert s.false_cues_per_min == pytest.approx(5.0)


def test_a_cue_of_another_id_leaves_the_fault_missed():
    truth = make_truth(faults=[fault(kind="hip_extension_limit", cue="hip_drive", onset=4.0)])
    s = score_clip("h", truth, make_app(cues=[(2.0, "hip_drive"), (6.0, "ribs_down")]))
    assert s.faults[0].cue_t is None and s.faults[0].latency_s is None
    assert s.false_cues == 1  # the early hip_drive; ribs_down lies inside the fault's window


def test_a_fault_window_closes_after_its_ramp_out_and_grace():
    truth = make_truth(n=600, faults=[fault(onset=5.0, ramp=1.0, end=8.0)])
    close = 8.0 + 1.0 + AFTER_END_S
    s = score_clip("x", truth, make_app(n=600, cues=[(close - 0.1, "ribs_down"), (close + 0.1, "ribs_down")]))
    assert s.faults[0].cue_t == pytest.approx(close - 0.1)
    assert s.false_cues == 1
    inside = 5.5 * FPS + 1  # frames at 5.0 … 10.5 s, both ends included
    assert s.clean_minutes == pytest.approx((600 - inside) / FPS / 60)


def test_false_cue_on_a_clean_clip_and_praise_not_counted():
    s = score_clip("c", make_truth(), make_app(cues=[(4.0, "lean_less"), (9.0, "praise")]))
    assert s.clean and s.faults == () and s.false_cues == 1
    assert s.false_cues_per_min == pytest.approx(1 / 0.2)


# --------------------------------------------------------------------------- masks


def test_mask_iou_of_two_rectangles_and_unpacking():
    a = np.zeros((4, 6), bool)
    b = np.zeros((4, 6), bool)
    a[0:2, 0:4] = True  # 8 pixels
    b[1:3, 2:6] = True  # 8 pixels, 2 shared
    assert mask_iou(a, b) == pytest.approx(2 / 14)
    assert math.isnan(mask_iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)))
    assert np.array_equal(score.unpack_mask(np.packbits(a.ravel()), (4, 6)), a)


def test_iou_stats_leave_out_empty_frames():
    stats = iou_stats([0.9, float("nan"), 0.5, 0.7, 0.8, 0.6])
    assert stats.n == 5 and stats.median == pytest.approx(0.7) and stats.p10 == pytest.approx(0.54)
    assert iou_stats([]) == IoUStats()


# --------------------------------------------------------------------------- suite and report


def test_summary_over_clips_by_kind():
    scores = [
        ClipScore("r1", "running", True, cadence_err_spm=-3.0, cadence_err_pct=-1.8, app_running=True,
                  running_share=0.9, lean_frames=Errors(10, 1.0, 1.2), false_cues=1, clean_minutes=0.5,
                  stride_errors={"trunk_lean_midstance_deg": Errors(5, 0.5, 2.0)}),
        ClipScore("r2", "running", False, cadence_err_spm=1.0, cadence_err_pct=0.6, app_running=True,
                  running_share=0.7, lean_frames=Errors(10, -2.0, 2.2), false_cues=2, clean_minutes=0.2,
                  faults=(FaultScore("lumbar_extension", "ribs_down", 12.0, 13.5),
                          FaultScore("overstride", "shorter_steps", 12.0, None))),
        ClipScore("w", "walking", True, app_running=False, false_running_share=0.25, false_cues=0, clean_minutes=0.5),
        ClipScore("bad", "running", True, error="ribsdown analyze exited with 1"),
    ]
    m = summarise(scores)
    assert m["failed"] == ["bad"] and m["running_clips"] == 2 and m["other_clips"] == 1
    assert m["cadence_abs_err_spm_median"] == pytest.approx(2.0)
    assert m["cadence_err_spm_worst"] == {"value": -3.0, "clip": "r1"}
    assert m["lean_bias_median"] == pytest.approx(-0.5) and m["lean_bias_worst"] == {"value": -2.0, "clip": "r2"}
    assert m["stride_lean_rmse_worst"] == {"value": 2.0, "clip": "r1"}
    assert m["false_running_worst"] == {"value": 0.25, "clip": "w"}
    assert m["faults"] == 2 and m["faults_missed"] == ["r2: overstride"] and m["cue_latency_median_s"] == 1.5
    assert m["false_cues_clean_clips"] == {"cues": 1, "minutes": 1.0, "per_min": 1.0}
    assert m["false_cues_all_clean_time"]["per_min"] == pytest.approx(3 / 1.2)


def test_table_cells():
    s = score_clip("arched", make_truth(n=720, faults=[fault(onset=12.0), fault("overstride", "shorter_steps", 12.0)]),
                   make_app(n=720, cues=[(13.5, "ribs_down")]))
    table = score.markdown_table([s, ClipScore("broken", "running", True, error="exit 1 | oops")])
    header, rule, row, failed = table.splitlines()
    assert header.count("|") == rule.count("|") == row.count("|") == failed.count("|")
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[:6] == ["arched", "running", "170.0", "173.0", "+3.0", "+1.8"]
    assert "ribs_down +1.5 s; shorter_steps missed" in cells and cells[6] == "–"
    assert "exit 1 / oops" in failed
    block = score.summary_block(summarise([s]))
    assert "1 of 2 faults cued" in block and "arched: overstride" in block


# --------------------------------------------------------------------------- files and command line


def stored_analysis(folder: Path, leans: list[float | None], cues=()) -> None:
    """An analysis folder written by the app's own SessionRecord (frames.csv, strides.csv, summary.json)."""
    record = SessionRecord(source="clip.mp4", fps=FPS)
    for i, lean in enumerate(leans):
        cue = next((Cue(t=i / FPS, id=c, text=c, voice=f"{c}.wav") for t, c in cues if round(t * FPS) == i), None)
        row = FrameRow(t=i / FPS, has_pose=lean is not None, trunk_lean_deg=lean, facing="left", frame_index=i,
                       pose_ms=20.0, cue_id=cue.id if cue else None, activity="running")
        metrics = StrideMetrics("left", True, i / FPS - 0.7, None, i / FPS, 171.4, None, 2.5, None, None, None,
                                None, None, None, 1.0) if i and i % 21 == 0 else None
        record.add(row, cue, [metrics] if metrics else [])
    record.write(folder)


def clip_folder(root: Path, name: str, truth: dict) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "truth.json").write_text(json.dumps(truth))
    (folder / "clip.mp4").write_bytes(b"")
    return folder


def test_reads_the_apps_own_files(tmp_path):
    stored_analysis(tmp_path, [None, 1.5, 2.25] * 10, cues=[(0.5, "ribs_down")])
    app = score.read_app_outputs(tmp_path)
    assert app.frames.index.tolist() == list(range(30))
    assert app.frames.pose.tolist()[:3] == [False, True, True]
    assert np.isnan(app.frames.trunk_lean_deg[0]) and app.frames.trunk_lean_deg[2] == pytest.approx(2.25)
    assert set(app.frames.activity) == {"running"}
    assert app.strides[0]["leg"] == "left" and app.strides[0]["near"] is True
    assert app.strides[0]["trunk_lean_midstance_deg"] == 2.5 and app.strides[0]["t_toe_off"] is None
    assert app.summary["cues"][0]["id"] == "ribs_down"


def test_a_stored_analysis_is_reused_and_scored(tmp_path, capsys):
    frames = {"index": list(range(60)), "trunk_lean_deg": [1.0] * 60, "activity": ["running"] * 60}
    folder = clip_folder(tmp_path / "suite", "run_a", make_truth(n=60, frames=frames))
    stored_analysis(folder / "analysis", [2.0] * 60)
    out_json, out_md = tmp_path / "score.json", tmp_path / "score.md"
    assert score.main([str(tmp_path / "suite"), "--no-iou", "--json", str(out_json), "--markdown", str(out_md)]) == 0
    printed = capsys.readouterr().out
    assert "| run_a | running |" in printed and "**Summary**" in printed
    assert out_md.read_text() == printed
    clip = json.loads(out_json.read_text())["clips"][0]
    assert clip["name"] == "run_a" and clip["lean_frames"]["bias"] == pytest.approx(1.0)
    assert clip["pose_share"] == 1.0 and clip["false_cues_per_min"] == 0.0


def test_needs_analysis_reuses_or_clears(tmp_path):
    analysis = tmp_path / "analysis"
    assert score.needs_analysis(analysis, rerun=False)
    analysis.mkdir()
    (analysis / "frames.csv").write_text("unfinished")
    assert score.needs_analysis(analysis, rerun=False) and not analysis.exists()
    analysis.mkdir()
    (analysis / "summary.json").write_text("{}")
    assert not score.needs_analysis(analysis, rerun=False) and analysis.exists()
    assert score.needs_analysis(analysis, rerun=True) and not analysis.exists()


def test_analyze_command_and_private_homes(tmp_path):
    command = score.analyze_command(Path("v.mp4"), Path("out"), ["--calibration-s", "8"], 2)
    assert command[1:] == ["-m", "realtime.apps.cli", "analyze", "v.mp4", "--out", "out", "--calibration-s", "8",
                           "--jobs", "2"]
    env = score.analyze_env(tmp_path)
    assert env["XDG_DATA_HOME"] == str(tmp_path / "xdg" / "data") and (tmp_path / "xdg" / "config").is_dir()


def test_a_failed_analysis_is_a_row_and_status_1(tmp_path, capsys):
    truth = make_truth()
    truth["spec"]["analyze_args"] = ["--calibration-s", "-1"]  # ribsdown refuses it before opening the video
    folder = clip_folder(tmp_path, "bad_args", truth)
    assert score.main([str(tmp_path), "--no-iou"]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| bad_args |"))
    assert "exited with 2" in row and "calibration-s" in row
    assert (folder / "analyze.log").is_file()


def one_error_line(capsys, *words: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lab score: "), err
    assert "Traceback" not in err[0] and all(w in err[0] for w in words), err


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    assert score.main([str(tmp_path / "nope")]) == 2
    one_error_line(capsys, "nope", "not a folder")
    assert score.main([str(tmp_path)]) == 2
    one_error_line(capsys, "no clips")
    clip_folder(tmp_path, "old", {**make_truth(), "format": "ribsdown-lab-truth/0"})
    assert score.main([str(tmp_path)]) == 2
    one_error_line(capsys, "truth.json", "ribsdown-lab-truth/0")
    assert score.main([str(tmp_path), "--only", "ghost"]) == 2
    one_error_line(capsys, "ghost")


# --------------------------------------------------------------------------- the real model


TREADMILL_CADENCE_SPM = 168.9  # treadmill_side_left.mp4, clips README


@pytest.fixture()
def treadmill_suite(clips_dir, tmp_path) -> Path:
    """A suite of one: the real treadmill clip (a symlink) with the truth its README gives."""
    folder = tmp_path / "suite" / "treadmill"
    folder.mkdir(parents=True)
    (folder / "clip.mp4").symlink_to(clips_dir / "treadmill_side_left.mp4")
    truth = make_truth(n=360, cadence=TREADMILL_CADENCE_SPM)
    truth["video"].update(width=720, height=1280)
    (folder / "truth.json").write_text(json.dumps(truth))
    return tmp_path / "suite"


def test_end_to_end_on_the_treadmill_clip(treadmill_suite, capsys):
    assert score.main([str(treadmill_suite), "--no-iou"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| treadmill |"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert abs(float(cells[5])) < 2.0, row  # cadence error, %
    folder = treadmill_suite / "treadmill"
    assert (folder / "xdg" / "data" / "ribsdown").is_dir()  # the history went here, not to the user's
    summary = folder / "analysis" / "summary.json"
    stamp = summary.stat().st_mtime_ns
    assert score.main([str(treadmill_suite), "--no-iou"]) == 0  # reused, not analysed again
    assert summary.stat().st_mtime_ns == stamp and row in capsys.readouterr().out


def test_mask_iou_pass_on_real_frames(treadmill_suite):
    """A whole-frame 'true' mask: the IoU is the share of the frame MediaPipe calls the runner."""
    folder = treadmill_suite / "treadmill"
    full = np.ones((1280, 720), bool)
    np.savez(folder / "masks.npz", index=np.array([2, 4]), shape=np.array([1280, 720]),
             packed=np.stack([np.packbits(full.ravel())] * 2))
    truth = json.loads((folder / "truth.json").read_text())
    stats = score.clip_iou(folder, truth, rerun=False)
    assert stats.n == 2 and 0.02 < stats.p10 <= stats.median < 0.5
    assert score.clip_iou(folder, truth, rerun=False) == stats  # from mask_iou.json
