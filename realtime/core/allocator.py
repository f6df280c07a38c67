"""Large blocks straight from, and straight back to, the operating system (glibc's malloc).

A live session allocates and frees a few camera-sized blocks every frame (a 720×1280 frame is
2.7 MB) on three threads: the capture thread decodes, the model's thread converts, the main
thread scales and draws. glibc serves a block of 128 KiB or more with its own mmap, but raises
that threshold to the size of each such block freed (up to 32 MiB); from then on the frames
come from each thread's heap, where freed space is kept, not returned. The resident memory of
a 10-minute live session then moved in steps of 35–125 MB that came and went (sd 41 MB, peak
614 MB); with the threshold fixed at 1 MiB, blocks that size and over are mapped and unmapped
each time and the memory stayed within 435–473 MB (sd 7.9 MB, peak 480 MB; README "Memory",
`bench/live_loop.py --memory`). Fixing the threshold also stops its adjustment.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

#: glibc's `mallopt` parameter number for the mmap threshold (malloc.h: M_MMAP_THRESHOLD).
_M_MMAP_THRESHOLD = -3
#: Blocks of this size and over are mapped on their own: every frame-sized buffer, none of the
#: many small objects (the cost is a few page faults per frame, well under a millisecond).
MMAP_THRESHOLD_BYTES = 1 << 20


def map_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Ask glibc to serve blocks of `threshold` bytes and over with mmap, and give them back when
    freed. True when it took; False on a C library without `mallopt` (macOS, musl: nothing to do)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:
        log.debug("no mallopt in the C library: large blocks left to its defaults")
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
