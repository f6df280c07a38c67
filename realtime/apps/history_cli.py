"""`ribsdown report` and `ribsdown history`, and `record_session` for the end of a run.

`add_parsers(sub)` registers both subcommands on the main parser's subparsers;
`record_session(out_dir)` stores a finished session and writes its report.
"""

from __future__ import annotations

import argparse
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from realtime.core.errors import UserError
from realtime.record.store import SessionRow, SessionStore, default_db_path
from realtime.report.page import write_report


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `report` and `history` on `sub` (from `parser.add_subparsers()`)."""
    report = sub.add_parser("report", help="write (and open) the HTML report of a session")
    report.add_argument(
        "session", nargs="?", default="latest",
        help="a session id (see `ribsdown history`), 'latest' (default) or a session folder",
    )
    report.add_argument("--open", action="store_true", help="open the report in your web browser")
    add_db_option(report)
    report.set_defaults(func=command_report)

    history = sub.add_parser("history", help="list your past sessions")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="the N most recent sessions (default 20)")
    add_db_option(history)
    history.set_defaults(func=command_history)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """`--db FILE`: another session store than the user's own."""
    parser.add_argument(
        "--db", type=Path, default=None, metavar="FILE",
        help="the session store (default: sessions.sqlite in your data folder)",
    )


def record_session(out_dir: Path, db_path: Path | None = None) -> Path:
    """Store the finished session in `out_dir` and write its report; the report's path."""
    with SessionStore(db_path or default_db_path(), current=out_dir) as store:
        store.save_session(out_dir)
        return write_report(out_dir, store)


def resolve_session(store: SessionStore, key: str) -> Path:
    """The folder of the session named by `key`: an id, "latest" or a folder path."""
    candidate = Path(key).expanduser()
    if candidate.is_dir():
        return candidate
    if not key.strip().isdigit() and key.strip().lower() != "latest":
        raise UserError(f"{key!r} is neither a session folder nor a session id — `ribsdown history` lists the ids")
    row = store.get_session(key).row
    if not (row.out_dir / "summary.json").is_file():
        raise UserError(
            f"session {row.id}'s folder {row.out_dir} is gone — it was moved or deleted; "
            "give the folder's new path instead"
        )
    return row.out_dir


def command_report(args: argparse.Namespace) -> int:
    """Write report.html into the session's folder, print its path, open it if asked."""
    with SessionStore(args.db or default_db_path()) as store:
        folder = resolve_session(store, str(args.session))
        path = write_report(folder, store)
    print(path)
    if args.open:
        webbrowser.open(path.resolve().as_uri())
    return 0


def command_history(args: argparse.Namespace) -> int:
    """Print a table of past sessions, oldest first."""
    if args.limit < 1:
        raise UserError(f"--limit {args.limit} shows nothing — give 1 or more")
    with SessionStore(args.db or default_db_path()) as store:
        rows = store.list_sessions()[-args.limit:]
    if not rows:
        print("No sessions recorded yet — run `ribsdown run` or `ribsdown analyze VIDEO` first.")
        return 0
    print(history_table(rows))
    return 0


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600 else f"{whole // 60}:{whole % 60:02d}"


def _source(source: str | None, width: int = 36) -> str:
    if not source:
        return "—"
    mark = " (ended early)" if source.endswith(" (ended early)") else ""  # store.source_label
    source = source.removesuffix(mark)
    name = f"camera {source}" if source.isdigit() else (Path(source).name if "://" not in source else source)
    room = width - len(mark)
    return (name if len(name) <= room else name[: room - 1] + "…") + mark


def kind_label(kind: str | None, mine: bool) -> str:
    """The history's word for a session's kind: "you" (a live camera), "video (you)" (a video
    the user said is theirs: `analyze --mine`), "video", "demo", ..."""
    if kind == "live" and mine:
        return "you"
    return f"{kind or 'video'} (you)" if mine else (kind or "video")


def history_table(rows: Sequence[SessionRow]) -> str:
    """Past sessions as an aligned text table: id, date, kind, source, duration, cadence, lean, cues
    (only the kinds marked "you" make your trend)."""
    header = ("id", "date", "kind", "source", "duration", "cadence", "lean", "cues")
    lines = [
        (
            str(r.id),
            r.started_at[:16].replace("T", " "),
            kind_label(r.kind, r.mine),
            _source(r.source),
            _duration(r.duration_s),
            f"{r.cadence_spm:.0f} spm" if r.running and r.cadence_spm is not None else "not running",
            f"{r.lean_median:+.1f}°" if r.lean_median is not None else "—",
            str(r.cues),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    right = {0, 4, 5, 6, 7}

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([fmt(header), *map(fmt, lines)])
