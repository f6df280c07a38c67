"""The HTML report of a real session: what it says, that it needs nothing but itself,
and how it looks in a real browser (headless Chromium, when installed)."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from cues.rules import load_rules, parse_rules, rules_table
from realtime.apps import history_cli
from realtime.core.clock import clock
from realtime.core.errors import UserError
from realtime.record.store import SessionStore
from realtime.report.facts import (
    arch_edge,
    back_lines,
    band_text,
    deg,
    lean_band,
    lean_segments,
    story,
)
from realtime.report.page import REPORT_NAME, write_report
from tests.sessions import (
    ARCHED_CLIP,
    arched_session,
    copy_session,
    stride,
    synthetic_session,
)

ARCH_START_S = 12.0  # the clip's arching starts at 12 s (clips README)
#: The made-up sessions' baseline (the outline way of ribs_down reads it).
BASELINE = {"ready": True, "trunk_lean_midstance_deg": 5.0, "thorax_pelvis_deg": 10.0, "pelvic_deg": 5.0,
            "lumbar_arch": 0.010, "spread": {"lumbar_arch": 0.002}}
ACCENT_RGB = (217, 72, 15)  # report_plots.ACCENT
BAND_RGB = (227, 241, 231)  # report_plots.BAND


@pytest.fixture(scope="session")
def session_dir(clips_dir, tmp_path_factory) -> Path:
    return arched_session(clips_dir, tmp_path_factory)


@pytest.fixture()
def recorded(session_dir, tmp_path) -> tuple[Path, Path]:
    """(session folder, store path): a copy of the real session, stored, with its report."""
    folder = copy_session(session_dir, tmp_path / "sessions" / "2026-03-08_07-30-00")
    db = tmp_path / "sessions.sqlite"
    history_cli.record_session(folder, db)
    return folder, db


def external_references(page: str) -> list[str]:
    """Anything the page would fetch from elsewhere: src/href to a URL, CSS url() or
    @import of one, <link> and <script src> elements."""
    patterns = (
        r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""",
        r"""url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""",
        r"@import",
        r"<link\b",
        r"<script\b[^>]*\bsrc=",
        r"""(?:src|href)\s*=\s*["']?\s*file:""",
    )
    return [m.group(0) for p in patterns for m in re.finditer(p, page, flags=re.IGNORECASE)]


# --------------------------------------------------------------------------- content


def test_report_content(recorded):
    folder, _ = recorded
    page = (folder / REPORT_NAME).read_text(encoding="utf-8")
    summary = json.loads((folder / "summary.json").read_text())
    (cue,) = summary["cues"]

    assert "Ribs down, lean forward" in page
    assert clock(cue["t"]) in page  # the cue's time, m:ss
    story = re.search(r"From (0:1[123]) you leaned back \(trunk (\S+) instead of (\S+)\); that is when "
                      r"\u2018Ribs down, lean forward\u2019 was said once", page)
    assert story, "the lean-drop sentence is missing"
    after, before = (float(v.rstrip("°").replace("\u2212", "-")) for v in story.group(2, 3))
    assert after < 0 < before and before - after >= 5  # about 8° of arching (clips README)
    assert ARCHED_CLIP in page
    assert page.count("<svg") == 4  # lean, hip extension, cadence, trend
    for title in ("Trunk lean over time", "Hip extension per stride", "Cadence per stride",
                  "Median trunk lean per session", "Cues per minute per session"):
        assert title in page
    assert f"good band {band_text(lean_band(load_rules()))}" in page  # from the shipped rules: −2…15°
    assert "Strides at fault" in page and "trunk lean at midstance" in page
    assert "No camera set-up problems" in page
    assert "Your back" in page and "outline was clear in" in page  # 12 s before the arch: no baseline
    assert "kept but not judged" in page
    assert external_references(page) == []
    assert "<img" not in page  # no session.mp4 in the folder: no stills, no complaint


def test_svg_ids_do_not_clash(recorded):
    page = (recorded[0] / REPORT_NAME).read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))


def test_stills_of_best_and_worst_stride(session_dir, clips_dir, tmp_path):
    folder = copy_session(session_dir, tmp_path / "run")
    (folder / "session.mp4").symlink_to(clips_dir / ARCHED_CLIP)  # stands in for a recorded run
    page = write_report(folder).read_text(encoding="utf-8")
    assert page.count('<img src="data:image/jpeg;base64,') == 2
    best = re.search(r"Best stride — (\d:\d\d), trunk (\S+) at midstance", page)
    worst = re.search(r"Worst stride — (\d:\d\d), trunk (\S+) at midstance", page)
    assert best and worst
    assert int(best.group(1)[2:]) < ARCH_START_S <= int(worst.group(1)[2:])
    assert worst.group(2).startswith("\u2212")
    assert external_references(page) == []
    assert "No session store was given" in page


