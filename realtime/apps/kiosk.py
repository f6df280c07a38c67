"""Gym kiosk mode: an attract screen, sessions that start and end by themselves,
nothing of the person stored, and a camera that may be unplugged and plugged back.

The kiosk keeps its own clock from the frames (`t` of each source, joined end to end
across reconnections), so its behaviour replays exactly in tests.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from typing import Callable, Iterable, Iterator

import numpy as np
import pygame

from realtime.analysis.passing import PlaceWatch
from realtime.analysis.plausibility import plausible_runner
from realtime.core.allocator import trimming
from realtime.core.errors import SourceError
from realtime.core.native_stderr import filtered_stderr
from realtime.models.pose_model import PoseModel
from realtime.outputs.digest import SessionDigest, digest
from realtime.outputs.end_screen import draw_end_screen
from realtime.outputs.layers import ScreenOutput, VoiceOutput
from realtime.outputs.overlay import fit_image
from realtime.outputs.screen import Screen
from realtime.outputs.voice import VoicePlayer
from realtime.outputs.widgets import BACKDROP, INK, MUTED, blit_image
from realtime.pipeline.estimate_ahead import EstimateAhead
from realtime.pipeline.loop import (
    Coach,
    Estimated,
    FrameResult,
    Output,
    Pipeline,
    estimate_frame,
    run_estimated,
)
from realtime.record.session import SessionRecord
from realtime.sources.capture import FileSource, Frame, FrameSource, PacedFileSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KioskTimes:
    """How the kiosk waits (seconds)."""

    start_after_s: float = 2.0  # a person seen this long starts a session
    end_after_s: float = 5.0  # nobody seen this long ends it
    end_screen_s: float = 10.0  # the end-of-session screen stays this long
    reconnect_s: float = 2.0  # first wait between attempts to reopen the camera ...
    reconnect_max_s: float = 30.0  # ... doubling up to this (a camera gone for hours is not hammered)


#: The kiosk's calibration (s of steady running before the runner's own baseline is learned).
#: A gym runner's session is often a few minutes, and 20 s (the home default) is a long wait
#: before the baseline-relative cues can speak. 10 s still holds about 13 strides of the near
#: leg at 160 steps/min (80 strides/min each leg), well over the calibration's 7, and the
#: absolute rules (e.g. ribs_down's trunk more upright than +1.5°) speak from the first stride.
KIOSK_CALIBRATION_S = 10.0


def is_video_file(source: FrameSource) -> bool:
    """True for a video file (played as fast as it decodes or at its own speed): when it ends,
    no more frames will come."""
    return isinstance(source, (FileSource, PacedFileSource))


def draw_attract(canvas: pygame.Surface, image_bgr: np.ndarray | None, font, note: str = "") -> pygame.Surface:
    """The screen shown while nobody runs: the camera dimmed, and what to do."""
    canvas.fill(BACKDROP)
    cw, ch = canvas.get_size()
    if image_bgr is not None:
        fit = fit_image(image_bgr.shape[1::-1], (cw, ch))
        blit_image(canvas, pygame.Rect(fit.offset, fit.size), image_bgr)
        shade = pygame.Surface((cw, ch), pygame.SRCALPHA)
        shade.fill((*BACKDROP, 190))
        canvas.blit(shade, (0, 0))
    lines = [
        (font(ch // 7), "ribsdown", INK),
        (font(ch // 14), "Step onto the treadmill, side-on to the camera,", INK),
        (font(ch // 14), "and start running — your coach starts by itself.", INK),
        (font(ch // 26), "Nothing of you is recorded or stored.", MUTED),
    ]
    if note:
        lines.append((font(ch // 22), note, MUTED))
    y = ch // 4
    for f, text, colour in lines:
        label = f.render(text, True, colour)
        canvas.blit(label, label.get_rect(midtop=(cw // 2, y)))
        y += label.get_height() + ch // 40
    return canvas


@dataclass(frozen=True)
class Watch:
    """An output of the session loop that ends the session when `stop(result)` says so."""

    stop: Callable[[FrameResult], bool]

    def handle(self, result: FrameResult) -> bool:
        return not self.stop(result)


class Kiosk:
    """A session-lifecycle driver over the session loop (`run_estimated`): runs forever (or `duration_s` of kiosk time) over a camera that may come and go.

    `open_source()` returns a source, raises SourceError while the camera is
    unplugged (the kiosk waits and tries again), or returns None when no source will
    ever come (the kiosk then stops). `make_coach(size)` builds a fresh coach per session.
    """

    def __init__(
        self,
        open_source: Callable[[], FrameSource | None],
        estimator: PoseModel,
        make_coach: Callable[[tuple[int, int]], Coach],
        screen: Screen,
        player: VoicePlayer | None = None,
        times: KioskTimes | None = None,
    ) -> None:
        self.open_source = open_source
        self.estimator = estimator
        self.make_coach = make_coach
        self.screen = screen
        self.player = player
        self.times = times or KioskTimes()
        self.sessions: list[SessionDigest] = []
        self._clock_offset = 0.0
        self._now = 0.0
        self._seen_since: float | None = None
        self._last_seen: float | None = None
        self._place = PlaceWatch()  # someone walking past starts no session
        self._ended_at: float | None = None
        self._quit = False
        self._fps = 30.0  # the connected camera's
        self._file = False  # the source is a video file (its end is the end of the session)
        self._started = time.monotonic()

    def run(self, duration_s: float | None = None) -> list[SessionDigest]:
        """Serve runners until `duration_s` (of kiosk time, or of the wall clock while no camera
        answers), quit (a key, the window closed, SIGTERM or Ctrl-C), or no source comes."""
        self._started = time.monotonic()
        try:
            while not self._quit and (duration_s is None or self._now < duration_s):
                source = self._connect(duration_s)
                if source is None:
                    break
                with source:
                    self._serve(source, duration_s)
                self._clock_offset = self._now + 1.0 / max(source.fps, 1.0)
                if is_video_file(source):  # the end of a video is the end of its session, not a lost camera
                    self._hold_end_screen(duration_s)
                    break
        except KeyboardInterrupt:
            log.info("kiosk stopped (Ctrl-C)")
        return self.sessions

    def _connect(self, duration_s: float | None) -> FrameSource | None:
        """The source, retried with a doubling wait; None on quit or when `duration_s` of wall
        time has passed."""
        wait = self.times.reconnect_s
        while not self._quit:
            try:
                return self.open_source()
            except SourceError as err:
                log.warning("camera unavailable (%s); trying again in %.0f s", err, wait)
                self._show_attract(None, "Camera unavailable — reconnecting…")
                if not self._wait(wait, duration_s):
                    return None
                wait = min(2 * wait, self.times.reconnect_max_s)
        return None

    def _wait(self, seconds: float, duration_s: float | None) -> bool:
        """Sleep `seconds` while answering the window (quit, SIGTERM); False when the kiosk should stop."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if "quit" in self.screen.poll():
                self._quit = True
            if self._quit or (duration_s is not None and time.monotonic() - self._started >= duration_s):
                return False
            time.sleep(0.1)
        return True

    def _serve(self, source: FrameSource, duration_s: float | None) -> None:
        """Watch the camera: idle (attract or end screen) until a person has been in view
        for `start_after_s`, then one session through the session loop, and so on."""
        self._fps = source.fps
        self._file = is_video_file(source)
        try:
            with EstimateAhead(source, partial(estimate_frame, self.estimator)) as ahead:  # the model one frame ahead
                frames = self._on_kiosk_clock(ahead)
                for estimated in frames:
                    self._track_presence(self._runner_in_place(estimated))
                    if self._seen_since is not None and self._now - self._seen_since >= self.times.start_after_s:
                        self._run_session(estimated, chain([estimated], frames), duration_s, ahead.waiting)
                    else:
                        self._idle(estimated.frame)
                    if self._quit or (duration_s is not None and self._now >= duration_s):
                        return
        except SourceError as err:
            log.warning("camera failed mid-run (%s); reconnecting", err)

    def _on_kiosk_clock(self, frames: Iterable[Estimated]) -> Iterator[Estimated]:
        """The frames with their times on the kiosk's clock (joined across reconnections)."""
        for estimated in frames:
            self._now = self._clock_offset + estimated.frame.t
            f = estimated.frame
            yield replace(estimated, frame=Frame(f.image, self._now, f.index, f.captured_at))

    def _runner_in_place(self, estimated: Estimated) -> bool:
        """A plausible upright runner who stays in place (not someone walking past)."""
        raw = estimated.raw if plausible_runner(estimated.raw) else None
        return self._place.update(self._now, raw) == "in_place"

    def _run_session(self, first: Estimated, frames: Iterable[Estimated], duration_s: float | None,
                     newer_waiting: Callable[[], bool]) -> None:
        """One runner's session: a fresh coach, the session loop with the voice, the screen and
        a watch on the runner, until they leave, the kiosk quits or its time is up."""
        h, w = first.frame.image.shape[:2]
        coach = self.make_coach((w, h))
        record = SessionRecord(source="kiosk", fps=self._fps)  # running time comes from the frames' times
        shown = ScreenOutput(self.screen, self.player, rules=coach.engine.rules, keys=False)
        outputs: list[Output] = [Watch(self._runner_gone)]
        if self.player is not None:
            outputs.append(VoiceOutput(self.player))
        outputs.append(Watch(lambda result: self._quit_asked(shown, result)))
        log.info("kiosk: session %d started at %.1f s", len(self.sessions) + 1, self._now)
        left = None if duration_s is None else duration_s - self._now
        why = "camera lost"
        try:
            run_estimated(frames, Pipeline(self.estimator, coach), record, outputs, left, newer_waiting=newer_waiting)
            why = ("runner left" if self._runner_has_left() else "kiosk stopped" if self._quit
                   else "time up" if duration_s is not None and self._now >= duration_s
                   else "video ended" if self._file else "camera lost")
        finally:
            self._end_session(record, shown, why)

    def _runner_gone(self, result: FrameResult) -> bool:
        """Presence, frame by frame: True once nobody has been seen for `end_after_s`."""
        self._track_presence(result.analysis.pose is not None)  # the analysis's own plausibility gate
        return self._runner_has_left()

    def _runner_has_left(self) -> bool:
        return self._last_seen is not None and self._now - self._last_seen >= self.times.end_after_s

    def _quit_asked(self, shown: ScreenOutput, result: FrameResult) -> bool:
        self._quit = not shown.handle(result)
        return self._quit

    def _track_presence(self, seen: bool) -> None:
        if seen:
            self._seen_since = self._now if self._seen_since is None else self._seen_since
            self._last_seen = self._now
        elif self._last_seen is None or self._now - self._last_seen > 0.5:
            self._seen_since = None

    def _end_session(self, record: SessionRecord, shown: ScreenOutput, why: str) -> None:
        """Sum the session up and show its end screen at once (the next frames keep it up
        for `end_screen_s`; a camera lost or a video ended shows it all the same)."""
        if not record.rows:
            return
        d = digest(record, shown.lean_band, shown.praise_id)
        self.sessions.append(d)
        self._ended_at = self._now
        draw_end_screen(self.screen.surface, d, self.screen.overlay.font)
        self.screen.flip()
        log.info(
            "kiosk: session %d ended at %.1f s (%s): %.0f s running, %d cue(s)",
            len(self.sessions), self._now, why, d.running_s, len(d.cues),
        )

    def _hold_end_screen(self, duration_s: float | None) -> None:
        """Keep the last session's end screen up for `end_screen_s` of wall time (a video file
        has no more frames to pace it), answering the window."""
        if self._ended_at is not None and self.sessions:
            self._wait(self.times.end_screen_s, duration_s)

    def _idle(self, frame: Frame) -> None:
        showing_end = self._ended_at is not None and self._now - self._ended_at < self.times.end_screen_s
        if showing_end and self.sessions:
            draw_end_screen(self.screen.surface, self.sessions[-1], self.screen.overlay.font)
            self.screen.flip()
        else:
            self._show_attract(frame.image)
        self._quit = "quit" in self.screen.poll()

    def _show_attract(self, image: np.ndarray | None, note: str = "") -> None:
        draw_attract(self.screen.surface, image, self.screen.overlay.font, note)
        self.screen.flip()


