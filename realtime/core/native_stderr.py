"""MediaPipe's and TFLite's start-up chatter kept off the user's terminal.

MediaPipe 0.10.21 logs through absl before absl's log is initialised, so its lines go straight
to file descriptor 2, past `GLOG_minloglevel` and `TF_CPP_MIN_LOG_LEVEL` (mediapipe issues
#5371 and #5737): "WARNING: All log messages before absl::InitializeLog() ...", "W0000 ...
inference_feedback_manager.cc:114] ...", "INFO: Created TensorFlow Lite XNNPACK delegate for
CPU.", "W0000 ... landmark_projection_calculator.cc:186] ...". ALSA and SDL print from C too, when
pygame.mixer opens on a machine with no sound device ("ALSA lib confmisc.c:855:(parse_card)
cannot find card '0'", "error: XDG_RUNTIME_DIR not set in the environment."). They come while a model's graph
starts — on its own threads, until its first frame — and on its first frame with a pose.
`filtered_stderr()` (a block) and `StderrHold` (from a start until a release) catch file
descriptor 2 in a temporary file over such a stretch, then write back every line that is not
of that kind: errors (absl's `E` and `F` lines) and anything else still reach the terminal, a
moment later.

Set `RIBSDOWN_NATIVE_LOGS=show` (`ribsdown --verbose` does) to let everything through.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

#: What a run prints that tells the user nothing: absl's INFO and WARNING lines, its notice
#: that logging is not initialised, TFLite's delegate notice.
_NOISE = (
    re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"),
    re.compile(r"[IW]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] "),
    re.compile(r"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."),
    # ALSA's and SDL's lines while pygame.mixer looks for a sound device on a machine with none
    # (the voice then runs silent and says so in one line of its own: realtime/outputs/voice.py).
    re.compile(r"ALSA lib [\w./-]+:\d+:"),
    re.compile(r"error: XDG_RUNTIME_DIR (not set|is invalid)"),
)
#: The environment variable that lets every native line through.
SHOW_ENV = "RIBSDOWN_NATIVE_LOGS"


def is_noise(line: str) -> bool:
    """Whether `line` is MediaPipe's or TFLite's start-up chatter."""
    return any(pattern.match(line) for pattern in _NOISE)


def without_noise(text: str) -> str:
    """`text` with the chatter's lines taken out."""
    return "".join(line for line in text.splitlines(keepends=True) if not is_noise(line))


class _Capture:
    """File descriptor 2 redirected to a temporary file while anyone is inside (threads nest)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved_fd = -1
        self._file = None

    def enter(self) -> None:
        with self._lock:
            if self._depth == 0:
                sys.stderr.flush()
                self._file = tempfile.TemporaryFile()
                self._saved_fd = os.dup(2)
                os.dup2(self._file.fileno(), 2)
            self._depth += 1

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            sys.stderr.flush()
            os.dup2(self._saved_fd, 2)
            os.close(self._saved_fd)
            self._file.seek(0)
            caught = self._file.read().decode("utf-8", errors="replace")
            self._file.close()
            self._file = None
        kept = without_noise(caught)
        if kept:
            os.write(2, kept.encode("utf-8", errors="replace"))


_CAPTURE = _Capture()


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """Inside, native lines on file descriptor 2 are held and, but for the chatter, written
    out on leaving. Everything passes at once when `RIBSDOWN_NATIVE_LOGS=show`."""
    if os.environ.get(SHOW_ENV) == "show":
        yield
        return
    _CAPTURE.enter()
    try:
        yield
    finally:
        _CAPTURE.leave()


class StderrHold:
    """`filtered_stderr` over a stretch that does not fit a `with` block: from now until
    `release()` (idempotent) or `max_s` seconds, whichever comes first (so other threads'
    lines are never held long)."""

    def __init__(self, max_s: float = 3.0) -> None:
        self._lock = threading.Lock()
        self._held = os.environ.get(SHOW_ENV) != "show"
        if self._held:
            _CAPTURE.enter()
            self._timer = threading.Timer(max_s, self.release)
            self._timer.daemon = True
            self._timer.start()

    def release(self) -> None:
        """End the hold: the caught lines but the chatter go out now."""
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._timer.cancel()
        _CAPTURE.leave()
