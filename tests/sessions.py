"""Session folders for the store and report tests: the arched treadmill clip analysed
once per test run (about 20 s), then copied for each variant; and small made-up ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from realtime.analysis.stride_metrics import StrideMetrics
from realtime.record.session import FrameRow, write_frames_csv, write_strides_csv
from tests.cli import run_cli

ARCHED_CLIP = "treadmill_side_left_then_arched.mp4"


def arched_session(clips_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ribsdown analyze --mine` of the arched clip (a video of the user: it joins the trend),
    run once per test run (shared by modules through the run's base temp folder); treat it as
    read-only and copy it."""
    folder = tmp_path_factory.getbasetemp() / "arched_session"
    if not (folder / "summary.json").is_file():
        result = run_cli("analyze", clips_dir / ARCHED_CLIP, "--out", folder, "--mine")
        assert result.returncode == 0, result.stderr
    return folder


def copy_session(source: Path, dest: Path) -> Path:
    """A copy of a session folder at `dest` (parents created), dated by its folder name
    as an older session would be: the summary's own `started_at` is taken out."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, dest)
    summary = json.loads((dest / "summary.json").read_text())
    summary.pop("started_at", None)
    (dest / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return dest


def stride(t: float, near: bool = True, **values: float | None) -> StrideMetrics:
    """A normal stride at `t` (s) of the near (left) or far (right) leg; `values` override."""
    normal = dict(
        t_toe_off=t + 0.25, t_next_contact=t + 0.7, cadence_spm=171.4, contact_time_s=0.25,
        trunk_lean_midstance_deg=5.0, thigh_extension_deg=-15.0, trunk_back_excursion_deg=1.0,
        extension_coupling=0.0, shank_angle_contact_deg=5.0, foot_ahead_of_hip=0.1,
        vertical_oscillation=0.05, quality=1.0,
    )
    return StrideMetrics(leg="left" if near else "right", near=near, t_contact=t, **{**normal, **values})


def synthetic_session(folder: Path, strides: list[StrideMetrics], **summary: object) -> Path:
    """A small session folder (summary.json, frames.csv at 30 fps, strides.csv) holding
    `strides`; `summary` entries override the made-up summary's."""
    folder.mkdir(parents=True)
    end = max((s.t_next_contact for s in strides), default=10.0)
    rows = [FrameRow(i / 30, True, 5.0, "left", i, 20.0, None, "running") for i in range(int(end * 30) + 1)]
    write_frames_csv(folder / "frames.csv", rows)
    write_strides_csv(folder / "strides.csv", strides)
    document = {
        "source": "synthetic.mp4", "frames": len(rows), "fps": 30.0, "duration_s": end, "facing": "left",
        "trunk_lean_deg": {"median": 5.0, "p10": 4.0, "p90": 6.0}, "cues": [], "running": True,
        "cadence_spm": 171.4, "strides": len(strides), "hip_extension_deg": None, "setup": [],
        "baseline": {"ready": False}, **summary,
    }
    (folder / "summary.json").write_text(json.dumps(document, indent=2) + "\n")
    return folder
