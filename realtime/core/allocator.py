"""Free memory handed back to the operating system while a long session runs (glibc's malloc).

A live session allocates and frees a few camera-sized blocks every frame (a 720×1280 frame is
2.7 MB) on three threads: the capture thread decodes, the model's thread converts, the main
thread scales and draws. glibc serves a block of 128 KiB or more with its own mmap, but raises
that threshold to the size of each such block freed (up to 32 MiB); from then on the frames
come from each thread's heap, which keeps what is freed. The resident memory of a 10-minute
live session then moved in steps of 35–125 MB that came and went (sd 41 MB, peak 614 MB;
README "Memory", `bench/live_loop.py --memory`).

Two ways out were measured. Fixing the mmap threshold at 1 MiB (every frame mapped and
unmapped) kept the memory flat but cost every frame its page faults: the lite model at 60 fps
went from 15.7 to 18.3 ms p50 and from 85 % to 70 % of frames. `malloc_trim` every few seconds
on a thread of its own gives back the free pages of every heap without touching the frames'
path (84.4 % of 60 fps frames against 84.9 % without): that is what runs. Ten minutes live at
30 fps with it: 460–550 MB, sd 18 MB, trend +1.6 MB over 9 minutes (the short peaks are the
checkpoint's writes between two trims).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

#: Seconds between two trims: a few times a minute is enough to stop the steps (they built up
#: over tens of seconds), and a trim takes about a millisecond on a thread that holds no lock
#: the loop needs for longer than that.
TRIM_EVERY_S = 10.0


def _malloc_trim():
    """glibc's `malloc_trim`, or None on a C library without it (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def can_trim() -> bool:
    """Whether the C library can give freed memory back (glibc's `malloc_trim`)."""
    return _malloc_trim() is not None


@contextlib.contextmanager
def trimming(every_s: float = TRIM_EVERY_S) -> Iterator[None]:
    """Inside, a daemon thread trims every `every_s` seconds (nothing where the C library cannot
    trim): around a long session — the live loop, the kiosk."""
    trim = _malloc_trim()
    if trim is None:
        log.debug("no malloc_trim in the C library: freed memory left to its defaults")
        yield
        return
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every_s):
            trim(0)

    threading.Thread(target=run, name="ribsdown-trim", daemon=True).start()
    try:
        yield
    finally:
        stop.set()
