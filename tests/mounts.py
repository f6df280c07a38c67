"""Real file-system faults for the tests: a read-only file, a tiny or read-only tmpfs.

They need root (mount). Where a mount cannot be made the test is skipped — except under CI
(`CI=true`), where it fails: a fault case never passes by not running.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        reason = f"cannot mount ({' '.join(args)}): {result.stderr.strip() or 'not root?'}"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason}; CI=true requires the file-system fault cases to run")
        pytest.skip(reason)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[Path]:
    """`path` (an existing file) made read-only for everyone, root included (a read-only bind
    mount of the file over itself); its folder stays writable."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,ro,bind", str(path))
        yield path
    finally:
        _umount(path)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "200k") -> Iterator[Path]:
    """A fresh tmpfs of `size` mounted at `path` (created); `remount_read_only(path)` turns it read-only."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)


def remount_read_only(path: Path) -> None:
    """Make the tmpfs at `path` read-only."""
    _mount("-o", "remount,ro", str(path))
