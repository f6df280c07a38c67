"""Keeping pace with a live camera: step the model down when it cannot keep up, back up when it can.

A camera does not wait. When the model takes longer than the time between two frames, a loop
that insists on the best model falls behind: frames are dropped at random and every picture on
screen is late. So a live session runs on a ladder of modes, each cheaper than the one above:

1. the chosen model — the default;
2. each lighter model in turn, down to the lite one (their times in `_COST`);
3. the lite model on every other frame (half the frames).

Every rung keeps the segmentation mask (the back's outline, and with it the outline way of
the ribs-down cue): read on the model's own crop (`realtime.models.pose_graph`) it costs about
2 ms of the model's 24 a frame (`bench/roi_mask.py`), so dropping it would buy little and lose the cue.

`PaceGovernor` (pure) decides from what it measures on each frame the model sees — the
model's wall time (on a loaded machine that includes the time other processes take the core)
and the gaps in the camera's frame numbers (frames dropped before the model saw them) — over
the last `WINDOW_S` seconds. `PacedModels` (the side effects) holds one model per mode, built
on a thread before it is needed, and runs the frame through the governor's mode.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

#: Seconds of frames the governor judges the pace over (about 60 frames at 30 fps).
WINDOW_S = 2.0
#: A mode is kept at least this long before a step down: a new model's first frame runs the
#: person detector (about 10 ms more), and a window must fill with the new mode's frames.
MIN_DWELL_S = 2.0
#: The frames of a mode's first this many seconds are not judged: they carry the one-off costs
#: of the start or the switch (a new model's person detection, a tracking restart, the next
#: rung's model built on a thread, the screen's first drawing), which on a quiet 2-core machine
#: dropped 5 of the first 30 frames and then 6 after each step down — each step causing the next
#: (bench/live_loop.py at 30 fps: full → lite → lite/2 in 4 s with nothing else running).
SETTLE_S = 1.0
#: The first step back up waits this long in the lower mode; each step down from a mode that
#: was stepped up into doubles the wait (so a machine on the edge does not flap between two).
UP_DWELL_S = 8.0
#: Step down when the model's p90 time is longer than its frame interval (the model runs on its
#: own thread, one frame ahead, so the decode, the coach and the drawing overlap it: it keeps
#: pace while it fits the interval; 0.92 stepped down on a quiet machine whenever a one-second
#: burst of other work took the full model's p90 from 24 to 30 ms, with every frame still taken) ...
BUSY_DOWN = 1.0
#: ... or when fewer than this share of the frames the mode should take reached the model.
SHARE_DOWN = 0.93
#: Step down to running the model less often only when the current mode takes less than this
#: many times the share of the camera's frames the sparser mode can (every other frame: 55 %).
#: Then the sparser mode loses at most a tenth of the frames and spaces them evenly; above it,
#: it would throw frames away: on a 60 fps camera the lite model on every frame took 89 % of
#: them (`bench/live_loop.py`, 2-core machine), every other frame at most 50 %.
SPARSE_DOWN = 1.1
#: Step up only when the mode above is predicted to fill at most this share of its interval
#: and the share of frames taken is at least `SHARE_UP`.
BUSY_UP = 0.80
SHARE_UP = 0.98


@dataclass(frozen=True)
class Mode:
    """One rung of the ladder: which model, with or without the mask, every how many frames."""

    model: str
    mask: bool
    every: int
    #: The model's time relative to the full model with the mask, per processed frame (`_COST`).
    cost: float

    @property
    def name(self) -> str:
        """A short id for logs and summary.json, e.g. `full+mask`, `lite/2`."""
        return f"{self.model}{'+mask' if self.mask else ''}{f'/{self.every}' if self.every > 1 else ''}"

    @property
    def label(self) -> str:
        """What the screen says while in this mode below the ladder's top, e.g. "lite model,
        every other frame"."""
        parts = [f"{self.model} model"]
        if not self.mask:
            parts.append("no back outline")
        if self.every > 1:
            parts.append(f"every {'other' if self.every == 2 else self.every} frame")
        return ", ".join(parts)


#: Each model's time a frame with the mask (on its crop), relative to the full model's, at
#: 720×1280 on one inference thread: lite 16.4 ms against full 20.6 ms (p50; CPU 17.9 against
#: 22.0 ms a frame, `bench/model_threads.py --models lite,full --masks on --threads 1`); heavy
#: about 2.3× full.
_COST = {"lite": 0.80, "full": 1.0, "heavy": 2.3}
#: The models from the heaviest down.
_MODELS = ("heavy", "full", "lite")


