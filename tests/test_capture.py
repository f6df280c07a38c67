"""Frame sources on the real clips: files, paced files, streams, and the errors users see."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.core.errors import SourceError
from realtime.sources.capture import (
    FileSource,
    Frame,
    FrameSource,
    PacedFileSource,
    UrlSource,
    open_source,
)

TREADMILL = "treadmill_side_left.mp4"  # 720x1280 portrait, 30 fps, 360 frames, MP4 index at the end
GRASS = "run_grass_short.mp4"  # 480x352, 29.97 fps, 47 frames, MP4 index at the start


def capture_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records
        if r.name == "realtime.sources.capture" and r.levelno == logging.WARNING
    ]


def capture_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ribsdown-capture")]


def cut(src: Path, dst: Path, fraction: float) -> Path:
    """Write the first `fraction` of `src`'s bytes to `dst` (a truncated copy)."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


# --- Frame ---------------------------------------------------------------------------------


def test_frame_validates_its_image() -> None:
    Frame(np.zeros((4, 6, 3), np.uint8), t=0.0, index=0, captured_at=0.0)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        Frame(np.zeros((4, 6), np.uint8), t=0.0, index=0, captured_at=0.0)
    with pytest.raises(ValueError, match="uint8"):
        Frame(np.zeros((4, 6, 3), np.float32), t=0.0, index=0, captured_at=0.0)
    with pytest.raises(ValueError, match="index"):
        Frame(np.zeros((4, 6, 3), np.uint8), t=0.0, index=-1, captured_at=0.0)


# --- FileSource ----------------------------------------------------------------------------


def test_file_source_decodes_every_frame(clips_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with FileSource(clips_dir / TREADMILL) as src:
        assert (src.fps, src.size, src.is_live) == (30.0, (720, 1280), False)
        frames = [(f.index, f.t, f.image.shape, f.captured_at) for f in src]
        assert src.frames_dropped == 0
    assert len(frames) == 360
    assert [i for i, *_ in frames] == list(range(360))
    assert all(t == pytest.approx(i / 30) for i, t, *_ in frames)
    assert {shape for _, _, shape, _ in frames} == {(1280, 720, 3)}
    assert all(a[3] <= b[3] for a, b in zip(frames, frames[1:]))
    assert capture_warnings(caplog) == []


def test_open_source_picks_the_source(clips_dir: Path) -> None:
    with open_source(str(clips_dir / TREADMILL)) as src:
        assert isinstance(src, FileSource)
    with open_source(f"  {clips_dir / TREADMILL} ", realtime=True) as src:
        assert isinstance(src, PacedFileSource) and src.is_live
    with pytest.raises(SourceError, match="no source given"):
        open_source("  ")


# --- files that are missing, not videos, or cut short -------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no such file: .*nope\.mp4 — check the path"):
        open_source(str(tmp_path / "nope.mp4"))


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video, just some notes\n")
    unreadable = r"notes\.mp4 is not a video ribsdown can read \(.+\) — "
    with pytest.raises(SourceError, match=unreadable):
        FileSource(fake)


@pytest.mark.parametrize("source", [FileSource, PacedFileSource])
def test_truncated_mp4_without_index_cannot_be_read(
    clips_dir: Path, tmp_path: Path, source: type[FrameSource]
) -> None:
    """A phone MP4 keeps its index (moov) at the end: cut short, OpenCV cannot open it at all."""
    broken = cut(clips_dir / TREADMILL, tmp_path / "cut.mp4", 0.5)
    with pytest.raises(SourceError, match=r"is not a video ribsdown can read \(.*moov.*\)"):
        source(broken)


def test_truncated_mp4_with_no_frame_left(clips_dir: Path, tmp_path: Path) -> None:
    """Index at the start but hardly any data: it opens, yet yields no frame."""
    broken = cut(clips_dir / GRASS, tmp_path / "cut.mp4", 0.02)
    with pytest.raises(SourceError, match=r"is not a video ribsdown can read \(.*no frame decoded"):
        FileSource(broken)


def _mjpeg_avi(clips_dir: Path, path: Path, n: int = 60) -> Path:
    cap = cv2.VideoCapture(str(clips_dir / GRASS))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (480, 352))
    for _ in range(n):
        ok, image = cap.read()
        if not ok:
            cap.release()
            cap = cv2.VideoCapture(str(clips_dir / GRASS))
            ok, image = cap.read()
        writer.write(image)
    writer.release()
    cap.release()
    return path


@pytest.mark.parametrize("kind", ["mp4 index at start", "avi"])
@pytest.mark.parametrize("source", [FileSource, PacedFileSource])
def test_truncated_video_is_read_up_to_the_break(
    clips_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    source: type[FrameSource],
) -> None:
    """A file whose header survives decodes up to the cut, then warns once."""
    if kind == "avi":
        whole, declared = _mjpeg_avi(clips_dir, tmp_path / "whole.avi"), 60
    else:
        whole, declared = clips_dir / GRASS, 47
    broken = cut(whole, tmp_path / f"cut{whole.suffix}", 0.5)
    with source(broken) as src:
        indices = [f.index for f in src]
        decoded = len(indices) + src.frames_dropped  # a paced source may drop a frame under load
    assert 0 < len(indices) <= decoded < declared
    warnings = capture_warnings(caplog)
    assert len(warnings) == 1
    assert f"video ended after {decoded} of {declared} frames" in warnings[0]
    assert "truncated — analysed up to there" in warnings[0]


