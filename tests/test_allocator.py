"""Large blocks mapped on their own and given back (realtime/core/allocator.py), in a fresh
process each: glibc's own counters say whether a frame-sized block came from mmap."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import ctypes, ctypes.util, sys
    from realtime.core.allocator import map_large_blocks

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")]

    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = MallInfo2
    took = map_large_blocks() if sys.argv[1] == "mapped" else None
    libc.free(libc.malloc(4 << 20))  # by default this raises glibc's mmap threshold to 4 MiB
    before = libc.mallinfo2().hblks
    frame = libc.malloc(2_764_800)  # a 720x1280 BGR frame
    print(took, libc.mallinfo2().hblks - before)
    libc.free(frame)
""")


def _probe(mode: str) -> str:
    return subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout.split()


def test_a_frame_sized_block_is_mapped_on_its_own_even_after_a_larger_one_was_freed():
    try:
        import ctypes

        ctypes.CDLL(None).mallinfo2  # noqa: B018 — glibc 2.33 and later
    except AttributeError:
        pytest.skip("not glibc >= 2.33: no mallinfo2 to read the allocator's counters")
    assert _probe("default") == ["None", "0"]  # glibc's default: the frame comes from the heap
    assert _probe("mapped") == ["True", "1"]  # map_large_blocks: the frame is its own mapping