def ladder(model: str, lite_available: bool = True) -> tuple[Mode, ...]:
    """The modes from `model` down through each lighter model to the lite one on every other frame.

    Without the lite model's file the ladder skips it (and ends with the lightest on every other frame).
    """
    lighter = _MODELS[_MODELS.index(model):]
    names = [m for m in lighter if m != "lite" or lite_available or m == model]
    modes = [Mode(name, True, 1, _COST[name]) for name in names]
    modes.append(Mode(names[-1], True, 2, _COST[names[-1]]))
    return tuple(modes)


@dataclass(frozen=True)
class Switch:
    """A change of mode at camera time `t` (seconds), and why."""

    t: float
    frm: int
    to: int
    reason: str


class PaceGovernor:
    """Picks the ladder's mode frame by frame from the measured pace (pure: no clock, no I/O).

    `observe(t, index, model_ms)` for every frame the model ran on; `skip(t, index)` for a frame
    the mode passes over. `fps` is the camera's declared rate (its frame interval).
    """

    def __init__(self, modes: tuple[Mode, ...], fps: float) -> None:
        self.modes = modes
        self.interval_ms = 1000.0 / fps if fps > 0 else 1000.0 / 30.0
        self.level = 0
        self.switches: list[Switch] = []
        self._since = None  # camera time the current mode began
        self._window: deque[tuple[float, int, float | None]] = deque()  # (t, index, model ms or None)
        self._up_wait = {i: UP_DWELL_S for i in range(len(modes))}
        self.time_in: dict[int, float] = {}
        self._last_t: float | None = None

    @property
    def mode(self) -> Mode:
        """The mode the next frame runs in."""
        return self.modes[self.level]

    def takes(self, index: int) -> bool:
        """Whether the current mode runs the model on the frame numbered `index`."""
        return index % self.mode.every == 0

    def observe(self, t: float, index: int, model_ms: float | None, judge: bool = True) -> None:
        """A frame the model ran on (`model_ms`), or passed over (None); may change the mode.

        `judge` False: the frame's time does not tell the pace (a model was being built beside
        it): the window starts again after it.
        """
        if self._last_t is not None:
            self.time_in[self.level] = self.time_in.get(self.level, 0.0) + max(0.0, t - self._last_t)
        self._last_t = t
        if self._since is None:
            self._since = t
        if not judge or t - self._since < SETTLE_S:
            self._window.clear()
            return
        self._window.append((t, index, model_ms))
        while self._window and self._window[0][0] < t - WINDOW_S:
            self._window.popleft()
        self._decide(t)

    def skip(self, t: float, index: int, judge: bool = True) -> None:
        """A frame the mode passes over (every other frame)."""
        self.observe(t, index, None, judge)

    def pace(self) -> tuple[float, float] | None:
        """(busy, share) over the window: the model's p90 time over its frame interval, and the
        frames it ran on over those the mode should take; None before the window has filled."""
        if len(self._window) < 2 or self._window[-1][0] - self._window[0][0] < 0.75 * WINDOW_S:
            return None
        times = [ms for _, _, ms in self._window if ms is not None]
        if not times:
            return None
        every = self.mode.every
        span = self._window[-1][1] - self._window[0][1] + 1
        share = len(times) / max(1.0, span / every)
        return float(np.percentile(times, 90)) / (self.interval_ms * every), min(1.0, share)

    def _decide(self, t: float) -> None:
        measured = self.pace()
        if measured is None:
            return
        busy, share = measured
        dwell = t - self._since
        if self.level + 1 < len(self.modes) and dwell >= MIN_DWELL_S and self._behind(busy, share):
            if self._stepped_up_into(self.level):  # it could not hold: wait longer below before trying again
                self._up_wait[self.level + 1] *= 2
            self._go(t, self.level + 1, f"model p90 {busy:.0%} of its frame time, {share:.0%} of frames taken")
            return
        if self.level > 0 and dwell >= self._up_wait[self.level] and share >= SHARE_UP:
            up, here = self.modes[self.level - 1], self.mode
            predicted = busy * (up.cost / here.cost) * (here.every / up.every)
            if predicted <= BUSY_UP:
                self._go(t, self.level - 1, f"predicted model p90 {predicted:.0%} of its frame time")

    def _behind(self, busy: float, share: float) -> bool:
        """Whether the next mode down would keep pace better. To a lighter model: when this one's
        p90 passes its frame interval or it takes too few frames. To running less often: only
        when this mode takes hardly more frames than that one would (`SPARSE_DOWN`)."""
        here, below = self.mode, self.modes[self.level + 1]
        if below.every > here.every:
            return share * below.every / here.every < SPARSE_DOWN
        return busy > BUSY_DOWN or share < SHARE_DOWN

    def _stepped_up_into(self, level: int) -> bool:
        """The last switch was a step up into `level`."""
        return bool(self.switches) and self.switches[-1].to == level and self.switches[-1].frm > level

    def _go(self, t: float, level: int, reason: str) -> None:
        self.switches.append(Switch(t, self.level, level, reason))
        self.level = level
        self._since = t
        self._window.clear()

    def summary(self) -> dict:
        """For summary.json: the seconds spent in each mode and every switch."""
        return {
            "modes": {self.modes[i].name: round(s, 2) for i, s in sorted(self.time_in.items())},
            "switches": [{"t": round(s.t, 3), "to": self.modes[s.to].name, "why": s.reason} for s in self.switches],
        }