def test_a_session_without_running(session_dir, tmp_path):
    folder = copy_session(session_dir, tmp_path / "walk")
    summary = json.loads((folder / "summary.json").read_text())
    summary.update(running=False, cadence_spm=None, strides=0, hip_extension_deg=None, stride_values={}, cues=[])
    (folder / "summary.json").write_text(json.dumps(summary))
    header = (folder / "strides.csv").read_text().splitlines()[0]
    (folder / "strides.csv").write_text(header + "\n")
    page = write_report(folder).read_text(encoding="utf-8")
    assert "No running was found" in page and "No strides were measured" in page
    assert "No cue was given" in page


def fault_section(page: str) -> str:
    """The report's "Strides at fault" section."""
    return re.search(r"<h2>Strides at fault</h2>(.*?)</section>", page, flags=re.DOTALL).group(1)


def test_strides_at_fault_show_the_outline_way(tmp_path):
    arched = [stride(1.0 + 0.7 * i, lumbar_arch=0.018, rib_cage_quality=0.8) for i in range(6)]  # 4 spreads deeper
    folder = synthetic_session(tmp_path / "arched", arched, baseline=BASELINE)
    faults = fault_section(write_report(folder).read_text(encoding="utf-8"))
    assert faults.count("<tr>") == 1 + 6  # the header and every stride
    assert faults.count("Ribs down, lean forward") == 6 and "lumbar arch" in faults


def test_strides_are_judged_with_the_rules_the_session_ran_with(tmp_path):
    mine = parse_rules('[[cue]]\nid = "ribs_down"\ntext = "Chest down"\nvoice = "ribs_down.wav"\n'
                       '[[cue.fault]]\nconditions = [{metric = "trunk_lean_midstance_deg", below = 8.0}]\n',
                       base=load_rules())
    strides = [stride(1.0 + 0.7 * i, trunk_lean_midstance_deg=5.0) for i in range(4)]
    folder = synthetic_session(tmp_path / "mine", strides, rules=json.loads(json.dumps(rules_table(mine))))
    page = write_report(folder).read_text(encoding="utf-8")
    assert fault_section(page).count("Chest down") == 4  # 5° is under my 8° edge
    assert "good band 8…15°" in page
    assert "4 of the 4 strides the coach judged were at fault" in page


def test_both_legs_strides_are_judged_for_legs_both(tmp_path):
    strides = [stride(1.0 + 0.35 * i, near=i % 2 == 0, trunk_lean_midstance_deg=-5.0) for i in range(6)]
    folder = synthetic_session(tmp_path / "back", strides)
    faults = fault_section(write_report(folder).read_text(encoding="utf-8"))
    assert faults.count("Ribs down, lean forward") == 6  # ribs_down judges both legs (legs = "both")
    assert faults.count("<td>right</td>") == 3


def test_not_a_session_folder(tmp_path):
    with pytest.raises(UserError, match="holds no summary.json"):
        write_report(tmp_path)
    with pytest.raises(UserError, match="is not a folder"):
        write_report(tmp_path / "missing")


# --------------------------------------------------------------------------- the maths


def test_lean_segments_find_the_drop():
    rng = np.random.default_rng(1)
    t = np.arange(0, 24, 1 / 30)
    lean = np.where(t < 12.0, 4.0, -3.0) + 2.0 * np.sin(2 * np.pi * 1.4 * t) + rng.normal(0, 0.5, t.size)
    lean[100:110] = np.nan  # a few frames without a pose
    segments = lean_segments(t, lean)
    assert len(segments) == 2
    assert segments[1].t0 == pytest.approx(12.0, abs=0.3)
    assert segments[0].median == pytest.approx(4.0, abs=1.0) and segments[1].median == pytest.approx(-3.0, abs=1.0)
    assert len(lean_segments(t, np.full(t.size, 4.0))) == 1


