"""Frame sources: one iterator of `Frame`s whether the input is a camera, a stream or a file.

- `FileSource`: every frame of a video file, as fast as the consumer pulls (`analyze`).
- `PacedFileSource`: a file played like a live camera, at its own fps against the wall clock.
- `CameraSource`: a local camera (`cv2.VideoCapture(index)`).
- `UrlSource`: an RTSP or HTTP(S) MJPEG stream, e.g. a phone used as an IP camera.

Live sources (and the paced file) read on a daemon thread that keeps only the newest frame,
so latency never piles up: a consumer slower than the source gets the newest frame and the
ones it missed are counted in `frames_dropped` (and show as gaps in `Frame.index`).
`open_source(spec)` picks the right one from a command-line string.
"""

from __future__ import annotations

import logging
import math
import re
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import cv2
import numpy as np

from realtime.core.errors import SourceError
from realtime.sources.frame_clock import FrameClock

log = logging.getLogger(__name__)

_S = TypeVar("_S", bound="FrameSource")

#: Open and read timeouts for stream URLs (FFmpeg backend), milliseconds.
STREAM_TIMEOUT_MS = 5000
#: Frame rate assumed for a file whose rate OpenCV cannot read.
FALLBACK_FPS = 30.0
#: How long `close()` waits for a capture thread to finish, seconds.
JOIN_TIMEOUT_S = STREAM_TIMEOUT_MS / 1000 + 1.0


@dataclass(frozen=True)
class Frame:
    """One image from a source.

    Attributes:
        image: `(H, W, 3)` uint8, BGR (as OpenCV gives it).
        t: seconds. Files: video time, `index / fps`. Cameras and streams: seconds since
            the source's first frame, from the frames' own time stamps where they have
            usable ones, else `time.monotonic()` based (`frame_clock.FrameClock`).
        index: the frame's index in the source; gaps mean dropped frames.
        captured_at: `time.monotonic()` when the frame was read or decoded (for latency).
    """

    image: np.ndarray
    t: float
    index: int
    captured_at: float

    def __post_init__(self) -> None:
        img = self.image
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
            shape = getattr(img, "shape", type(img).__name__)
            raise ValueError(f"Frame.image must be (H, W, 3), got {shape}")
        if img.dtype != np.uint8:
            raise ValueError(f"Frame.image must be uint8, got {img.dtype}")
        if img.shape[0] == 0 or img.shape[1] == 0:
            raise ValueError(f"Frame.image is empty: {img.shape}")
        if self.index < 0:
            raise ValueError(f"Frame.index must be >= 0, got {self.index}")


class FrameSource(ABC):
    """An iterable of `Frame`s from a camera, stream or file; a context manager.

    Attributes:
        name: what the source is, for messages ("camera 0", a path, a URL).
        fps: nominal frames per second (what the file or driver reports).
        size: `(width, height)` of the frames in pixels.
        is_live: True when frames arrive in real time and slow consumers miss some.
    """

    name: str
    fps: float
    size: tuple[int, int]
    is_live: bool = False

    @property
    def frames_dropped(self) -> int:
        """Frames the source produced that the consumer never got."""
        return 0

    @abstractmethod
    def _next_frame(self) -> Frame | None:
        """The next frame, or None when the source has ended."""

    @abstractmethod
    def close(self) -> None:
        """Stop any thread and release the device or file; safe to call twice."""

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self._next_frame()) is not None:
            yield frame

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        w, h = self.size
        return f"{type(self).__name__}({self.name!r}, {w}x{h} @ {self.fps:g} fps)"


# --- files -----------------------------------------------------------------------------


def _mp4_top_level_boxes(path: Path) -> list[bytes] | None:
    """Types of the top-level MP4/MOV boxes, or None when the file is not MP4-like."""
    boxes: list[bytes] = []
    size = path.stat().st_size
    with path.open("rb") as f:
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            length, kind = struct.unpack(">I4s", f.read(8))
            if length == 1 and pos + 16 <= size:
                (length,) = struct.unpack(">Q", f.read(8))
            boxes.append(kind)
            if length < 8:  # 0 = "to the end of the file"; smaller is garbage
                break
            pos += length
    return boxes if boxes and boxes[0] == b"ftyp" else None


