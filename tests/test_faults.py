"""Faults a user's machine brings (the issue "Nothing recorded is lost, nothing is overwritten,
no input ends in a traceback"): real processes, real mounts. Each case ends with a readable
session or one clear line and exit 2 — no traceback, no file of the user's touched.
"""

from __future__ import annotations

import pytest

from realtime.record.store import SessionStore
from tests.cli import run_cli, user_lines
from tests.mounts import read_only_file
from tests.sessions import arched_session


@pytest.fixture(scope="module")
def landmarks(clips_dir, tmp_path_factory):
    """A real session's landmark stream: `analyze --landmarks` re-runs it without the model."""
    return arched_session(clips_dir, tmp_path_factory) / "landmarks.npz"


def test_a_read_only_history_warns_saves_the_session_and_takes_it_in_later(tmp_path, landmarks):
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    first = run_cli("analyze", "--landmarks", landmarks, "--out", tmp_path / "first", env=env)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "data" / "ribsdown" / "sessions.sqlite"
    assert db.is_file()

    with read_only_file(db):
        second = run_cli("analyze", "--landmarks", landmarks, "--out", tmp_path / "second", env=env)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    (warning,) = user_lines(second.stderr)
    assert "not added to the history yet" in warning and "second" in warning, warning
    assert (tmp_path / "second" / "summary.json").is_file() and (tmp_path / "second" / "report.html").is_file()

    with SessionStore(db) as store:  # writable again: the session comes in
        held = [s.out_dir for s in store.list_sessions()]
    assert held == [(tmp_path / "first").resolve(), (tmp_path / "second").resolve()]


