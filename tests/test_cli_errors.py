"""Bad input: one clear line on stderr, exit status 2, no traceback."""

import time

import pytest

from tests.cli import run_cli, user_lines


def assert_one_clear_line(result, *words):
    lines = user_lines(result.stderr)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("ribsdown: "), lines
    for word in words:
        assert word in lines[0], lines[0]


def test_missing_file(tmp_path):
    assert_one_clear_line(run_cli("analyze", tmp_path / "nope.mp4", "--out", tmp_path / "o"), "nope.mp4")


def test_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are not frames\n" * 50)
    assert_one_clear_line(run_cli("analyze", fake, "--out", tmp_path / "o"), "notes.mp4")
    assert not (tmp_path / "o" / "summary.json").exists()


def test_camera_that_does_not_exist(tmp_path):
    assert_one_clear_line(run_cli("run", "--source", "7", "--headless", "--out", tmp_path / "o"), "camera")


def test_unreachable_url_fails_fast(tmp_path):
    start = time.monotonic()
    result = run_cli("run", "--source", "http://127.0.0.1:9/none", "--headless", "--out", tmp_path / "o")
    assert time.monotonic() - start < 15
    assert_one_clear_line(result, "127.0.0.1:9")


def test_existing_session_is_never_overwritten(tmp_path, clips_dir):
    (tmp_path / "summary.json").write_text('{"keep": true}')
    result = run_cli("analyze", clips_dir / "empty_room.mp4", "--out", tmp_path)
    assert_one_clear_line(result, "already holds a session")
    assert (tmp_path / "summary.json").read_text() == '{"keep": true}'


@pytest.mark.parametrize("args", [["run", "--duration", "-3"], ["run", "--volume", "2"], ["frobnicate"],
                                  ["analyze", "--jobs", "many"], ["history", "--no-such-option"]])
def test_bad_option_values_exit_2_in_one_line_that_points_to_the_help(args):
    result = run_cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("ribsdown") and line.endswith("--help`"), line


@pytest.mark.parametrize("option,value", [("--camera-roll", "nan"), ("--calibration-s", "nan"),
                                          ("--calibration-s", "inf"), ("--camera-roll", "ten")])
def test_a_number_that_is_not_one_is_refused_before_any_work(tmp_path, option, value):
    result = run_cli("analyze", "x.mp4", option, value, "--out", tmp_path / "o")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"argument {option}" in result.stderr and "number" in result.stderr, result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option", ["--duration", "--volume"])
def test_run_refuses_nan(option):
    result = run_cli("run", option, "nan", "--headless")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "finite number" in result.stderr, result.stderr


def test_importing_the_cli_loads_no_native_library():
    """The CLI sets OpenCV's and FFmpeg's log levels before cv2 loads; importing it must not load cv2."""
    import subprocess
    import sys

    code = ("import sys, realtime.apps.cli as cli; cli.build_parser().parse_args(['run']); "
            "print(sorted(m for m in ('cv2', 'mediapipe', 'pygame') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_bad_camera_roll_value_exits_2():
    result = run_cli("analyze", "x.mp4", "--camera-roll", "90")
    assert result.returncode == 2 and "not a side view" in result.stderr


def test_misspelt_metric_in_rules_exits_2(tmp_path, clips_dir):
    rules = tmp_path / "bad.toml"
    rules.write_text('[[cue]]\nid = "ribs_down"\ntext = "Ribs down"\nvoice = "ribs_down.wav"\n'
                     '[[cue.fault]]\nconditions = [{ metric = "trunk_lean_midstnce_deg", below = -2.0 }]\n')
    result = run_cli("analyze", clips_dir / "run_grass_short.mp4", "--rules", rules, "--out", tmp_path / "o")
    assert_one_clear_line(result, "bad.toml", "'trunk_lean_midstnce_deg'", "did you mean 'trunk_lean_midstance_deg'?")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("make", ["text", "folder"])
def test_history_db_on_something_that_is_not_a_store_is_one_line_and_touches_nothing(tmp_path, make):
    target = tmp_path / ("notes.txt" if make == "text" else "a_folder")
    if make == "text":
        target.write_text("my running notes\n")
    else:
        target.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert_one_clear_line(run_cli("history", "--db", target), str(target))
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    if make == "text":
        assert target.read_text() == "my running notes\n"