def _why_unopenable(path: Path) -> str:
    """A short guess at why OpenCV could not open `path`."""
    if path.stat().st_size == 0:
        return "the file is empty"
    boxes = _mp4_top_level_boxes(path)
    if boxes is not None and b"moov" not in boxes:
        return "its MP4 index (moov box) is missing: it was cut short while recording or copying"
    return "OpenCV could not open it"


def _unreadable(path: Path, why: str) -> SourceError:
    return SourceError(
        f"{path} is not a video ribsdown can read ({why}) — pass a complete video file "
        "(MP4/MOV/AVI), re-exporting or re-copying it if needed"
    )


def open_video_file(path: str | Path) -> cv2.VideoCapture:
    """A capture of a video file whose frames come upright: its rotation metadata (a phone's
    video stored sideways with a `rotate` tag or a display matrix) applied, as players do.
    OpenCV reads the metadata but leaves the frames as stored unless asked."""
    cap = cv2.VideoCapture(str(path))
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


class _FileDecoder:
    """Decodes a video file frame by frame; warns once when it ends before its declared length."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise SourceError(
                f"no such file: {path} — check the path, or pass a camera number or stream URL"
            )
        if path.is_dir():
            raise SourceError(f"{path} is a folder, not a video — pass a video file inside it")
        cap = open_video_file(path)
        if not cap.isOpened():
            cap.release()
            raise _unreadable(path, _why_unopenable(path))
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise _unreadable(path, "it opened but no frame decoded; it may be cut short")
        self.path = path
        self.fps = _file_fps(cap, path)
        self.size = (int(first.shape[1]), int(first.shape[0]))
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.declared: int | None = int(count) if math.isfinite(count) and count > 0 else None
        self.decoded = 0
        self._cap: cv2.VideoCapture | None = cap
        self._pending: np.ndarray | None = first

    def read(self) -> np.ndarray | None:
        """The next decoded image, or None at the end (releasing the file)."""
        image, self._pending = self._pending, None
        if image is None and self._cap is not None:
            ok, image = self._cap.read()
            if not ok:
                image = None
        if image is None:
            self._finish()
            return None
        self.decoded += 1
        return image

    def _finish(self) -> None:
        if self._cap is None:
            return
        self.release()
        if self.declared is None:
            return
        if self.decoded < self.declared - max(1, self.declared // 100):  # counts may be estimates
            log.warning(
                "%s: video ended after %d of %d frames; the file may be truncated"
                " — analysed up to there",
                self.path, self.decoded, self.declared,
            )

    def release(self) -> None:
        """Close the file; safe to call twice."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _file_fps(cap: cv2.VideoCapture, path: Path) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    if math.isfinite(fps) and 0 < fps <= 1000:
        return float(fps)
    log.warning(
        "%s: cannot read the frame rate (got %r); assuming %g fps", path, fps, FALLBACK_FPS
    )
    return FALLBACK_FPS


class FileSource(FrameSource):
    """Every frame of a video file, decoded as fast as the consumer pulls; `t = index / fps`.

    `frame_count` is the length the file declares (None when it declares none).
    """

    is_live = False

    def __init__(self, path: str | Path) -> None:
        self._decoder = _FileDecoder(Path(path))
        self.name = str(path)
        self.fps = self._decoder.fps
        self.size = self._decoder.size
        self.frame_count = self._decoder.declared
        self._index = 0

    def _next_frame(self) -> Frame | None:
        image = self._decoder.read()
        if image is None:
            return None
        i = self._index
        self._index += 1
        return Frame(image, i / self.fps, i, time.monotonic())

    def close(self) -> None:
        self._decoder.release()


# --- the newest-frame reader shared by camera, stream and paced file ---------------------


