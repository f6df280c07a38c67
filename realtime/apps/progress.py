"""One updating progress line on a terminal: frames done of total, time elapsed.

Shown only when the stream is a terminal: piped into a file or a test, `analyze` prints
nothing but its result, so logs stay clean.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from realtime.core.clock import clock

#: The line is redrawn at most this often (s): often enough to look alive, rarely enough to cost nothing.
REDRAW_S = 0.25


def progress_text(done: int, total: int | None, elapsed_s: float, what: str = "analysing") -> str:
    """"analysing 120/360 frames (33 %), 0:04" (no total: "analysing 120 frames, 0:04")."""
    if total:
        return f"{what} {done}/{total} frames ({100 * done // total} %), {clock(elapsed_s)}"
    return f"{what} {done} frames, {clock(elapsed_s)}"


class ProgressLine:
    """`update(n)` as frames are done; `close()` ends the line. Silent unless `stream` is a TTY."""

    def __init__(self, total: int | None, stream: TextIO | None = None, what: str = "analysing") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.what = total, what
        self.enabled = _is_tty(self.stream)
        self.done = 0
        self._start = time.monotonic()
        self._drawn_at: float | None = None
        self._width = 0

    def update(self, n: int) -> None:
        """`n` more frames are done."""
        self.done += n
        now = time.monotonic()
        if self.enabled and (self._drawn_at is None or now - self._drawn_at >= REDRAW_S):
            self._draw(now)

    def close(self) -> None:
        """Draw the last state and end the line (nothing when not a terminal)."""
        if self.enabled and self._drawn_at is not None:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
        self.enabled = False

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self, now: float) -> None:
        text = progress_text(self.done, self.total, now - self._start, self.what)
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width, self._drawn_at = len(text), now


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or a fake stream
        return False
