"""The model one frame ahead: pose estimation on a thread of its own.

The model (about 20–25 ms a frame here) releases the GIL while it runs, so the coach and
the screen can handle frame N on the main thread while the model works on frame N+1: the
loop then keeps pace with the model alone, not with the model plus the drawing, and a
30 fps camera's frames no longer queue behind each other (README "Speed"). Frames reach
the model in their order, so the results are the same as one frame at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F")
R = TypeVar("R")

_POLL_S = 0.1


class _End:
    """The frames ran out."""


class _Failed:
    """The thread's iteration or estimate raised `error`; the caller re-raises it."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class EstimateAhead(Generic[F, R]):
    """Iterate `estimate(frame)` over `frames`, computed on a background thread, at most
    `depth` results ahead of the caller (a None result is passed over). `close()` (or leaving a `with` block) stops it;
    an exception raised by the frames or the estimate is raised again in the caller."""

    def __init__(self, frames: Iterable[F], estimate: Callable[[F], R], depth: int = 1) -> None:
        self._frames = frames
        self._estimate = estimate
        self._results: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ribsdown-pose", daemon=True)

    def __enter__(self) -> EstimateAhead[F, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[R]:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()
        while True:
            item = self._results.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def waiting(self) -> bool:
        """True when a newer result (not the end, nor an error) is already waiting for the caller."""
        with self._results.mutex:
            pending = self._results.queue
            return bool(pending) and not isinstance(pending[0], (_End, _Failed))

    def close(self) -> None:
        """Stop the thread (after the frame it is on) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._results.get(timeout=_POLL_S)  # unblock a thread waiting to hand over
            except queue.Empty:
                pass
            self._thread.join(timeout=_POLL_S)

    def _run(self) -> None:
        try:
            for frame in self._frames:
                if self._stop.is_set():
                    return
                result = self._estimate(frame)
                if result is not None and not self._put(result):  # None: a frame passed over
                    return
            self._put(_End())
        except BaseException as error:  # noqa: BLE001 — handed to the caller, which raises it
            self._put(_Failed(error))

    def _put(self, item: object) -> bool:
        """Hand one item over; False when stopped before the caller took it."""
        while not self._stop.is_set():
            try:
                self._results.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False