class _NewestFrameReader:
    """Runs `produce` on a daemon thread and keeps only its newest frame (a one-slot buffer).

    `produce()` returns the next frame, or None when the source has ended; it owns the
    device, and `release()` is called on the thread when it stops. An exception raised in
    `produce` ends the thread and is re-raised to the consumer by `next()`.
    """

    def __init__(
        self, produce: Callable[[], Frame | None], release: Callable[[], None], name: str
    ) -> None:
        self._produce = produce
        self._release = release
        self._cond = threading.Condition()
        self._slot: Frame | None = None
        self._ended = False
        self._error: Exception | None = None
        self.stop_event = threading.Event()
        self.frames_dropped = 0
        self._thread = threading.Thread(
            target=self._run, name=f"ribsdown-capture {name}", daemon=True
        )

    def _run(self) -> None:
        try:
            while not self.stop_event.is_set():
                frame = self._produce()
                if frame is None:
                    break
                self._publish(frame)
        except Exception as exc:  # handed to the consumer thread, re-raised there
            self._error = exc
        finally:
            self._release()
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _publish(self, frame: Frame) -> None:
        with self._cond:
            if self._slot is not None:
                self.frames_dropped += 1
            self._slot = frame
            self._cond.notify_all()

    def next(self) -> Frame | None:
        """Block for a frame newer than the last one returned; None once the source has ended."""
        if self.stop_event.is_set():
            return None
        if self._thread.ident is None:
            self._thread.start()
        with self._cond:
            while self._slot is None and not self._ended:
                self._cond.wait(0.5)  # a timeout keeps Ctrl-C responsive
            frame, self._slot = self._slot, None
        if frame is None and self._error is not None:
            raise self._error
        return frame

    def stop(self) -> None:
        """Stop the thread, join it and release the device; safe to call twice."""
        self.stop_event.set()
        if self._thread.ident is None:  # never started: release here
            self._ended = True
            self._release()
            return
        self._thread.join(JOIN_TIMEOUT_S)
        if self._thread.is_alive():
            log.warning(
                "capture thread %r did not stop within %.0f s", self._thread.name, JOIN_TIMEOUT_S
            )


class _ThreadedSource(FrameSource):
    """A source whose frames come from a `_NewestFrameReader` (started on first pull)."""

    _reader: _NewestFrameReader

    @property
    def frames_dropped(self) -> int:
        return self._reader.frames_dropped

    def _next_frame(self) -> Frame | None:
        return self._reader.next()

    def close(self) -> None:
        self._reader.stop()


class _LiveProducer:
    """Reads a live `cv2.VideoCapture`: `t` is seconds since its first frame, from the frames'
    own time stamps where the camera or stream gives usable ones (`FrameClock`); indices count up."""

    def __init__(self, cap: cv2.VideoCapture, name: str) -> None:
        self._cap = cap
        self._name = name
        self._index = 0
        self._clock = FrameClock()

    def __call__(self) -> Frame | None:
        ok, image = self._cap.read()
        now = time.monotonic()
        if not ok or image is None:
            log.warning(
                "%s stopped delivering frames after %d frames; capture ended",
                self._name, self._index,
            )
            return None
        stamped = self._clock.uses_stamps
        t = self._clock.t(self._cap.get(cv2.CAP_PROP_POS_MSEC), now)
        if stamped and not self._clock.uses_stamps:
            log.debug("%s: no usable frame time stamps from frame %d; timing frames by the clock",
                      self._name, self._index)
        frame = Frame(image, t, self._index, now)
        self._index += 1
        return frame


class PacedFileSource(_ThreadedSource):
    """A video file played like a live camera: decoded at its own fps against the wall clock.

    The clock starts at the first pull. The consumer always gets the newest frame; frames it
    was too slow for are dropped and counted. `t` stays the video time (`index / fps`).
    """

    is_live = True

    def __init__(self, path: str | Path) -> None:
        self._decoder = _FileDecoder(Path(path))
        self.name = str(path)
        self.fps = self._decoder.fps
        self.size = self._decoder.size
        self._index = 0
        self._start: float | None = None
        self._reader = _NewestFrameReader(self._produce, self._decoder.release, self.name)

    def _produce(self) -> Frame | None:
        if self._start is None:
            self._start = time.monotonic()
        image = self._decoder.read()
        if image is None:
            return None
        due = self._start + self._index / self.fps
        if self._reader.stop_event.wait(max(0.0, due - time.monotonic())):
            return None
        frame = Frame(image, self._index / self.fps, self._index, time.monotonic())
        self._index += 1
        return frame


