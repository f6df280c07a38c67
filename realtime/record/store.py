"""The session store: every finished session in one SQLite file, for history and trends.

A row per session (the headline numbers, the folder it lives in and its full
summary.json) and a row per stride (the strides.csv columns). The session folders stay
the record; the store is an index of them and can always be rebuilt from them:

- the schema is versioned with `PRAGMA user_version`; `MIGRATIONS` are applied in order,
  each in its own transaction, so an older file is brought up to date on open;
- WAL journal mode, so a reader (a report, a dashboard) can stay open during a run;
- a damaged file (not SQLite, or failing `PRAGMA integrity_check`) is renamed aside to
  `sessions.corrupt-YYYYmmdd-HHMMSS.sqlite` (never deleted or overwritten) and a fresh
  store is rebuilt from the session folders still on disk, with one warning saying so.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from realtime.analysis.stride_metrics import STRIDE_TABLE
from realtime.core.errors import UserError
from realtime.record.kinds import summary_kind

log = logging.getLogger("ribsdown")

DB_NAME = "sessions.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
FOLDER_STAMP = "%Y-%m-%d_%H-%M-%S"  # the default session folder name (session.prepare_out_dir)


#: The strides.csv columns kept per stride, in order, with their SQL types: the stride
#: table (`StrideMetrics`), so the two can never drift apart.
STRIDE_COLUMNS: tuple[tuple[str, str], ...] = tuple((m.name, m.sql_type) for m in STRIDE_TABLE)

#: The strides table of schema 1 (frozen: later columns are added by `_add_stride_columns`).
_FIRST_STRIDE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("leg", "TEXT"), ("near", "INTEGER"), ("t_contact", "REAL"), ("t_toe_off", "REAL"),
    ("t_next_contact", "REAL"), ("cadence_spm", "REAL"), ("contact_time_s", "REAL"),
    ("trunk_lean_midstance_deg", "REAL"), ("thigh_extension_deg", "REAL"), ("trunk_back_excursion_deg", "REAL"),
    ("extension_coupling", "REAL"), ("shank_angle_contact_deg", "REAL"), ("foot_ahead_of_hip", "REAL"),
    ("vertical_oscillation", "REAL"), ("quality", "REAL"),
)


def _fill_hip_extension(conn: sqlite3.Connection) -> None:
    """Migration 2: copy each stored summary's hip extension median into its column."""
    rows = conn.execute("SELECT id, summary_json FROM sessions").fetchall()
    conn.executemany(
        "UPDATE sessions SET hip_extension_median = ? WHERE id = ?",
        [((json.loads(text).get("hip_extension_deg") or {}).get("median"), i) for i, text in rows],
    )


def _fill_kinds(conn: sqlite3.Connection) -> None:
    """Migration 4: each stored session's kind and whether it is the user's own, from its
    summary (`kinds.summary_kind`: one written before kinds existed is judged by its source)."""
    rows = conn.execute("SELECT id, summary_json FROM sessions").fetchall()
    conn.executemany(
        "UPDATE sessions SET kind = ?, mine = ? WHERE id = ?",
        [(*_kind_values(json.loads(text)), i) for i, text in rows],
    )


def _kind_values(summary: dict[str, Any]) -> tuple[str, int]:
    kind, mine = summary_kind(summary)
    return kind, int(mine)


def _add_stride_columns(conn: sqlite3.Connection) -> None:
    """Migration 3, and any stride metric added since: the `STRIDE_COLUMNS` the strides
    table lacks, filled from each stored session's strides.csv when its folder still has it."""
    missing = _missing_stride_columns(conn)
    for name, kind in missing:
        conn.execute(f"ALTER TABLE strides ADD COLUMN {name} {kind}")
    if missing:
        _fill_stride_columns(conn, missing)


