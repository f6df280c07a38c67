"""MediaPipe's start-up chatter stays off the terminal; errors and the user's line still reach it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from realtime.core.native_stderr import is_noise, without_noise
from tests.cli import run_cli

CHATTER = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    "W0000 00:00:1796408085.845639    5797 inference_feedback_manager.cc:114] Feedback manager requires a "
    "model with a single signature inference. Disabling support for feedback tensors.\n",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    "W0000 00:00:1796408085.980864    5797 landmark_projection_calculator.cc:186] Using NORM_RECT without "
    "IMAGE_DIMENSIONS is only supported for the square ROI.\n",
    "I0000 00:00:1714668459.875897  381002 gl_context_egl.cc:85] Successfully initialized EGL.\n",
]


def native_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines(keepends=True) if is_noise(line)]


def test_the_chatter_goes_and_errors_stay():
    error = "E0000 00:00:1796408085.9 5797 calculator_graph.cc:887] INTERNAL: something real broke\n"
    fatal = "F0000 00:00:1796408085.9 5797 check.cc:1] Check failed: x\n"
    mine = "ribsdown: the file is not a video\n"
    assert all(is_noise(line) for line in CHATTER)
    assert without_noise("".join(CHATTER) + error + fatal + mine) == error + fatal + mine


def test_lines_written_to_file_descriptor_2_inside_are_filtered_not_lost():
    script = textwrap.dedent(f"""
        import os, sys
        from realtime.core.native_stderr import filtered_stderr
        with filtered_stderr():
            os.write(2, {''.join(CHATTER)!r}.encode())
            os.write(2, b"E0000 00:00:1.0 1 graph.cc:1] a real native error\\n")
            print("a line from Python", file=sys.stderr)
        print("after", file=sys.stderr)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["E0000 00:00:1.0 1 graph.cc:1] a real native error",
                                          "a line from Python", "after"]


def test_analyze_prints_no_model_chatter_unless_verbose(tmp_path, clips_dir):
    clip = clips_dir / "treadmill_side_left.mp4"  # 12 s: two worker processes, each with its model
    fresh = {"MPLCONFIGDIR": str(tmp_path / "mpl")}  # a first run: matplotlib builds its font cache
    quiet = run_cli("analyze", clip, "--out", tmp_path / "quiet", env=fresh)
    assert quiet.returncode == 0, quiet.stderr
    assert native_lines(quiet.stderr) == [], quiet.stderr
    assert "fontManager" not in quiet.stderr, quiet.stderr
    assert all(line.startswith("ribsdown: ") for line in quiet.stderr.splitlines() if line.strip()), quiet.stderr
    verbose = run_cli("--verbose", "analyze", clip, "--out", tmp_path / "verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert native_lines(verbose.stderr), "with --verbose the model's own lines should show"


def test_a_hold_filters_until_it_is_released_or_runs_out():
    script = textwrap.dedent(f"""
        import os, sys, time
        from realtime.core.native_stderr import StderrHold
        hold = StderrHold(max_s=0.5)
        os.write(2, {CHATTER[2]!r}.encode())
        os.write(2, b"kept 1\\n")
        hold.release(); hold.release()
        os.write(2, b"after release\\n")
        StderrHold(max_s=0.3)  # never released: it runs out
        os.write(2, {CHATTER[1]!r}.encode())
        time.sleep(0.8)
        os.write(2, b"after running out\\n")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["kept 1", "after release", "after running out"]