# --- cameras and streams ---------------------------------------------------------------


def _negotiate(cap: cv2.VideoCapture, name: str, width: int, height: int, fps: float) -> float:
    """Ask for a resolution and frame rate, read them back, warn when the driver differs.

    Returns the frame rate the driver reports (the requested one when it reports none).
    """
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    cap.set(cv2.CAP_PROP_FPS, fps)
    got_w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    got_h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    got_fps = cap.get(cv2.CAP_PROP_FPS)
    if (got_w, got_h) != (width, height):
        log.warning(
            "%s gives %dx%d instead of the requested %dx%d", name, got_w, got_h, width, height
        )
    if not (math.isfinite(got_fps) and got_fps > 0):
        log.debug("%s does not report its frame rate; assuming %g fps", name, fps)
        return float(fps)
    if abs(got_fps - fps) > 0.5:
        log.warning("%s runs at %g fps instead of the requested %g fps", name, got_fps, fps)
    return float(got_fps)


def _first_image(cap: cv2.VideoCapture) -> np.ndarray | None:
    ok, image = cap.read()
    return image if ok and image is not None else None


class CameraSource(_ThreadedSource):
    """A local camera; a daemon thread keeps only its newest frame.

    A read failure mid-run (camera unplugged) ends the iteration with a warning.
    """

    is_live = True

    def __init__(self, index: int, width: int = 1280, height: int = 720, fps: float = 30) -> None:
        self.name = f"camera {index}"
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"cannot open camera {index}: no such camera, or it is in use — "
                "run `ribsdown cameras` to list them, or pass --source PATH|URL"
            )
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self.fps = _negotiate(cap, self.name, width, height, fps)
        first = _first_image(cap)
        if first is None:
            cap.release()
            raise SourceError(
                f"camera {index} opened but gave no picture — close other apps that use it "
                "(video calls, browser tabs) and try again, or pick another with `ribsdown cameras`"
            )
        self.size = (int(first.shape[1]), int(first.shape[0]))
        self._reader = _NewestFrameReader(_LiveProducer(cap, self.name), cap.release, self.name)


class UrlSource(_ThreadedSource):
    """An RTSP or HTTP(S) MJPEG stream via OpenCV's FFmpeg backend, with open/read timeouts.

    `fps` is what FFmpeg reports, often a guess for MJPEG over HTTP (25). A stalled or
    closed stream ends the iteration with a warning after at most the read timeout.
    """

    is_live = True

    def __init__(self, url: str) -> None:
        self.name = url
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS,
        ]
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        first = _first_image(cap) if cap.isOpened() else None
        if first is None:
            cap.release()
            raise SourceError(
                f"cannot open stream URL: {url} — check the phone app is streaming"
                " and the address is right"
            )
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and fps > 0 else FALLBACK_FPS
        self.size = (int(first.shape[1]), int(first.shape[0]))
        self._reader = _NewestFrameReader(_LiveProducer(cap, url), cap.release, url)


# --- choosing a source -------------------------------------------------------------------


def open_source(spec: str, realtime: bool = False) -> FrameSource:
    """Open a source from a command-line string.

    Digits ("0", "1") are a camera index; anything with "://" is a stream URL; anything
    else is a video file, played at its own pace when `realtime` (else decoded flat out).
    """
    spec = spec.strip()
    if not spec:
        raise SourceError("no source given — pass a camera number, a video file or a stream URL")
    if re.fullmatch(r"[0-9]+", spec):
        return CameraSource(int(spec))
    if "://" in spec:
        return UrlSource(spec)
    path = Path(spec).expanduser()
    return PacedFileSource(path) if realtime else FileSource(path)
