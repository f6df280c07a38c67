"""Opt-in recording: the annotated video, one frame per processed frame; the kiosk refuses it."""

from __future__ import annotations

import csv

import cv2

from tests.cli import run_cli, user_lines


def test_analyze_record_writes_the_annotated_video(clips_dir, tmp_path):
    result = run_cli("analyze", clips_dir / "treadmill_side_left.mp4", "--record", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    video = cv2.VideoCapture(str(tmp_path / "session.mkv"))
    ok, first = video.read()
    frames = int(ok)
    while video.grab():
        frames += 1
    video.release()
    with (tmp_path / "frames.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert ok and frames == len(rows) == 360
    assert first.shape == (720, 1280, 3)  # the screen, not the camera image
    assert "Best stride" in (tmp_path / "report.html").read_text()


def test_without_record_no_video(clips_dir, tmp_path):
    result = run_cli("analyze", clips_dir / "empty_room.mp4", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "session.mkv").exists()


def test_kiosk_refuses_to_store_anything(tmp_path):
    result = run_cli("run", "--kiosk", "--headless", "--record", "--source", "x.mp4")
    assert result.returncode == 2
    assert "stores nothing" in user_lines(result.stderr)[0]
