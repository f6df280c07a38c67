"""The session store on real session folders: round trip, migrations, a reader open
during a save, and a damaged file moved aside and rebuilt from the folders on disk."""

from __future__ import annotations

import csv
import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest

from realtime.analysis.stride_metrics import StrideMetrics
from realtime.core.errors import UserError
from realtime.record.store import (
    SCHEMA_VERSION,
    STRIDE_COLUMNS,
    SessionStore,
    migrate,
    move_aside,
    schema_version,
)
from tests.sessions import arched_session, copy_session, stride, synthetic_session

#: Rib-cage values of a made-up stride (realtime/analysis/rib_cage.py STRIDE_METRICS).
RIB_CAGE = {"thorax_pelvis_deg": 16.0, "pelvic_deg": -1.5, "lumbar_arch": 0.05, "rib_flare": None, "rib_cage_quality": 0.8}


@pytest.fixture(scope="session")
def session_dir(clips_dir, tmp_path_factory) -> Path:
    return arched_session(clips_dir, tmp_path_factory)


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """A data folder like the user's: sessions.sqlite beside sessions/."""
    (tmp_path / "sessions").mkdir()
    return tmp_path


def add_session(session_dir: Path, data_dir: Path, name: str) -> Path:
    """A copy of the real session under data_dir/sessions/NAME."""
    return copy_session(session_dir, data_dir / "sessions" / name)


def test_round_trip(session_dir, data_dir):
    folder = add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    summary = json.loads((folder / "summary.json").read_text())
    with (folder / "strides.csv").open() as fh:
        strides = list(csv.DictReader(fh))

    with SessionStore(data_dir / "sessions.sqlite") as store:
        session_id = store.save_session(folder)
        assert store.save_session(folder) == session_id  # the same folder is stored once
        stored = store.get_session(session_id)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert schema_version(store.conn) == SCHEMA_VERSION

    row = stored.row
    assert row.started_at.startswith("2026-03-01T07:30:00")  # from the folder's name
    assert row.source == summary["source"] and row.out_dir == folder.resolve()
    assert row.duration_s == summary["duration_s"] and row.frames == summary["frames"] == 720
    assert row.running is True and row.cadence_spm == summary["cadence_spm"]
    lean = summary["trunk_lean_deg"]
    assert (row.lean_median, row.lean_p10, row.lean_p90) == (lean["median"], lean["p10"], lean["p90"])
    assert row.hip_extension_median == summary["hip_extension_deg"]["median"]
    assert row.cues == len(summary["cues"]) >= 1
    assert stored.summary == summary

    assert len(stored.strides) == len(strides) > 20
    for mine, theirs in zip(stored.strides, strides):
        assert mine["leg"] == theirs["leg"] and mine["near"] == (theirs["near"] == "True")
        for key in ("t_contact", "cadence_spm", "trunk_lean_midstance_deg", "thigh_extension_deg"):
            assert mine[key] == (float(theirs[key]) if theirs[key] else None)


def test_list_latest_and_trend(session_dir, data_dir):
    first = add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    second = add_session(session_dir, data_dir, "2026-03-08_07-30-00")
    summary = json.loads((second / "summary.json").read_text())
    summary.update(cues=[], trunk_lean_deg={"median": 4.5, "p10": 1.0, "p90": 7.0})
    (second / "summary.json").write_text(json.dumps(summary))

    with SessionStore(data_dir / "sessions.sqlite") as store:
        b = store.save_session(second)  # saved out of order: listed by start time
        a = store.save_session(first)
        assert [s.id for s in store.list_sessions()] == [a, b]
        assert store.get_session("latest").row.id == b
        lean = store.trend("lean_median")
        per_min = store.trend("cues_per_min")
        with pytest.raises(UserError, match="choose one of"):
            store.trend("speed")
        with pytest.raises(UserError, match="no session 999"):
            store.get_session(999)

    # The arched clip's lean: about −1° by MediaPipe's landmarks, +1.9° with the model's
    # bias corrected (realtime/models/estimator.py).
    assert [p.value for p in lean] == [pytest.approx(1.9, abs=3.0), 4.5]
    assert per_min[0].value == pytest.approx(60.0 * 1 / summary["duration_s"])
    assert per_min[1].value == 0.0


def test_empty_store_and_bad_folders(tmp_path, data_dir):
    with SessionStore(data_dir / "sessions.sqlite") as store:
        assert store.list_sessions() == []
        with pytest.raises(UserError, match="no sessions recorded yet"):
            store.get_session("latest")
        with pytest.raises(UserError, match="holds no summary.json"):
            store.save_session(tmp_path / "nowhere")
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "summary.json").write_text("{not json")
        with pytest.raises(UserError, match="damaged"):
            store.save_session(broken)
        assert store.list_sessions() == []