def test_a_phone_video_stored_sideways_is_read_upright(tmp_path, clips_dir):
    """A phone keeps a portrait video as landscape frames with a rotation tag; read as stored,
    the runner lies on his side (trunk lean −89°, a false cue)."""
    import json
    import subprocess

    original = clips_dir / "treadmill_side_left.mp4"
    stored = tmp_path / "stored.mp4"
    phone = tmp_path / "phone.mp4"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(original), "-vf", "transpose=1",
                    "-c:v", "libx264", "-crf", "18", str(stored)], check=True)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(stored), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(phone)], check=True)

    leans = {}
    for name, clip in (("original", original), ("phone", phone)):
        result = run_cli("analyze", clip, "--out", tmp_path / name)
        assert result.returncode == 0, result.stderr
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert summary["cues"] == []
        leans[name] = summary["trunk_lean_deg"]["median"]
    assert abs(leans["phone"] - leans["original"]) < 1.0, leans


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    from pathlib import Path

    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_during_analyze_saves_what_was_done_and_ends_the_workers(tmp_path, clips_dir):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "stopped"
    clip = tmp_path / "long.mp4"  # the arched clip three times (72 s): long enough to stop midway on any machine
    (tmp_path / "list.txt").write_text(f"file '{clips_dir / 'treadmill_side_left_then_arched.mp4'}'\n" * 3)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(tmp_path / "list.txt"),
                    "-c", "copy", str(clip)], check=True)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen([sys.executable, "-m", "realtime.apps.cli", "analyze", str(clip), "--jobs", "2",
                             "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:  # the workers (and the tracker)
        time.sleep(0.2)
    time.sleep(8.0)  # the workers are running the model
    kids = _children(proc.pid)
    assert len(kids) >= 2, kids
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert 0 < summary["frames"] < 3 * 720, summary["frames"]
    time.sleep(1.0)
    assert [k for k in kids if _alive(k)] == []


def test_a_folder_without_room_is_refused_before_any_work_and_left_empty(tmp_path, landmarks):
    from tests.mounts import tmpfs

    with tmpfs(tmp_path / "small", "200k") as small:
        out = small / "session"
        result = run_cli("analyze", "--landmarks", landmarks, "--out", out)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        (line,) = user_lines(result.stderr)
        assert "MB free" in line and str(out) in line, line
        assert list(small.rglob("*")) in ([], [out])  # nothing written (at most the empty folder)


def test_a_read_only_folder_is_one_line(tmp_path, landmarks):
    from tests.mounts import remount_read_only, tmpfs

    with tmpfs(tmp_path / "ro", "50m") as ro:
        remount_read_only(ro)
        result = run_cli("analyze", "--landmarks", landmarks, "--out", ro / "session")
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        (line,) = user_lines(result.stderr)
        assert "Read-only file system" in line, line


def test_two_sessions_given_the_same_out_at_once_never_share_it(tmp_path, landmarks):
    import os
    import subprocess
    import sys

    out = tmp_path / "same"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    cmd = [sys.executable, "-m", "realtime.apps.cli", "analyze", "--landmarks", str(landmarks), "--out", str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "Traceback" not in refused and ("in use by another" in refused or "already holds" in refused), refused
    assert (out / "summary.json").is_file()


def test_a_recording_killed_mid_run_still_plays(tmp_path, clips_dir):
    import os
    import signal
    import subprocess
    import sys
    import time

    import cv2

    out = tmp_path / "killed"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen([sys.executable, "-m", "realtime.apps.cli", "run", "--source",
                             str(clips_dir / "treadmill_side_left.mp4"), "--realtime", "--headless", "--mute",
                             "--record", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    video = out / "session.mkv"
    deadline = time.monotonic() + 60
    while not (video.is_file() and video.stat().st_size > 200_000) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    cap = cv2.VideoCapture(str(video))
    frames = 0
    while cap.grab():
        frames += 1
    cap.release()
    assert frames >= 30, frames  # at least a second of the run plays back


@pytest.mark.parametrize("stop", ["duration", "SIGTERM", "SIGINT"])
def test_a_kiosk_whose_camera_is_not_there_still_stops_on_time_and_on_signals(tmp_path, stop):
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    cmd = [sys.executable, "-m", "realtime.apps.cli", "run", "--kiosk", "--headless", "--mute",
           "--source", str(tmp_path / "no_such_camera.mp4")]
    if stop == "duration":
        cmd += ["--duration", "4"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if stop != "duration":
        time.sleep(6.0)
        proc.send_signal(getattr(signal, stop))
    _, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - start
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 0, stderr
    assert took < (15 if stop == "duration" else 12), took


def test_a_run_killed_mid_session_leaves_a_session_the_history_lists_and_the_report_renders(tmp_path, clips_dir):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "killed_run"
    data = tmp_path / "data"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "XDG_DATA_HOME": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "realtime.apps.cli", "run", "--source",
                             str(clips_dir / "treadmill_side_left_then_arched.mp4"), "--realtime", "--headless",
                             "--mute", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 90
    summary = out / "summary.json"
    while time.monotonic() < deadline:  # until a checkpoint with some running in it
        if summary.is_file() and json.loads(summary.read_text()).get("frames", 0) >= 300:
            break
        time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    saved = json.loads(summary.read_text())
    assert saved["incomplete"] is True and saved["frames"] >= 300
    listed = run_cli("history", env={"XDG_DATA_HOME": str(data)})
    assert listed.returncode == 0 and "ended early" in listed.stdout, listed.stdout + listed.stderr
    report = run_cli("report", str(out), env={"XDG_DATA_HOME": str(data)})
    assert report.returncode == 0, report.stderr
    assert (out / "report.html").is_file()


def test_a_disk_that_fills_during_the_session_keeps_what_was_measured(tmp_path, clips_dir):
    """The room is checked at the start, but another program may fill the disk while the runner
    runs: the session is then saved without its landmark stream (the largest file), not lost."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    import time

    from tests.mounts import tmpfs

    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
           "XDG_DATA_HOME": str(tmp_path / "data")}
    with tmpfs(tmp_path / "disk", "48m") as disk:
        out = disk / "session"
        proc = subprocess.Popen([sys.executable, "-m", "realtime.apps.cli", "analyze",
                                 str(clips_dir / "treadmill_side_left.mp4"), "--jobs", "1", "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        while not (out / ".ribsdown-session").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the analysis ended before the disk could be filled"
        left = 160 * 1024  # room for the summary, the frame and stride tables and the report, not the landmarks
        with (disk / "someone_elses_file").open("wb") as fh:
            fh.write(b"\0" * (shutil.disk_usage(disk).free - left))
        stdout, stderr = proc.communicate(timeout=120)

        assert proc.returncode == 0 and "Traceback" not in stderr, stderr
        (warning,) = [line for line in user_lines(stderr) if "landmark" in line]
        assert "No space left" in warning, warning
        summary = json.loads((out / "summary.json").read_text())
        assert summary["frames"] == 360 and summary["running"], summary
        assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "report.html", "strides.csv", "summary.json"]
        assert (disk / "someone_elses_file").stat().st_size > 40e6  # the other program's file untouched


def test_two_sessions_started_in_the_same_second_get_a_folder_each_and_both_enter_the_history(tmp_path, landmarks):
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "XDG_DATA_HOME": str(data)}
    cmd = [sys.executable, "-m", "realtime.apps.cli", "analyze", "--landmarks", str(landmarks)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    folders = sorted((data / "ribsdown" / "sessions").iterdir())
    assert len(folders) == 2 and all((f / "summary.json").is_file() for f in folders), folders
    with SessionStore(data / "ribsdown" / "sessions.sqlite") as store:
        held = sorted(s.out_dir for s in store.list_sessions())
    assert held == [f.resolve() for f in folders]


@pytest.mark.parametrize("kind", ["text file", "dead URL", "no camera"])
def test_a_kiosk_on_a_source_that_gives_no_picture_ends_on_ctrl_c_without_a_traceback(tmp_path, kind):
    import os
    import signal
    import subprocess
    import sys
    import time

    text = tmp_path / "notes.txt"
    text.write_text("not a video\n")
    source = {"text file": str(text), "dead URL": "http://127.0.0.1:9/video", "no camera": "7"}[kind]
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "realtime.apps.cli", "run", "--kiosk", "--headless", "--mute",
                             "--source", source], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(6.0)
    assert proc.poll() is None, proc.communicate()  # still waiting for the camera, not given up
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 0, stderr
    assert time.monotonic() - start < 6, "Ctrl-C took too long"
    assert text.read_text() == "not a video\n"
