"""What kind of session a session is, and whether it is the user's own.

Only the user's own sessions make "your" trend and "Across your sessions": a live camera is
the user running; the demo is a drawn runner; an analysed video file may be anybody's, and is
the user's only when they say so (`analyze --mine`).
"""

from __future__ import annotations

from typing import Any, Literal

Kind = Literal["live", "video", "demo", "kiosk", "replay"]
KINDS: tuple[str, ...] = ("live", "video", "demo", "kiosk", "replay")
#: Source names the demo's synthetic runner carries (realtime/sources/demo_source.py).
DEMO_PREFIX = "demo"


def kind_of_source(is_live: bool, is_demo: bool = False) -> Kind:
    """The kind of a session from its source: the demo, a live camera or stream, else a video."""
    if is_demo:
        return "demo"
    return "live" if is_live else "video"


def is_mine(kind: str, said_mine: bool = False) -> bool:
    """A live session is the user's own; a video or a replay only when the user said so."""
    return kind == "live" or (said_mine and kind in ("video", "replay"))


def summary_kind(summary: dict[str, Any]) -> tuple[str, bool]:
    """(kind, mine) of a stored summary.json; one written before kinds existed is judged by its
    source: the demo by its name, a camera index or a stream URL live, a path a video, a
    replay by its "(replayed from" note."""
    kind = summary.get("kind")
    if kind in KINDS:
        return kind, bool(summary.get("mine", is_mine(kind)))
    source = str(summary.get("source") or "")
    if source.startswith(DEMO_PREFIX):
        kind = "demo"
    elif "(replayed from" in source:
        kind = "replay"
    elif source == "kiosk":
        kind = "kiosk"
    elif source.isdigit() or "://" in source:
        kind = "live"
    else:
        kind = "video"
    return kind, is_mine(kind)