def test_old_schema_is_migrated(session_dir, data_dir):
    db = data_dir / "sessions.sqlite"
    summary = json.loads((session_dir / "summary.json").read_text())
    old = sqlite3.connect(db, isolation_level=None)
    assert migrate(old, target=1) == 1  # a file written by the first version of the store
    old.execute(
        "INSERT INTO sessions (started_at, source, duration_s, frames, running, cadence_spm, lean_median, "
        "lean_p10, lean_p90, cues, out_dir, summary_json, saved_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ("2026-01-01T08:00:00+00:00", "old.mp4", 24.0, 720, 1, 168.0, -1.0, -5.8, 4.3, 1,
         str(data_dir / "gone"), json.dumps(summary), "2026-01-01T08:01:00+00:00"),
    )
    assert "hip_extension_median" not in {r[1] for r in old.execute("PRAGMA table_info(sessions)")}
    old.close()

    new = add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    with SessionStore(db) as store:
        assert schema_version(store.conn) == SCHEMA_VERSION
        migrated = store.get_session(1).row
        assert migrated.source == "old.mp4"
        assert migrated.hip_extension_median == summary["hip_extension_deg"]["median"]  # filled in
        assert store.save_session(new) == 2


def test_every_stride_field_is_stored(data_dir):
    assert [name for name, _ in STRIDE_COLUMNS] == StrideMetrics.columns()
    folder = synthetic_session(data_dir / "sessions" / "s", [stride(1.0 + 0.7 * i, **RIB_CAGE) for i in range(3)])
    with SessionStore(data_dir / "sessions.sqlite") as store:
        strides = store.get_session(store.save_session(folder)).strides
    assert [{k: s[k] for k in RIB_CAGE} for s in strides] == [RIB_CAGE] * 3


def test_schema_2_gains_the_rib_cage_columns_from_the_folders(data_dir):
    db = data_dir / "sessions.sqlite"
    folder = synthetic_session(data_dir / "sessions" / "s", [stride(1.0 + 0.7 * i, **RIB_CAGE) for i in range(3)])
    old = sqlite3.connect(db, isolation_level=None)
    assert migrate(old, target=2) == 2  # a file written before the rib-cage columns
    old.execute(
        "INSERT INTO sessions (started_at, out_dir, summary_json, saved_at) VALUES (?, ?, ?, ?)",
        ("2026-01-01T08:00:00+00:00", str(folder.resolve()), "{}", "2026-01-01T08:01:00+00:00"),
    )
    old.executemany(
        "INSERT INTO strides (session_id, n, leg, near, t_contact, cadence_spm) VALUES (1, ?, 'left', 1, ?, 171.4)",
        [(n, 1.0 + 0.7 * n) for n in range(3)],
    )
    old.close()
    with SessionStore(db) as store:
        assert schema_version(store.conn) == SCHEMA_VERSION
        strides = store.get_session(1).strides
    assert [s["t_contact"] for s in strides] == [1.0, 1.7, 2.4]  # kept
    assert [{k: s[k] for k in RIB_CAGE} for s in strides] == [RIB_CAGE] * 3  # filled in


def test_newer_schema_is_refused(data_dir):
    db = data_dir / "sessions.sqlite"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(UserError, match="newer ribsdown"):
        SessionStore(db)


def test_reader_open_while_a_session_is_saved(session_dir, data_dir):
    db = data_dir / "sessions.sqlite"
    first = add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    with SessionStore(db) as writer:
        writer.save_session(first)
    second = add_session(session_dir, data_dir, "2026-03-08_07-30-00")
    reader = sqlite3.connect(db, isolation_level=None, timeout=0.5)
    browsing = SessionStore(db)  # e.g. a report window left open
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # holds a read snapshot
        with SessionStore(db) as writer:
            writer.save_session(second)  # WAL: not blocked by the open read transaction
        assert reader.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # its snapshot
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2
        assert len(browsing.list_sessions()) == 2
    finally:
        reader.close()
        browsing.close()


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_garbage_file_is_moved_aside_and_the_store_rebuilt(session_dir, data_dir, caplog):
    folders = [add_session(session_dir, data_dir, name) for name in ("2026-03-01_07-30-00", "2026-03-08_07-30-00")]
    db = data_dir / "sessions.sqlite"
    garbage = bytes(range(256)) * 64
    db.write_bytes(garbage)

    with caplog.at_level(logging.INFO, logger="ribsdown"), SessionStore(db) as store:
        rebuilt = store.list_sessions()

    warnings = _warnings(caplog)
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    asides = list(data_dir.glob("sessions.corrupt-*.sqlite"))
    assert len(asides) == 1 and re.fullmatch(r"sessions\.corrupt-\d{8}-\d{6}\.sqlite", asides[0].name)
    assert asides[0].read_bytes() == garbage  # kept, byte for byte
    message = warnings[0].getMessage()
    assert str(asides[0]) in message and "not an SQLite database" in message and "2 session folder" in message
    assert [s.out_dir for s in rebuilt] == [f.resolve() for f in folders]
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"