def test_back_wording():
    assert "not read" in back_lines({"measured": False})[0]
    arched = back_lines({"measured": True, "quality": 0.5, "held_arch": {"sds": 4.2, "t": 71.0, "strides": 4},
                         "vs_baseline": {"thorax_pelvis_deg": 6.6, "pelvic_deg": -6.9}})
    assert arched[0].startswith("Your back's outline was clear in 50%")
    assert arched[1].startswith("Your lower back hollowed: at its deepest, from 1:11") and "4.2 of your own" in arched[1]
    assert "+7°" in arched[2] and "\u22127°" in arched[2]
    same = back_lines({"measured": True, "quality": 0.4, "held_arch": {"sds": 1.1, "t": 30.0, "strides": 4},
                       "vs_baseline": {"thorax_pelvis_deg": 0.3, "pelvic_deg": 0.2}})
    assert "stayed within your own range" in same[1] and "1.1" in same[1]
    no_baseline = back_lines({"measured": True, "quality": 0.4, "held_arch": None})
    assert "need a calibrated run" in no_baseline[1] and len(no_baseline) == 2
    assert arch_edge(load_rules()) == 3.0  # the shipped rules' outline way



def test_wording():
    assert (deg(4.4), deg(-3.2), deg(-0.3)) == ("+4°", "\u22123°", "0°")
    assert (clock(0), clock(11.6), clock(75)) == ("0:00", "0:12", "1:15")


# --------------------------------------------------------------------------- the commands


def test_record_session_and_history(recorded, session_dir, tmp_path, capsys):
    folder, db = recorded
    second = copy_session(session_dir, tmp_path / "sessions" / "2026-03-15_07-30-00")
    report = history_cli.record_session(second, db)
    assert report == second / REPORT_NAME and report.is_file()
    with SessionStore(db) as store:
        assert [s.out_dir for s in store.list_sessions()] == [folder.resolve(), second.resolve()]

    assert history_cli.command_history(argparse.Namespace(db=db, limit=20)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "date", "kind", "source", "duration", "cadence", "lean", "cues"]
    assert lines[1].split()[3:5] == ["video", "(you)"]
    assert len(lines) == 3 and "2026-03-08 07:30" in lines[1] and ARCHED_CLIP in lines[1]
    assert "0:24" in lines[1] and "spm" in lines[1]


def test_command_report(recorded, monkeypatch, capsys):
    folder, db = recorded
    opened: list[str] = []
    monkeypatch.setattr(history_cli.webbrowser, "open", opened.append)
    for key in ("latest", "1", str(folder)):
        assert history_cli.command_report(argparse.Namespace(session=key, open=False, db=db)) == 0
        assert capsys.readouterr().out.strip() == str(folder.resolve() / REPORT_NAME)
    history_cli.command_report(argparse.Namespace(session="latest", open=True, db=db))
    assert opened == [(folder.resolve() / REPORT_NAME).as_uri()]
    with pytest.raises(UserError, match="no session 7"):
        history_cli.command_report(argparse.Namespace(session="7", open=False, db=db))
    with pytest.raises(UserError, match="neither a session folder nor a session id"):
        history_cli.command_report(argparse.Namespace(session="yesterday", open=False, db=db))


def test_parsers_are_registered():
    parser = argparse.ArgumentParser(prog="ribsdown")
    history_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", "--open"])
    assert (args.session, args.open, args.func) == ("latest", True, history_cli.command_report)
    assert parser.parse_args(["history"]).func is history_cli.command_history


# --------------------------------------------------------------------------- a real browser


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_in_a_real_browser(recorded, tmp_path):
    browser = chromium()
    if browser is None:
        reason = "chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason}; .ci/run installs it, so CI must have it")
        pytest.skip(f"{reason}; the HTML content is checked by the other tests")
    from PIL import Image

    report = recorded[0] / REPORT_NAME
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri()],
            capture_output=True, timeout=120, check=False,
        )
    assert shot.is_file(), "chromium wrote no screenshot"
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert image.shape[:2] == (2400, 1280)

    def pixels_near(rgb: tuple[int, int, int], tolerance: int = 30) -> int:
        return int((np.abs(image - np.array(rgb)).max(axis=2) <= tolerance).sum())

    assert pixels_near(BAND_RGB, 4) > 50_000  # the good band shaded (the SVG plots were drawn)
    assert pixels_near(ACCENT_RGB) > 1_000  # the cue marker, its label, the strides at fault
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 500  # not a blank page


# --------------------------------------------------------------------------- one set of numbers


