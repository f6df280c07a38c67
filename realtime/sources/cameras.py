"""`ribsdown cameras`: the cameras OpenCV can open, with what they report.

`list_cameras()` probes camera indices quickly with OpenCV's logging silenced. On
Linux only the indices with a `/dev/videoN` device are tried, and the name comes from
`/sys/class/video4linux/videoN/name`; elsewhere indices are tried in order until two
in a row fail, and the platform gives no name.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: What `ribsdown cameras` (and a first `run`) says when there is no camera.
NO_CAMERA = (
    "No camera found. Try `ribsdown demo`, or use a phone as the camera: "
    "see README, 'Using a phone as the camera'."
)

_DEV = Path("/dev")
_SYSFS = Path("/sys/class/video4linux")


@dataclass(frozen=True)
class CameraInfo:
    """One camera as OpenCV opened it.

    Attributes:
        index: what `ribsdown run --source INDEX` takes.
        name: the device's name where the platform gives one, else None.
        width, height: the resolution read back after opening, pixels.
        fps: the frame rate the driver reports, None when it reports none.
        picture: a frame could be read (False: opened but busy or broken).
    """

    index: int
    name: str | None
    width: int
    height: int
    fps: float | None
    picture: bool


@contextmanager
def _opencv_silenced() -> Iterator[None]:
    """OpenCV's own log level set to silent for the duration, then restored."""
    import cv2

    logging_api = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging_api is None:
        yield
        return
    before = logging_api.getLogLevel()
    logging_api.setLogLevel(logging_api.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging_api.setLogLevel(before)


def linux_device_indices(dev: Path = _DEV) -> list[int]:
    """The N of every `/dev/videoN`, sorted."""
    found = []
    for path in dev.glob("video*"):
        suffix = path.name[len("video"):]
        if suffix.isdigit():
            found.append(int(suffix))
    return sorted(found)


def device_name(index: int, sysfs: Path = _SYSFS) -> str | None:
    """The name Linux gives `/dev/video{index}`, or None."""
    try:
        name = (sysfs / f"video{index}" / "name").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return name or None


def probe(index: int, name: str | None = None) -> CameraInfo | None:
    """Open camera `index`, read back its resolution and frame rate, read one frame; None if it won't open."""
    import cv2

    cap = cv2.VideoCapture(index)
    try:
        if not cap.isOpened():
            return None
        ok, image = cap.read()
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if ok and image is not None and (width <= 0 or height <= 0):
            height, width = image.shape[:2]
        fps = cap.get(cv2.CAP_PROP_FPS)
        return CameraInfo(
            index=index,
            name=name,
            width=width,
            height=height,
            fps=float(fps) if math.isfinite(fps) and fps > 0 else None,
            picture=bool(ok and image is not None),
        )
    finally:
        cap.release()


def list_cameras(max_index: int = 8) -> list[CameraInfo]:
    """The cameras among indices `0..max_index-1` that OpenCV can open."""
    found: list[CameraInfo] = []
    with _opencv_silenced():
        if sys.platform.startswith("linux"):
            for index in (i for i in linux_device_indices() if i < max_index):
                info = probe(index, device_name(index))
                if info is not None:
                    found.append(info)
            return found
        misses = 0
        for index in range(max_index):
            info = probe(index)
            if info is None:
                misses += 1
                if misses >= 2:
                    break
                continue
            misses = 0
            found.append(info)
    return found


def format_table(cameras: list[CameraInfo]) -> str:
    """The cameras as a text table, or the no-camera advice."""
    if not cameras:
        return NO_CAMERA
    rows = [("index", "name", "resolution", "fps", "")]
    for c in cameras:
        rows.append((
            str(c.index),
            c.name or "-",
            f"{c.width}x{c.height}",
            f"{c.fps:g}" if c.fps is not None else "?",
            "" if c.picture else "opened, but no picture (in use by another app?)",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)).rstrip() + ("  " + r[4] if r[4] else "")
             for r in rows]
    lines.append("Use one with `ribsdown run --source INDEX`.")
    return "\n".join(lines)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `ribsdown cameras`."""
    cameras = sub.add_parser("cameras", help="list the cameras ribsdown can open")
    cameras.add_argument("--max-index", type=int, default=8, metavar="N", help="try camera indices 0..N-1 (default 8)")
    cameras.set_defaults(func=command_cameras)


def command_cameras(args: argparse.Namespace) -> int:
    """Print the cameras found (or that there are none); exit 0 either way."""
    print(format_table(list_cameras(args.max_index)))
    return 0
