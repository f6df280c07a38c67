"""`ribsdown cameras`, and a phone URL that cannot be reached."""

from __future__ import annotations

import time
from glob import glob

import pytest

from realtime.sources.cameras import (
    NO_CAMERA,
    CameraInfo,
    device_name,
    format_table,
    linux_device_indices,
)
from tests.cli import run_cli, user_lines


@pytest.mark.skipif(bool(glob("/dev/video*")), reason="this machine has a camera device")
def test_cameras_on_a_machine_without_one_says_so_and_exits_0():
    result = run_cli("cameras", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == NO_CAMERA
    assert "ribsdown demo" in NO_CAMERA and "phone" in NO_CAMERA
    assert user_lines(result.stderr) == []


def test_table_lists_index_name_resolution_and_fps():
    text = format_table([
        CameraInfo(0, "Integrated Camera", 1280, 720, 30.0, True),
        CameraInfo(2, None, 640, 480, None, False),
    ])
    lines = text.splitlines()
    assert lines[0].split() == ["index", "name", "resolution", "fps"]
    assert lines[1].split() == ["0", "Integrated", "Camera", "1280x720", "30"]
    assert lines[2].split()[:4] == ["2", "-", "640x480", "?"] and "no picture" in lines[2]
    assert "--source INDEX" in lines[-1]


def test_linux_devices_and_their_names(tmp_path):
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    for name in ("video2", "video0", "video-foo", "null"):
        (dev / name).touch()
    (sysfs / "video0").mkdir(parents=True)
    (sysfs / "video0" / "name").write_text("USB Camera: HD\n")
    assert linux_device_indices(dev) == [0, 2]
    assert device_name(0, sysfs) == "USB Camera: HD"
    assert device_name(2, sysfs) is None


def test_unreachable_phone_url_fails_within_10_s_with_one_line(tmp_path):
    start = time.monotonic()
    result = run_cli("run", "--source", "http://127.0.0.1:9/none", "--headless", "--out", tmp_path / "o", timeout=60)
    assert time.monotonic() - start < 10
    lines = user_lines(result.stderr)
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("ribsdown: ") and "127.0.0.1:9" in lines[0]