def _missing_stride_columns(conn: sqlite3.Connection) -> tuple[tuple[str, str], ...]:
    """The `STRIDE_COLUMNS` the file's strides table does not have."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(strides)")}
    return tuple((name, kind) for name, kind in STRIDE_COLUMNS if name not in have)


def _fill_stride_columns(conn: sqlite3.Connection, columns: Sequence[tuple[str, str]]) -> None:
    """Copy `columns` from the session folders' strides.csv into the stored strides; a folder
    gone, damaged or holding another number of strides than stored leaves them NULL."""
    assignments = ", ".join(f"{name} = ?" for name, _ in columns)
    for session_id, out_dir in conn.execute("SELECT id, out_dir FROM sessions").fetchall():
        try:
            rows = read_strides(Path(out_dir), columns)
        except UserError as err:
            log.debug("not filling the new stride columns of session %s: %s", session_id, err)
            continue
        stored = conn.execute("SELECT COUNT(*) FROM strides WHERE session_id = ?", (session_id,)).fetchone()[0]
        if len(rows) != stored:
            continue
        conn.executemany(
            f"UPDATE strides SET {assignments} WHERE session_id = ? AND n = ?",
            [(*row, session_id, n) for n, row in enumerate(rows)],
        )


#: Schema migrations: migration i (0-based) takes the file from version i to i + 1; each
#: step is an SQL statement or a function of the connection (run in the same transaction).
MIGRATIONS: tuple[tuple[str | Callable[[sqlite3.Connection], None], ...], ...] = (
    # 1: sessions and their strides.
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            source TEXT,
            duration_s REAL,
            frames INTEGER,
            running INTEGER NOT NULL DEFAULT 0,
            cadence_spm REAL,
            lean_median REAL,
            lean_p10 REAL,
            lean_p90 REAL,
            cues INTEGER NOT NULL DEFAULT 0,
            out_dir TEXT NOT NULL UNIQUE,
            summary_json TEXT NOT NULL,
            saved_at TEXT NOT NULL
        )""",
        "CREATE TABLE strides (session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, "
        "n INTEGER NOT NULL, "
        + ", ".join(f"{name} {kind}" for name, kind in _FIRST_STRIDE_COLUMNS)
        + ", PRIMARY KEY (session_id, n))",
    ),
    # 2: hip extension as a column (filled from the stored summaries), sessions by date.
    (
        "ALTER TABLE sessions ADD COLUMN hip_extension_median REAL",
        _fill_hip_extension,
        "CREATE INDEX sessions_started_at ON sessions(started_at)",
    ),
    # 3: the rib-cage stride columns (filled from the session folders still on disk).
    (_add_stride_columns,),
    # 4: each session's kind (live, video, demo, ...) and whether it is the user's own.
    (
        "ALTER TABLE sessions ADD COLUMN kind TEXT",
        "ALTER TABLE sessions ADD COLUMN mine INTEGER NOT NULL DEFAULT 0",
        _fill_kinds,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

#: Metrics `trend` can follow across sessions: name → SQL expression over `sessions`.
TREND_METRICS: dict[str, str] = {
    "lean_median": "lean_median",
    "lean_p10": "lean_p10",
    "lean_p90": "lean_p90",
    "cadence_spm": "cadence_spm",
    "hip_extension_median": "hip_extension_median",
    "duration_s": "duration_s",
    "cues": "cues",
    "cues_per_min": "CASE WHEN duration_s > 0 THEN cues * 60.0 / duration_s END",
}

_SESSION_FIELDS = (
    "id, started_at, source, duration_s, frames, running, cadence_spm, lean_median, lean_p10, "
    "lean_p90, hip_extension_median, cues, out_dir, kind, mine"
)


@dataclass(frozen=True)
class SessionRow:
    """One stored session's headline numbers (None where the session had none)."""

    id: int
    started_at: str
    source: str | None
    duration_s: float | None
    frames: int | None
    running: bool
    cadence_spm: float | None
    lean_median: float | None
    lean_p10: float | None
    lean_p90: float | None
    hip_extension_median: float | None
    cues: int
    out_dir: Path
    kind: str | None = None
    mine: bool = False

    @property
    def cues_per_min(self) -> float | None:
        """Cues per minute of session (None without a duration)."""
        return self.cues * 60.0 / self.duration_s if self.duration_s else None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> SessionRow:
        """From a SELECT of `_SESSION_FIELDS`."""
        values = list(row)
        values[5] = bool(values[5])
        values[12] = Path(values[12])
        values[14] = bool(values[14])
        return cls(*values)


@dataclass(frozen=True)
class StoredSession:
    """A stored session in full: its row, its summary.json and its strides (CSV rows)."""

    row: SessionRow
    summary: dict[str, Any]
    strides: list[dict[str, Any]]


@dataclass(frozen=True)
class TrendPoint:
    """One session's value of a metric."""

    session_id: int
    started_at: str
    value: float


def default_db_path() -> Path:
    """The user's session store: `sessions.sqlite` in the ribsdown data folder."""
    from realtime.core.paths import user_data_dir

    return user_data_dir() / DB_NAME


# --------------------------------------------------------------------------- reading folders


def read_summary(out_dir: Path) -> dict[str, Any]:
    """A session folder's summary.json, or a UserError saying what is wrong with it."""
    path = out_dir / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise UserError(f"{out_dir} holds no summary.json — give a session folder written by ribsdown") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"cannot read {path} ({err}) — the session folder is damaged") from err
    if not isinstance(summary, dict):
        raise UserError(f"{path} is not a session summary (not a JSON object) — the session folder is damaged")
    return summary