def command_kiosk(args) -> int:
    """`ribsdown run --kiosk`: serve runners until quit (or `--duration`), storing nothing."""
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach, estimator_config, rules_override
    from realtime.core.errors import UserError
    from realtime.core.paths import voice_dir
    from realtime.models.estimator import PoseEstimator
    from realtime.sources.capture import open_source

    if args.out is not None or args.screenshot_every is not None or args.record:
        raise UserError("kiosk mode stores nothing of the person: leave out --out, --record and --screenshot-every")
    rules = load_rules(rules_override(args.rules))

    def make_coach(size: tuple[int, int]) -> Coach:
        return build_coach(rules, size, args, calibration_s=min(args.calibration_s, KIOSK_CALIBRATION_S))

    screen = Screen()
    with filtered_stderr():  # SDL's "XDG_RUNTIME_DIR is invalid" on a machine without a desktop
        screen.open()
    pygame.mouse.set_visible(False)  # a gym screen: no pointer over the text
    if not args.headless:
        screen.toggle_fullscreen()
    draw_attract(screen.surface, None, screen.overlay.font, "Starting…")  # at once, before the model loads
    screen.flip()
    player = VoicePlayer(voice_dir(), volume=args.volume, muted=args.mute)
    player.open()
    try:
        with PoseEstimator(estimator_config(args)) as estimator:
            kiosk = Kiosk(lambda: open_source(args.source, realtime=args.realtime), estimator, make_coach, screen, player)
            with trimming():  # a kiosk runs all day: freed frames go back to the system
                sessions = kiosk.run(args.duration)
    finally:
        screen.close()
        player.close()
    print(f"kiosk served {len(sessions)} session(s)")
    return 0