def test_damaged_pages_fail_the_integrity_check(session_dir, data_dir, caplog):
    folder = add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    outside = copy_session(session_dir, data_dir / "elsewhere" / "run")  # an --out folder outside sessions/
    db = data_dir / "sessions.sqlite"
    with SessionStore(db) as store:
        store.save_session(folder)
        store.save_session(outside)
    data = bytearray(db.read_bytes())
    pages = len(data) // 4096
    assert pages > 5
    data[(pages - 1) * 4096 + 8:] = b"\xa5" * (len(data) - (pages - 1) * 4096 - 8)  # the last strides' page
    db.write_bytes(bytes(data))

    with caplog.at_level(logging.WARNING, logger="ribsdown"), SessionStore(db) as store:
        rows = store.list_sessions()
        strides = store.get_session(rows[-1].id).strides
    rebuilt = [s.out_dir for s in rows]

    (warning,) = _warnings(caplog)
    assert "integrity check failed" in warning.getMessage() and "\n" not in warning.getMessage()
    (aside,) = data_dir.glob("sessions.corrupt-*.sqlite")
    assert aside.read_bytes() == bytes(data)
    assert rebuilt == [folder.resolve(), outside.resolve()]  # the folder outside sessions/ too
    assert len(strides) > 20


def test_moving_aside_never_overwrites(tmp_path):
    db = tmp_path / "sessions.sqlite"
    db.write_bytes(b"first")
    a = move_aside(db)
    db.write_bytes(b"second")
    b = move_aside(db)
    assert a != b and a.read_bytes() == b"first" and b.read_bytes() == b"second"
    assert not db.exists()


def test_new_store_picks_up_earlier_sessions(session_dir, data_dir):
    add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    with SessionStore(data_dir / "sessions.sqlite") as store:
        assert len(store.list_sessions()) == 1


def test_a_store_damaged_beyond_reading_is_rebuilt_with_the_folders_outside_the_data_folder(session_dir, data_dir):
    inside = add_session(session_dir, data_dir, "2026-03-01_07-30-00")
    outside = [copy_session(session_dir, data_dir.parent / f"elsewhere_{k}" / "run") for k in range(2)]
    db = data_dir / "sessions.sqlite"
    with SessionStore(db) as store:
        for folder in (inside, *outside):
            store.save_session(folder)
    data = bytearray(db.read_bytes())
    data[:100] = b"\x00" * 100  # the header gone: nothing in the file can be read
    db.write_bytes(bytes(data))

    with SessionStore(db) as store:
        rebuilt = [s.out_dir for s in store.list_sessions()]

    assert sorted(rebuilt) == sorted(f.resolve() for f in (inside, *outside))


@pytest.mark.parametrize("content", [b"my running notes\n" * 40, b"\x00\x00\x00\x18ftypisom" + bytes(4000)])
def test_db_on_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path, content):
    user_file = tmp_path / "notes.txt"
    user_file.write_bytes(content)
    with pytest.raises(UserError, match="not a ribsdown session store"):
        SessionStore(user_file)
    assert user_file.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_db_on_another_programs_database_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "contacts.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Ada')")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(UserError, match="another program's SQLite database"):
        SessionStore(other)
    assert other.read_bytes() == before


def test_db_on_a_folder_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        SessionStore(tmp_path)


def test_schema_3_gains_kinds_and_only_yours_make_the_trend(session_dir, data_dir):
    """Sessions stored before kinds existed are judged by their source: the demo and a video
    are kept out of your trend, a camera session is yours."""
    db = data_dir / "sessions.sqlite"
    summary = json.loads((session_dir / "summary.json").read_text())
    old = sqlite3.connect(db, isolation_level=None)
    assert migrate(old, target=3) == 3
    for day, source in ((1, "demo (synthetic runner)"), (2, "someone.mp4"), (3, "0")):
        old_summary = {k: v for k, v in summary.items() if k not in ("kind", "mine")} | {"source": source}
        old.execute(
            "INSERT INTO sessions (started_at, source, running, lean_median, out_dir, summary_json, saved_at) "
            "VALUES (?, ?, 1, ?, ?, ?, ?)",
            (f"2026-01-0{day}T08:00:00+00:00", source, float(day), str(data_dir / f"gone{day}"),
             json.dumps(old_summary), "2026-01-05T08:00:00+00:00"),
        )
    old.close()
    with SessionStore(db) as store:
        rows = store.list_sessions()
        assert [(r.kind, r.mine) for r in rows] == [("demo", False), ("video", False), ("live", True)]
        assert [p.value for p in store.trend("lean_median")] == [3.0]
        assert len(store.trend("lean_median", mine_only=False)) == 3
        new = store.get_session(store.save_session(add_session(session_dir, data_dir, "2026-03-01_07-30-00")))
    assert (new.row.kind, new.row.mine) == ("video", True)  # analysed with --mine