def _cell(value: str, kind: str) -> Any:
    """One CSV cell as its SQL value (empty → NULL)."""
    if value is None or value == "":
        return None
    if kind == "REAL":
        return float(value)
    if kind == "INTEGER":
        return 1 if value.strip().lower() in ("true", "1") else 0
    return value


def read_strides(out_dir: Path, columns: Sequence[tuple[str, str]] = STRIDE_COLUMNS) -> list[tuple[Any, ...]]:
    """strides.csv as rows of `columns` values (none when the file is absent)."""
    path = out_dir / "strides.csv"
    if not path.is_file():
        return []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return [tuple(_cell(r.get(name), kind) for name, kind in columns) for r in csv.DictReader(fh)]
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as err:
        raise UserError(f"cannot read {path} ({err}) — the session folder is damaged") from err


def stride_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A row of `STRIDE_COLUMNS` values as a strides.csv row by name (`near` as bool)."""
    stride = dict(zip((name for name, _ in STRIDE_COLUMNS), row))
    stride["near"] = bool(stride["near"])
    return stride


def started_at(out_dir: Path, summary: dict[str, Any]) -> str:
    """When the session started (ISO): the summary's `started_at`, the folder's date-time
    name, or else summary.json's modification time minus the session's duration."""
    if isinstance(summary.get("started_at"), str):
        return summary["started_at"]
    try:
        return datetime.strptime(out_dir.name[:19], FOLDER_STAMP).astimezone().isoformat(timespec="seconds")
    except ValueError:
        pass
    written = datetime.fromtimestamp((out_dir / "summary.json").stat().st_mtime).astimezone()
    return (written - timedelta(seconds=float(summary.get("duration_s") or 0.0))).isoformat(timespec="seconds")


def _lean(summary: dict[str, Any], key: str) -> float | None:
    lean = summary.get("trunk_lean_deg") or {}
    return lean.get(key)


def session_folders(sessions_dir: Path) -> list[Path]:
    """The session folders (holding summary.json) directly under `sessions_dir`, by name."""
    if not sessions_dir.is_dir():
        return []
    return sorted(p.parent for p in sessions_dir.glob("*/summary.json"))


# --------------------------------------------------------------------------- the store


class SessionStore:
    """The SQLite session store at `db_path` (created, migrated or rebuilt on open).

    `sessions_dir` is where session folders are found to rebuild a damaged store
    (default: `sessions/` beside the database); `current` the session being saved now, which
    is not one of the "earlier sessions found on disk". Use as a context manager, or `close()`.
    """

    def __init__(self, db_path: Path, sessions_dir: Path | None = None, current: Path | None = None) -> None:
        self.db_path = Path(db_path)
        self.sessions_dir = Path(sessions_dir) if sessions_dir is not None else self.db_path.parent / "sessions"
        if self.db_path.is_dir():
            raise UserError(f"the session store {self.db_path} is a folder — give a file for --db")
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.db_path.is_file() and self.db_path.stat().st_size > 0
        problem = damage(self.db_path) if existed else None
        if existed:
            refuse_foreign(self.db_path, problem)
        if problem is not None:
            salvaged = salvage_out_dirs(self.db_path)
            aside = move_aside(self.db_path)
            self.conn = self._connect()
            restored, skipped = self.import_folders(session_folders(self.sessions_dir) + salvaged
                                                    + self.remembered_folders())
            log.warning(
                "the session store %s was damaged (%s); it was moved to %s and a fresh store was rebuilt "
                "from %d session folder(s) on disk%s",
                self.db_path, problem, aside, restored,
                f" ({skipped} unreadable folder(s) skipped)" if skipped else "",
            )
        else:
            self.conn = self._connect()
            if not existed:
                from realtime.record.session import claimed_by_running_session

                earlier = session_folders(self.sessions_dir) + self.remembered_folders()
                restored, _ = self.import_folders([f for f in earlier if not claimed_by_running_session(f)
                                                   and not _same(f, current)])
                if restored:
                    log.info("new session store %s: added %d earlier session(s) found on disk", self.db_path, restored)
            elif self._writable() and (caught := self.catch_up(current)):
                log.info("session store %s: added %d session(s) saved while it could not be written",
                         self.db_path, caught)

    def _writable(self) -> bool:
        return os.access(self.db_path, os.W_OK) and os.access(self.db_path.parent, os.W_OK)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=10.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def save_session(self, out_dir: Path) -> int:
        """Store the finished session in `out_dir` (summary.json, strides.csv) in one
        transaction; its id. A folder already stored keeps its row and id."""
        out_dir = Path(out_dir).resolve()
        known = self.conn.execute("SELECT id FROM sessions WHERE out_dir = ?", (str(out_dir),)).fetchone()
        if known is not None:
            return int(known[0])
        summary = read_summary(out_dir)
        strides = read_strides(out_dir)
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        with transaction(self.conn):
            cur = self.conn.execute(
                "INSERT INTO sessions (started_at, source, duration_s, frames, running, cadence_spm, lean_median, "
                "lean_p10, lean_p90, hip_extension_median, cues, out_dir, summary_json, saved_at, kind, mine) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    started_at(out_dir, summary),
                    source_label(summary),
                    summary.get("duration_s"),
                    summary.get("frames"),
                    int(bool(summary.get("running"))),
                    summary.get("cadence_spm"),
                    _lean(summary, "median"),
                    _lean(summary, "p10"),
                    _lean(summary, "p90"),
                    (summary.get("hip_extension_deg") or {}).get("median"),
                    len(summary.get("cues") or []),
                    str(out_dir),
                    json.dumps(summary),
                    now,
                    *_kind_values(summary),
                ),
            )
            session_id = int(cur.lastrowid)
            names = ", ".join(name for name, _ in STRIDE_COLUMNS)
            marks = ", ".join("?" for _ in STRIDE_COLUMNS)
            self.conn.executemany(
                f"INSERT INTO strides (session_id, n, {names}) VALUES (?, ?, {marks})",
                [(session_id, n, *row) for n, row in enumerate(strides)],
            )
        self._remember_folder(out_dir)
        return session_id

    def _remember_folder(self, out_dir: Path) -> None:
        if not remember_folder(self.db_path, out_dir):  # the row is stored; only a rebuild would miss it
            log.warning("could not note %s in %s", out_dir, folders_list(self.db_path))

    def remembered_folders(self) -> list[Path]:
        """The folders of the store's plain-text list (`folders_list`) that still hold a session."""
        return remembered_folders(self.db_path)

    def catch_up(self, current: Path | None = None) -> int:
        """Store the listed folders the database does not hold yet (sessions saved while it
        could not be written, or that never finished), but `current`; how many."""
        from realtime.record.session import claimed_by_running_session

        stored = {r[0] for r in self.conn.execute("SELECT out_dir FROM sessions")}
        missing = [f for f in self.remembered_folders()
                   if str(f.resolve()) not in stored and not claimed_by_running_session(f) and not _same(f, current)]
        return self.import_folders(missing)[0] if missing else 0

    def import_folders(self, folders: Sequence[Path]) -> tuple[int, int]:
        """Store every readable session folder (oldest first); (stored, skipped)."""
        readable: list[tuple[str, Path]] = []
        skipped = 0
        for folder in dict.fromkeys(Path(f).resolve() for f in folders):
            try:
                readable.append((started_at(folder, read_summary(folder)), folder))
            except (UserError, OSError) as err:
                log.debug("not restoring %s: %s", folder, err)
                skipped += 1
        stored = 0
        for _, folder in sorted(readable):
            try:
                self.save_session(folder)
                stored += 1
            except UserError as err:
                log.debug("not restoring %s: %s", folder, err)
                skipped += 1
        return stored, skipped

    # ------------------------------------------------------------------ reading

    def list_sessions(self) -> list[SessionRow]:
        """Every stored session, oldest first."""
        rows = self.conn.execute(f"SELECT {_SESSION_FIELDS} FROM sessions ORDER BY started_at, id").fetchall()
        return [SessionRow.from_row(r) for r in rows]

    def get_session(self, key: int | str) -> StoredSession:
        """A session by id, or the most recent one with "latest"."""
        if isinstance(key, str) and key.strip().lower() == "latest":
            row = self.conn.execute(
                f"SELECT {_SESSION_FIELDS}, summary_json FROM sessions ORDER BY started_at DESC, id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise UserError("no sessions recorded yet — run `ribsdown run` or `ribsdown analyze VIDEO` first")
        else:
            try:
                session_id = int(key)
            except ValueError as err:
                raise UserError(f"{key!r} is not a session — give a session id, 'latest' or a session folder") from err
            row = self.conn.execute(
                f"SELECT {_SESSION_FIELDS}, summary_json FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise UserError(f"no session {session_id} in {self.db_path} — `ribsdown history` lists the sessions")
        info = SessionRow.from_row(row[:-1])
        return StoredSession(info, json.loads(row[-1]), self.strides(info.id))

    def strides(self, session_id: int) -> list[dict[str, Any]]:
        """A session's strides in order, as strides.csv rows (`near` as bool)."""
        names = ", ".join(name for name, _ in STRIDE_COLUMNS)
        rows = self.conn.execute(f"SELECT {names} FROM strides WHERE session_id = ? ORDER BY n", (session_id,)).fetchall()
        return [stride_dict(r) for r in rows]

    def trend(self, metric: str, running_only: bool = True, mine_only: bool = True) -> list[TrendPoint]:
        """`metric` per session, oldest first (sessions without a value left out); by default
        only the user's own sessions (`kinds.is_mine`: not the demo, not others' videos) that held running."""
        expr = TREND_METRICS.get(metric)
        if expr is None:
            raise UserError(f"no trend for {metric!r} — choose one of {', '.join(TREND_METRICS)}")
        where = ("running = 1 AND " if running_only else "") + ("mine = 1 AND " if mine_only else "")
        rows = self.conn.execute(
            f"SELECT id, started_at, {expr} AS v FROM sessions WHERE {where}v IS NOT NULL ORDER BY started_at, id"
        ).fetchall()
        return [TrendPoint(int(i), s, float(v)) for i, s, v in rows]


# --------------------------------------------------------------------------- schema and repair


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (an autocommit connection)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's `PRAGMA user_version`."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations the file lacks, up to `target`, each in one transaction;
    the version reached. A file from a newer ribsdown is refused."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise UserError(
            f"the session store was written by a newer ribsdown (schema {version}, this one knows "
            f"{SCHEMA_VERSION}) — update ribsdown"
        )
    while version < target:
        with transaction(conn):
            for step in MIGRATIONS[version]:
                if callable(step):
                    step(conn)
                else:
                    conn.execute(step)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        version += 1
    if version == SCHEMA_VERSION and _missing_stride_columns(conn):  # a stride metric added since
        with transaction(conn):
            _add_stride_columns(conn)
    return version


def damage(db_path: Path) -> str | None:
    """Why the file at `db_path` is not a usable SQLite database, or None when it is."""
    try:
        with db_path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as err:
        raise UserError(f"cannot read the session store {db_path}: {err.strerror} — check its permissions") from err
    if head != SQLITE_MAGIC:
        return "not an SQLite database"
    conn = sqlite3.connect(db_path, timeout=10.0)
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as err:
        return f"integrity check failed: {err}"
    finally:
        conn.close()
    if result == ["ok"]:
        return None
    problems = [line.strip() for r in result for line in str(r).splitlines()]
    problems = [p for p in problems if p and not p.startswith("***")] or ["no detail"]
    more = f" and {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
    return f"integrity check failed: {problems[0]}{more}"


def _same(folder: Path, other: Path | None) -> bool:
    return other is not None and Path(folder).resolve() == Path(other).resolve()


def source_label(summary: dict[str, Any]) -> str | None:
    """The session's source as the history shows it: marked when the session ended early (a
    crash or a kill; its last checkpoint is what was saved)."""
    source = summary.get("source")
    return f"{source} (ended early)" if summary.get("incomplete") and source else source


def folders_list(db_path: Path) -> Path:
    """The plain-text list of every session folder the store at `db_path` has held (or was
    meant to), one path a line, beside the database: a store damaged beyond reading, or one
    that could not be written, is rebuilt or caught up from it."""
    return db_path.with_name(f"{db_path.name}.folders")


def remember_folder(db_path: Path, out_dir: Path) -> bool:
    """Append `out_dir` to the store's folder list; False when it cannot be written."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with folders_list(db_path).open("a", encoding="utf-8") as fh:
            fh.write(f"{Path(out_dir).resolve()}\n")
    except OSError:
        return False
    return True


def remembered_folders(db_path: Path) -> list[Path]:
    """The folders of the store's list that still hold a session, each once."""
    try:
        lines = folders_list(db_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    folders = dict.fromkeys(Path(line) for line in lines if line.strip())
    return [f for f in folders if (f / "summary.json").is_file()]


def refuse_foreign(db_path: Path, problem: str | None) -> None:
    """Raise `UserError` when the file at `db_path` is not a ribsdown session store: nothing of
    the user's is renamed or written into. A damaged file counts as a store when it is named
    like one (`sessions.sqlite`) or its header carries a ribsdown schema version."""
    version = _header_user_version(db_path)
    if problem is not None and db_path.name != DB_NAME and not version:
        raise UserError(f"{db_path} is not a ribsdown session store ({problem}); it was left as it is — "
                        "give --db a new file name or an existing store")
    if problem is None and not version and _has_tables(db_path):
        raise UserError(f"{db_path} is another program's SQLite database; it was left as it is — "
                        "give --db a new file name or an existing store")


def _header_user_version(db_path: Path) -> int:
    """SQLite's `user_version` read from the file's header (offset 60), 0 when not SQLite."""
    with db_path.open("rb") as fh:
        head = fh.read(64)
    if not head.startswith(SQLITE_MAGIC) or len(head) < 64:
        return 0
    return int.from_bytes(head[60:64], "big")


def _has_tables(db_path: Path) -> bool:
    """Whether the SQLite file at `db_path` holds any table (read-only)."""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    finally:
        conn.close()


def salvage_out_dirs(db_path: Path) -> list[Path]:
    """The session folders a damaged store still names (folders outside `sessions/`
    that a rebuild would otherwise miss); none when nothing can be read."""
    try:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        rows = conn.execute("SELECT out_dir FROM sessions").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [Path(r[0]) for r in rows if isinstance(r[0], str) and (Path(r[0]) / "summary.json").is_file()]


def move_aside(db_path: Path) -> Path:
    """Rename a damaged store (and its -wal/-shm files) to `sessions.corrupt-STAMP.sqlite`,
    never over an existing file; the new path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = db_path.stem
    n = 1
    while True:
        aside = db_path.with_name(f"{stem}.corrupt-{stamp}{'' if n == 1 else f'-{n}'}{db_path.suffix}")
        sidecars = [Path(f"{aside}{s}") for s in ("-wal", "-shm")]
        if not aside.exists() and not any(p.exists() for p in sidecars):
            break
        n += 1
    db_path.rename(aside)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{db_path}{suffix}")
        if side.exists():
            side.rename(Path(f"{aside}{suffix}"))
    return aside