def test_report_and_summary_agree(recorded):
    """The running time, the good band and the hip extension ("N° behind") the report prints
    are summary.json's (which the end screen reads), from the real session."""
    import csv

    from realtime.record.session import FrameRow, running_seconds

    folder, _ = recorded
    page = (folder / REPORT_NAME).read_text(encoding="utf-8")
    summary = json.loads((folder / "summary.json").read_text())
    with (folder / "frames.csv").open() as fh:
        rows = [FrameRow(float(r["t"]), r["pose"] == "1", None, None, 0, 0.0, None, r["activity"])
                for r in csv.DictReader(fh)]
    assert summary["running_s"] == pytest.approx(running_seconds(rows), abs=1e-3)
    assert summary["running_s"] < summary["duration_s"]  # the clip starts before the runner is running
    assert f"You ran for {clock(summary['running_s'])}" in page
    assert summary["lean_band"] == list(lean_band(load_rules()))
    assert f"good band {band_text(tuple(summary['lean_band']))}" in page
    behind = summary["hip_extension_behind_deg"]["median"]
    assert behind == -summary["hip_extension_deg"]["median"] > 0  # the thigh goes behind vertical
    assert f"Hip extension: {behind:.0f}° behind" in page
    assert f'<div class="k">hip extension</div><div class="v">{behind:.0f}° behind</div>' in page


def test_fault_rows_read_plainly():
    from types import SimpleNamespace

    from realtime.report.facts import _why

    lean = "trunk_lean_midstance_deg"
    below_baseline = SimpleNamespace(metric=lean, below=-4.0, above=None, spreads=False, baseline=True)
    assert _why([below_baseline], [1.0]) == "trunk lean at midstance 1.0° above your baseline; the cue needs 4° below"
    absolute = SimpleNamespace(metric=lean, below=None, above=15.0, spreads=False, baseline=False)
    assert _why([absolute], [17.2]) == "trunk lean at midstance +17.2°; the cue needs over 15°"


def test_no_fault_dots_without_running(session_dir, tmp_path):
    folder = copy_session(session_dir, tmp_path / "walk")
    summary = json.loads((folder / "summary.json").read_text())
    summary.update(running=False, cadence_spm=None, cues=[])
    (folder / "summary.json").write_text(json.dumps(summary))
    page = write_report(folder).read_text(encoding="utf-8")
    assert "No running was found" in page
    assert "stride at fault" not in page and "No stride was at fault" in page


def test_the_demo_has_no_outline_and_is_not_yours(session_dir, tmp_path):
    folder = copy_session(session_dir, tmp_path / "demo")
    summary = json.loads((folder / "summary.json").read_text())
    summary.update(source="demo (synthetic runner)", kind="demo", mine=False, rib_cage=None)
    (folder / "summary.json").write_text(json.dumps(summary))
    db = tmp_path / "sessions.sqlite"
    history_cli.record_session(folder, db)
    page = (folder / REPORT_NAME).read_text(encoding="utf-8")
    assert "drawn runner has no outline" in page and "old recording" not in page
    assert "the demo (a drawn runner, not you): it is not part of your trend" in page


def test_praise_is_not_coloured_as_a_fault_in_the_report():
    from realtime.report import plots
    from realtime.report.page import _cue_table

    cues = [{"t": 22.0, "id": "ribs_down", "text": "Ribs down, lean forward", "reason": "x"},
            {"t": 30.0, "id": "praise", "text": "That's it — hold that", "reason": "fault corrected"}]
    table = _cue_table(cues)
    assert '<td class="cue">Ribs down' in table and '<td class="praise">That' in table
    t = np.linspace(0.0, 40.0, 400)
    svg = plots.lean_plot(t, np.full_like(t, 5.0), np.full_like(t, 5.0), (1.5, 15.0), cues)
    assert plots.CALM.lower() in svg.lower() and plots.ACCENT.lower() in svg.lower()


def test_a_lean_that_left_the_band_is_not_said_to_have_stayed_in_it():
    """The demo's lean drops to −5° for 8 s of a minute (one stretch the segmentation does not
    cut out): its median is in the band, its p10 is not, so "throughout" would be untrue."""
    summary = {"running": True, "running_s": 57.0, "duration_s": 60.0, "cadence_spm": 170.0, "cues": [],
               "trunk_lean_deg": {"median": 5.0, "p10": 1.0, "p90": 6.0}}
    dipped = " ".join(story(summary, [], (1.5, 15.0)))
    assert "throughout" not in dipped and "out of it at times (p10 +1°, p90 +6°)" in dipped
    summary["trunk_lean_deg"]["p10"] = 3.0
    assert "stayed in the good band throughout" in " ".join(story(summary, [], (1.5, 15.0)))
