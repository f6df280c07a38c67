"""The one table of stride metrics (`StrideMetrics`, `STRIDE_TABLE`): every reader follows it.

The last test adds a metric to a copy of the package — one field in the table and one line
of its computation, nothing else — and runs the real `ribsdown analyze` on a real clip with
a cue rule that reads it: the new metric reaches strides.csv, summary.json, the history
store, the report and the cue engine.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from cues.rules import load_rules
from realtime.analysis.stride_metrics import METRICS, STRIDE_TABLE, StrideMetrics
from realtime.core.errors import UserError
from realtime.record.store import STRIDE_COLUMNS
from realtime.report.facts import METRIC_WORDS, humanise
from tests.cli import run_cli, user_lines

ROOT = Path(__file__).resolve().parents[1]
NEW_FIELD = '    stance_share: float | None = metric("share of the stride in stance", "", 3, default=None)\n'
NEW_COMPUTATION = "        stance_share=None if toe_off is None else (toe_off - t_c) / T,\n"
NEW_RULE = """
[[cue]]
id = "shorter_contact"
text = "Quicker feet"
voice = "shorter_steps.wav"
persistence_strides = 1
[[cue.fault]]
conditions = [{ metric = "stance_share", above = 0.0 }]
"""


def test_the_table_is_the_stride_record():
    assert [m.name for m in STRIDE_TABLE] == StrideMetrics.columns()
    assert all(m.words and m.decimals >= 0 for m in STRIDE_TABLE)
    assert METRICS == tuple(m.name for m in STRIDE_TABLE if m.summarised)
    assert {"leg", "near", "t_contact", "quality"}.isdisjoint(METRICS)  # events, not metrics


def test_the_store_the_report_and_the_rules_read_the_table():
    assert STRIDE_COLUMNS == tuple((m.name, m.sql_type) for m in STRIDE_TABLE)
    assert dict(STRIDE_COLUMNS)["near"] == "INTEGER" and dict(STRIDE_COLUMNS)["leg"] == "TEXT"
    assert set(METRIC_WORDS) == set(METRICS)
    assert humanise("thorax_pelvis_deg 9.5 > 4") == "thorax–pelvis angle 9.5 > 4"


def test_a_rule_on_an_event_field_is_refused(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(NEW_RULE.replace("stance_share", "quality"))
    with pytest.raises(UserError, match="quality"):
        load_rules(rules)


def package_with_a_new_metric(dest: Path) -> Path:
    """realtime/ and cues/ copied to `dest`, with one new stride metric: its table entry
    (a field of StrideMetrics) and its computation (one argument in `measure_stride`)."""
    for top in ("realtime", "cues"):
        shutil.copytree(ROOT / top, dest / top, ignore=shutil.ignore_patterns("__pycache__"))
    source = dest / "realtime" / "analysis" / "stride_metrics.py"
    text = source.read_text()
    last_field = '    rib_cage_quality: float | None = metric("clear outline", "", 3, default=None)\n'
    last_argument = "        quality=n_pose / n_frames,\n"
    assert text.count(last_field) == 1 and text.count(last_argument) == 1
    source.write_text(text.replace(last_field, last_field + NEW_FIELD)
                      .replace(last_argument, last_argument + NEW_COMPUTATION))
    return dest


def test_a_new_metric_reaches_every_output_with_no_other_edit(clips_dir, tmp_path):
    code = package_with_a_new_metric(tmp_path / "src")
    rules = tmp_path / "rules.toml"
    rules.write_text(NEW_RULE)
    data = tmp_path / "data"
    env = {"PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]),
           "XDG_DATA_HOME": str(data)}

    today = run_cli("analyze", clips_dir / "treadmill_side_left.mp4", "--rules", rules, "--out", tmp_path / "today")
    assert today.returncode == 2 and "stance_share" in today.stderr and len(user_lines(today.stderr)) == 1

    out = tmp_path / "session"
    result = run_cli("analyze", clips_dir / "treadmill_side_left.mp4", "--rules", rules, "--out", out, env=env, cwd=code)
    assert result.returncode == 0, result.stderr
    with (out / "strides.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    shares = [float(r["stance_share"]) for r in rows if r["stance_share"]]
    assert len(shares) >= 0.8 * len(rows) >= 8
    for r in rows:  # its computation, rounded to its table entry's 3 decimals
        if r["t_toe_off"]:
            period = float(r["t_next_contact"]) - float(r["t_contact"])
            assert float(r["stance_share"]) == pytest.approx(float(r["contact_time_s"]) / period, abs=0.002)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stride_values"]["stance_share"]["n"] >= 7
    assert summary["cues"] and "stance_share" in summary["cues"][0]["reason"]
    (db,) = data.rglob("*.sqlite")
    with sqlite3.connect(db) as conn:
        stored = [v for (v,) in conn.execute("SELECT stance_share FROM strides") if v is not None]
    assert len(stored) == len(shares)
    assert "share of the stride in stance" in (out / "report.html").read_text()
