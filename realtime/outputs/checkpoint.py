"""The session saved as it runs: a crash, a kill or a power cut leaves a readable session.

`SessionCheckpoint` is an output of the session loop. Every `every_s` seconds of the session it
takes a snapshot of the record (the lists copied, on the loop's thread: a few hundred
microseconds) and writes it as a whole session — summary.json marked `"incomplete": true`,
frames.csv, strides.csv, each renamed into place — on a thread of its own, so the loop never
waits for the disk. The end of the session writes the final files over it (`finish`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds of session between checkpoints at first ...
CHECKPOINT_S = 5.0
#: ... and later this share of the session so far (a long session's files take longer to write:
#: a crash then loses at most 5 % of it).
CHECKPOINT_SHARE = 0.05


class SessionCheckpoint:
    """Writes `record` into `out_dir` every `every_s` seconds of frame time (one write at a time)."""

    def __init__(self, record, out_dir: Path, every_s: float = CHECKPOINT_S) -> None:
        self.record = record
        self.out_dir = out_dir
        self.every_s = every_s
        self._first_t = 0.0
        self._next_t: float | None = None
        self._writing: threading.Thread | None = None
        self.written = 0

    def handle(self, result) -> bool:
        """Once per frame: start a checkpoint when one is due and the last one has finished."""
        t = result.frame.t
        if self._next_t is None:
            self._first_t = t
            self._next_t = t + self.every_s
        if t >= self._next_t and (self._writing is None or not self._writing.is_alive()):
            self._next_t = t + max(self.every_s, CHECKPOINT_SHARE * (t - self._first_t))
            snapshot = self.record.snapshot()
            self._writing = threading.Thread(target=self._write, args=(snapshot,), name="ribsdown-checkpoint",
                                             daemon=True)
            self._writing.start()
        return True

    def _write(self, snapshot) -> None:
        try:
            snapshot.write(self.out_dir)
            self.written += 1
        except OSError as err:  # the run goes on; the final write will say what is wrong
            log.warning("could not save the session so far in %s: %s", self.out_dir, err.strerror)

    def close(self) -> None:
        """Wait for a checkpoint being written (the final files then go over it)."""
        if self._writing is not None:
            self._writing.join()