class PacedModels:
    """The live session's models, one per mode of the ladder, run as the governor says.

    `make(mode)` builds a mode's model (a `PoseModel` with `reset()` and `close()`). The top
    mode's model is built at once; the mode below the current one is built on a thread ahead
    of need, so that a step down costs no stall; models once built are kept for a step back up.
    Modes that differ only in how often they run share one model (one model is about 100 MB).
    """

    def __init__(self, governor: PaceGovernor, make: Callable[[Mode], object]) -> None:
        self.governor = governor
        self._make = make
        self._models: dict[tuple[str, bool], object] = {_key(governor.modes[0]): make(governor.modes[0])}
        self._building: dict[tuple[str, bool], threading.Thread] = {}
        self._lock = threading.Lock()
        self._level_in_use = 0
        self.last_ms = 0.0
        self._prepare(1)  # the first step down's model, built while the session starts

    @property
    def mode(self) -> Mode:
        """The current mode."""
        return self.governor.mode

    @property
    def label(self) -> str:
        """What the screen says of the current mode: nothing at the top of the ladder."""
        return "" if self.governor.level == 0 else self.mode.label

    def estimate_frame(self, image, t: float, index: int):
        """(pose or None, ran): the model of the current mode on this frame, or (None, False)
        when the mode passes over it."""
        gov = self.governor
        judge = not self.building  # a model built beside the frame slows it: no verdict from it
        if not gov.takes(index):
            gov.skip(t, index, judge)
            return None, False
        model = self._model(gov.level)
        start = time.perf_counter()
        pose = model.estimate(image, t)
        self.last_ms = model.last_ms
        gov.observe(t, index, (time.perf_counter() - start) * 1000.0, judge)
        self._prepare(gov.level + 1)
        return pose, True

    @property
    def building(self) -> bool:
        """A model is being built on its thread."""
        return any(thread.is_alive() for thread in self._building.values())

    def warm_up(self, image) -> None:
        """Run the top model once on `image` (its first frame builds its delegates, about
        0.1 s) and forget it: bench/live_loop.py keeps that out of the timed run."""
        model = self._models[_key(self.governor.modes[0])]
        model.estimate(image, 0.0)
        if hasattr(model, "reset"):
            model.reset()

    def _model(self, level: int):
        """The model of `level`, built now if its thread has not finished it; its tracking
        restarts when the mode changed since it last ran."""
        key = _key(self.governor.modes[level])
        thread = self._building.get(key)
        if thread is not None:
            thread.join()
        with self._lock:
            if key not in self._models:
                self._models[key] = self._make(self.governor.modes[level])
            model = self._models[key]
        if level != self._level_in_use:
            log.debug("live mode: %s (%s)", self.governor.modes[level].name, self.governor.switches[-1].reason
                     if self.governor.switches else "start")
            if hasattr(model, "reset"):
                model.reset()
            self._level_in_use = level
        return model

    def _prepare(self, level: int) -> None:
        """Build the model of `level` on a thread, once, before it is needed."""
        if level >= len(self.governor.modes):
            return
        key = _key(self.governor.modes[level])
        if key in self._models or key in self._building:
            return

        def build() -> None:
            model = self._make(self.governor.modes[level])
            with self._lock:
                self._models.setdefault(key, model)

        thread = threading.Thread(target=build, name=f"ribsdown-model-{level}", daemon=True)
        self._building[key] = thread
        thread.start()

    def close(self) -> None:
        """Release every model built."""
        for thread in self._building.values():
            thread.join()
        for model in self._models.values():
            if hasattr(model, "close"):
                model.close()


def _key(mode: Mode) -> tuple[str, bool]:
    """What a mode's model is: the network and the mask (how often it runs is the governor's)."""
    return mode.model, mode.mask
