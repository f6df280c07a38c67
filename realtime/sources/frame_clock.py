"""A live frame's time: the camera's own time stamp where it has a usable one, else the clock.

A webcam (V4L2) stamps each buffer when the sensor delivered it, a stream (FFmpeg) carries
each frame's presentation time; `cv2.CAP_PROP_POS_MSEC` gives either. The time a capture
thread happens to read the frame adds the scheduler's jitter (milliseconds on a busy laptop,
more than a 60 fps camera's 16.7 ms between frames), and a stride's length is a difference
of two frame times: so strides are timed from the stamps. A camera without stamps (0 or -1;
MJPEG over HTTP, which carries none, gives a huge negative number), stamps that go
backwards, or stamps that run away from the wall clock (a stream whose clock restarts or
follows a nominal rate, a driver's bad unit) switch the source to the wall clock for good,
with no jump in time.
"""

from __future__ import annotations

import math

#: Stamps whose elapsed time disagrees with the wall clock's by more than this many seconds
#: are not the frames' times. A frame is read within a few frame intervals of its stamp (the
#: capture thread drains the driver's queue of about 4 buffers, 133 ms at 30 fps), so the two
#: agree to well under this; stamps that follow a nominal rate instead of the frames (a
#: phone app that stamps 30 fps while it sends 15) drift past it within a second.
MAX_DRIFT_S = 0.25


class FrameClock:
    """`t(own_ms, now)`: seconds since the source's first frame (pure: no clock of its own)."""

    def __init__(self) -> None:
        self._first_own: float | None = None
        self._first_now: float | None = None
        self._last_own: float | None = None
        self._last_t = 0.0
        self._last_wall = 0.0
        self._wall_offset: float | None = None  # set once the stamps are given up
        self.uses_stamps = True

    def t(self, own_ms: float, now: float) -> float:
        """The time of a frame stamped `own_ms` (the source's milliseconds, any origin) and
        read at `now` (`time.monotonic()`)."""
        if self._first_now is None:
            self._first_now = now
            self._first_own = own_ms if _usable(own_ms) else None
            self._last_own = self._first_own
            if self._first_own is None:
                self._give_up()
            return 0.0
        wall = now - self._first_now
        if self._wall_offset is None:
            if _usable(own_ms) and own_ms > self._last_own and abs((own_ms - self._first_own) / 1000.0 - wall) <= MAX_DRIFT_S:
                self._last_own = own_ms
                self._last_t, self._last_wall = (own_ms - self._first_own) / 1000.0, wall
                return self._last_t
            self._give_up()
        t = max(wall - self._wall_offset, self._last_t + 1e-6)
        self._last_t, self._last_wall = t, wall
        return t

    def _give_up(self) -> None:
        """Time from the wall clock from now on, carrying on from the last frame's time (the
        next frame comes as long after it as the clock says)."""
        self.uses_stamps = False
        self._wall_offset = self._last_wall - self._last_t


def _usable(own_ms: float | None) -> bool:
    """A stamp that can be a frame's time (V4L2 without one gives 0 or -1)."""
    return own_ms is not None and math.isfinite(own_ms) and own_ms > 0.0
