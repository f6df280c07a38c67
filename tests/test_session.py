import csv
import json

import pytest

from cues.engine import Cue
from realtime.core.errors import UserError
from realtime.outputs.digest import digest
from realtime.record.session import FrameRow, SessionRecord, prepare_out_dir
from tests.sessions import stride


def row(i: int, lean: float | None) -> FrameRow:
    return FrameRow(t=i / 30, has_pose=lean is not None, trunk_lean_deg=lean, facing="left",
                    frame_index=i, pose_ms=20.0, cue_id=None)


def test_summary_and_frames_follow_the_contract(tmp_path):
    record = SessionRecord(source="clip.mp4", fps=30.0, wall_s=1.0)
    for i in range(30):
        record.add(row(i, None if i < 10 else float(i - 10)), None)
    record.add(row(30, -1.0), Cue(t=1.0, id="ribs_down", text="Ribs down, lean forward", voice="ribs_down.wav"))
    record.write(tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["frames"] == 31 and summary["frames_with_pose"] == 21
    assert summary["facing"] == "left" and summary["duration_s"] == pytest.approx(31 / 30, abs=1e-3)
    assert summary["trunk_lean_deg"]["median"] == pytest.approx(9.0)
    assert summary["cues"] == [
        {"t": 1.0, "id": "ribs_down", "text": "Ribs down, lean forward", "spoken": True, "reason": ""}
    ]
    assert set(summary["timing"]) >= {"pose_ms_p50", "pose_ms_p95", "loop_fps"}
    with (tmp_path / "frames.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["t", "pose", "trunk_lean_deg"]
    assert rows[1][1:3] == ["0", ""] and rows[11][1:3] == ["1", "0.000"]
    assert len(rows) == 32


def test_out_dir_never_overwrites_a_session(tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(UserError, match="already holds a session"):
        prepare_out_dir(tmp_path, tmp_path / "data")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        prepare_out_dir(afile, tmp_path / "data")


def test_default_out_dirs_are_new_each_time(tmp_path):
    first = prepare_out_dir(None, tmp_path)
    second = prepare_out_dir(None, tmp_path)  # the same second: a folder of its own
    assert first != second and first.parent == second.parent == tmp_path / "sessions"
    assert first.is_dir() and second.is_dir()


def test_a_folder_claimed_by_a_running_session_is_refused_and_a_stale_claim_is_taken_over(tmp_path):
    import subprocess
    import sys

    from realtime.record.session import CLAIM_NAME, release_out_dir

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / CLAIM_NAME).write_text(f"{other.pid}\n")
        with pytest.raises(UserError, match="in use by another ribsdown session"):
            prepare_out_dir(tmp_path, tmp_path / "data")
    finally:
        other.kill()
        other.wait()
    assert prepare_out_dir(tmp_path, tmp_path / "data") == tmp_path  # its process is gone: a stale claim
    release_out_dir(tmp_path)
    assert not (tmp_path / CLAIM_NAME).exists()


@pytest.mark.parametrize("extra", ["session.mp4", "report.html", "screens"])
def test_an_out_folder_with_a_recorded_video_report_or_screens_is_refused(tmp_path, extra):
    (tmp_path / extra).mkdir() if extra == "screens" else (tmp_path / extra).write_bytes(b"x")
    with pytest.raises(UserError, match="already holds a session"):
        prepare_out_dir(tmp_path, tmp_path / "data")


@pytest.mark.parametrize("step", [1, 2])  # a 15 fps camera, or a 30 fps one dropping every other frame
def test_running_time_comes_from_the_frames_times(step):
    record = SessionRecord(source="camera 0", fps=30.0)  # the nominal rate
    for i in range(0, 240, step):  # 8 s of running
        record.add(FrameRow(i / 30, True, 5.0, "left", i, 20.0, None, "running"), None)
    record.strides.extend(stride(0.7 * k) for k in range(10))
    assert digest(record, (-2.0, 15.0)).running_s == pytest.approx(8.0)
    assert record.running  # 8 s, not 4 s: over MIN_RUNNING_S


def test_a_snapshot_read_on_another_thread_never_stops_the_recording():
    """The checkpoint thread reads the snapshot's latencies with numpy (which locks an array's
    size while it reads) while the loop goes on appending: the two must not share the array."""
    import numpy as np

    from realtime.record.session import SessionRecord

    record = SessionRecord(source="camera", fps=30.0)
    for ms in (30.0, 31.0, 29.0):
        record.add_timing(ms)
    snapshot = record.snapshot()
    held = np.frombuffer(snapshot.latency_ms)  # exports the snapshot's buffer, as np.median does mid-read
    record.add_timing(32.0)  # BufferError if the array were shared
    assert list(record.latency_ms) == [30.0, 31.0, 29.0, 32.0] and held.tolist() == [30.0, 31.0, 29.0]
    assert snapshot.incomplete and snapshot.landmarks is None and not record.incomplete
    record.rows.append("row")
    assert snapshot.rows == []