# --- PacedFileSource -----------------------------------------------------------------------


def test_paced_slow_consumer_gets_newest_frames_and_counts_drops(clips_dir: Path) -> None:
    with PacedFileSource(clips_dir / TREADMILL) as src:
        assert (src.fps, src.size) == (30.0, (720, 1280))
        start = time.monotonic()
        got = []
        for frame in src:
            got.append(frame)
            time.sleep(0.1)  # ~3 source frames per consumed one
        wall = time.monotonic() - start
        dropped = src.frames_dropped
    indices = [f.index for f in got]
    assert all(b > a for a, b in zip(indices, indices[1:]))
    assert max(b - a for a, b in zip(indices, indices[1:])) >= 2  # gaps show the drops
    assert indices[-1] == 359  # the last frame still arrives
    assert len(got) + dropped == 360
    assert 200 <= dropped <= 270  # about 2 of every 3
    assert all(f.t == pytest.approx(f.index / 30) for f in got)
    assert wall == pytest.approx(12.0, abs=0.6)


def test_paced_fast_consumer_drops_almost_nothing(clips_dir: Path) -> None:
    with PacedFileSource(clips_dir / TREADMILL) as src:
        start = time.monotonic()
        indices = [f.index for f in src]
        wall = time.monotonic() - start
        dropped = src.frames_dropped
    assert dropped <= 0.02 * 360
    assert len(indices) + dropped == 360
    assert wall == pytest.approx(12.0, abs=0.6)


def test_close_stops_and_joins_the_thread(clips_dir: Path) -> None:
    src = PacedFileSource(clips_dir / TREADMILL)
    assert capture_threads() == []  # nothing runs before the first pull
    frames = iter(src)
    assert [next(frames).index for _ in range(3)] == [0, 1, 2]
    assert len(capture_threads()) == 1
    src.close()
    assert capture_threads() == []
    src.close()  # twice is fine
    assert list(frames) == []


# --- cameras and streams -------------------------------------------------------------------


def test_missing_camera() -> None:
    with pytest.raises(SourceError, match=r"cannot open camera 7: .* run `ribsdown cameras`"):
        open_source("7")


def test_unreachable_url() -> None:
    start = time.monotonic()
    url_error = r"cannot open stream URL: http://127\.0\.0\.1:9/none — check"
    with pytest.raises(SourceError, match=url_error):
        open_source("http://127.0.0.1:9/none")
    assert time.monotonic() - start < 10


def test_silent_url_times_out() -> None:
    """A server that accepts the connection and never answers: the open timeout fires."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(SourceError, match="cannot open stream URL"):
            UrlSource(f"http://127.0.0.1:{port}/video")
        assert time.monotonic() - start < 10


@pytest.fixture
def mjpeg_url(clips_dir: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An HTTP MJPEG stream like a phone IP-camera app's: GRASS's 47 frames at 30 fps (or the
    rate given by indirect parametrisation), then EOF."""
    fps = getattr(request, "param", 30.0)
    cap = cv2.VideoCapture(str(clips_dir / GRASS))
    jpegs = []
    while (read := cap.read())[0]:
        jpegs.append(cv2.imencode(".jpg", read[1])[1].tobytes())
    cap.release()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            for jpeg in jpegs:
                head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                self.wfile.write(head.encode() + jpeg + b"\r\n")
                time.sleep(1 / fps)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/video"
    server.shutdown()
    server.server_close()
    thread.join()


def test_url_stream_delivers_frames_and_ends_with_a_warning(
    mjpeg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with open_source(mjpeg_url) as src:
        assert isinstance(src, UrlSource) and src.is_live
        assert src.size == (480, 352)
        frames = list(src)  # the server closing the stream ends the iteration, no exception
        dropped = src.frames_dropped
    assert len(frames) + dropped == 46  # the first frame was read when opening
    assert frames[0].t == 0.0
    assert all(b.index > a.index and b.t > a.t for a, b in zip(frames, frames[1:]))
    assert frames[-1].t == pytest.approx(45 / 30, abs=0.3)
    assert any("stopped delivering frames" in w for w in capture_warnings(caplog))
    assert capture_threads() == []


@pytest.mark.parametrize("mjpeg_url", [15.0], indirect=True)
def test_a_stream_without_time_stamps_is_timed_by_the_clock(mjpeg_url: str) -> None:
    """MJPEG over HTTP carries no time stamps (OpenCV's POS_MSEC is a huge negative number):
    a 15 fps phone stream is timed by the clock, at its own rate, not the nominal 30 or 25."""
    with open_source(mjpeg_url) as src:
        frames = list(src)
    assert len(frames) > 30
    assert frames[-1].t == pytest.approx(frames[-1].index / 15, abs=0.3)  # not index / 25
    assert all(b.t > a.t for a, b in zip(frames, frames[1:]))
