"""Free memory handed back while a session runs (realtime/core/allocator.py), in a fresh process:
glibc's own counters say how much free memory its heaps keep."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import ctypes, ctypes.util, sys, threading, time
    from realtime.core.allocator import trimming

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")]

    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = MallInfo2

    def frames_on_a_thread():  # as the capture thread does: frame-sized blocks, most freed, one kept
        libc.free(libc.malloc(4 << 20))  # glibc's mmap threshold rises to 4 MiB: frames now come from the heap
        blocks = [libc.malloc(2_764_800) for _ in range(20)]
        for b in blocks:
            ctypes.memset(b, 1, 2_764_800)  # written, as a decoded frame is: resident
        for b in blocks[:-1]:
            libc.free(b)

    worker = threading.Thread(target=frames_on_a_thread)
    worker.start(); worker.join()
    resident = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096
    before = resident()
    if sys.argv[1] == "trim":
        with trimming(0.05):
            time.sleep(0.5)
    print(round((before - resident()) / 1e6))
""")


def _freed_mb(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1])


def test_the_trimming_thread_gives_the_freed_frames_back_to_the_system():
    from realtime.core.allocator import can_trim

    if not can_trim():
        pytest.skip("not glibc: no malloc_trim")
    assert _freed_mb("wait") < 5  # left alone, the heap keeps the 19 freed frames (52 MB) resident
    assert _freed_mb("trim") > 40  # trimmed: they go back
