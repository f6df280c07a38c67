"""The live session's side effects: the screen and the voice, fed each FrameResult."""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from cues.rules import RuleSet, good_band, lean_band, load_rules
from realtime.analysis.camera_roll import MIN_CONFIDENCE, rotate_points
from realtime.core.clock import clock
from realtime.core.pose import Pose
from realtime.outputs.back_overlay import BackHold
from realtime.outputs.digest import digest
from realtime.outputs.end_screen import HIP_BAND_BEHIND, draw_end_screen
from realtime.outputs.overlay import View
from realtime.outputs.recorder import VideoRecorder
from realtime.outputs.replay import InstantReplay, ReplayBuffer
from realtime.outputs.screen import Screen
from realtime.outputs.voice import VoicePlayer
from realtime.outputs.widgets import GaugeSpec
from realtime.pipeline.loop import FrameResult
from realtime.record.session import SessionRecord

log = logging.getLogger(__name__)

#: The gauges' scales; their good bands come from the cue rules (`screen_gauges`): trunk lean
#: at midstance (the value of the last near-leg stride: the one strides.csv records and the
#: rules judge), and the cadence floor of shorter_steps (no fixed 180 target).
TRUNK_GAUGE = GaugeSpec("Trunk lean · last stride", "°", -10.0, 25.0, 0.0, 15.0, decimals=1)
CADENCE_GAUGE = GaugeSpec("Cadence", "steps/min", 120.0, 200.0, 160.0, 200.0)
#: Degrees of the thigh behind vertical at toe-off, worded as the report words it ("12° behind");
#: the band is the end screen's (`HIP_BAND_BEHIND`).
HIP_GAUGE = GaugeSpec("Hip extension", "° behind", -10.0, 35.0, *HIP_BAND_BEHIND, signed=False)

def pose_on_image(result: FrameResult) -> Pose | None:
    """The frame's smoothed pose where it lies on the camera image. The analysis levels the pose
    (it undoes the camera's roll, so that angles are measured from true vertical) but the picture
    is shown as the camera took it: the roll is put back for drawing, else a 2° roll moves the
    feet of a 1280-pixel-tall picture by 20 pixels off the body."""
    pose, roll = result.pose, result.analysis.scene.roll
    if pose is None or roll is None or roll.confidence < MIN_CONFIDENCE:
        return pose
    h, w = result.frame.image.shape[:2]
    return pose.with_xy(rotate_points(pose.xy, -roll.roll_deg, (w / 2.0, h / 2.0)))


#: Set-up checks shown before running, and the warnings that fail each.
CHECKS = (
    ("Whole body in the picture", {"no_person", "body_cut_off"}),
    ("Side-on to the camera", {"not_side_on"}),
    ("Distance", {"too_far", "too_close"}),
    ("Light", {"too_dark"}),
)


#: The stride metrics read from the back's outline: a cue reading any of them is about arching.
OUTLINE_METRICS = frozenset({"thorax_pelvis_deg", "pelvic_deg", "lumbar_arch", "rib_flare"})


def screen_gauges(rules: RuleSet) -> tuple[GaugeSpec, GaugeSpec]:
    """The trunk-lean and cadence gauges with their good bands from `rules`."""
    lean = lean_band(rules)
    cadence = good_band(rules, "cadence_spm", (CADENCE_GAUGE.band_lo, CADENCE_GAUGE.band_hi), alone=False)
    return (replace(TRUNK_GAUGE, band_lo=lean[0], band_hi=lean[1]),
            replace(CADENCE_GAUGE, band_lo=cadence[0], band_hi=cadence[1]))


def arching_cues(rules: RuleSet) -> frozenset[str]:
    """The cues that draw the back's lines in the warning colour while at fault (or on their
    banner): those reading the outline."""
    return frozenset(r.id for r in rules.cues if r.metrics & OUTLINE_METRICS)


def what_we_see(result: FrameResult) -> str:
    """The runner-facing part of the status line: the most useful thing to know now. The
    calibration countdown is left out while a cue's banner is up: the banner is the coach
    speaking, and "Calibrating" beside it would read as "not coaching yet"."""
    a = result.analysis
    if a.pose is None:
        return "Step into view — side-on to the camera, whole body in frame"
    if a.setup:
        return a.setup[0].text
    if a.posture.facing is None:
        return "Finding your running direction…"
    if not a.running:
        return "Start running — coaching begins when you run"
    cadence = f"  ·  {a.cadence_spm:.0f} steps/min" if a.cadence_spm else ""
    if a.calibration_left_s is not None and result.banner is None:
        if a.calibration_left_s < 0.5:  # the time is in, the strides not yet steady enough to learn from
            return f"Calibrating — keep a steady pace{cadence}"
        return f"Calibrating — {a.calibration_left_s:.0f} s{cadence}"
    return f"Running{cadence}"


#: The keys, as the status line's small print (not in kiosk mode: a gym screen has no keyboard).
KEY_HINTS = "Q quit · M mute · F full screen · R recalibrate · Space pause"


def status_detail(result: FrameResult, loop_fps: float, muted: bool, keys: bool = True) -> str:
    """The status line's small print: how fast it runs, the sound, the keys."""
    sound = "  ·  muted" if muted else ""
    mode = f" ({result.mode}: keeping pace)" if result.mode else ""
    hints = f"  ·  {KEY_HINTS}" if keys else ""
    return f"{loop_fps:4.1f} fps{mode}{sound}{hints}"


def status_line(result: FrameResult, loop_fps: float, muted: bool, keys: bool = True) -> str:
    """The whole bottom line as one string: what the app sees, then the small print."""
    return f"{what_we_see(result)}  ·  {status_detail(result, loop_fps, muted, keys)}"


def checklist(result: FrameResult) -> tuple[tuple[str, bool], ...] | None:
    """The set-up checklist, shown while a person is in view but not running yet."""
    a = result.analysis
    if a.running or a.pose is None:
        return None
    failing = {w.id for w in a.setup}
    return tuple((label, not (ids & failing)) for label, ids in CHECKS)


class VoiceOutput:
    """Speaks each cue the engine picks."""

    def __init__(self, player: VoicePlayer) -> None:
        self.player = player

    def handle(self, result: FrameResult) -> bool:
        """Play the frame's cue, if any."""
        if result.cue is not None and result.cue.spoken:
            self.player.play(result.cue.voice)
        return True


class LiveReadings:
    """The gauge values: trunk lean at midstance of the last near-leg stride (the value the
    record keeps and the rules judge: the screen shows no other lean), cadence, and the hip
    extension of the last few strides (° behind vertical)."""

    def __init__(self, strides: int = 5, gauges: tuple[GaugeSpec, GaugeSpec] = (TRUNK_GAUGE, CADENCE_GAUGE)) -> None:
        self.trunk_gauge, self.cadence_gauge = gauges
        self._hips: deque[float] = deque(maxlen=strides)
        self.last_stride: tuple[float, float] | None = None
        self.last_lean: float | None = None

    @property
    def hip_extension(self) -> float | None:
        """Median thigh extension of the last few near-leg strides (one odd stride never shows)."""
        return float(np.median(self._hips)) if self._hips else None

    def lean_ok(self, band: tuple[float, float]) -> bool | None:
        """Is the shown lean in `band` (None before the first stride)?"""
        return None if self.last_lean is None else band[0] <= self.last_lean <= band[1]

    def update(self, result: FrameResult) -> tuple[tuple[GaugeSpec, float | None], ...]:
        """Take one frame in; the three gauges with their values."""
        a = result.analysis
        for stride in a.strides:
            if stride.near:
                self.last_stride = (stride.t_contact, stride.t_next_contact)
                self.last_lean = stride.trunk_lean_midstance_deg
                if stride.thigh_extension_deg is not None:
                    self._hips.append(stride.thigh_extension_deg)
        if not a.running:  # a stop: the next strides are new ones
            self.last_lean = None
        cadence = a.cadence_spm if a.running else None
        hip = self.hip_extension if a.running else None
        return ((self.trunk_gauge, self.last_lean), (self.cadence_gauge, cadence),
                (HIP_GAUGE, None if hip is None else -hip))


class ScreenOutput:
    """Shows each frame with its overlay, the replay after a cue, and the keys; the good bands
    and the arching cue from the session's cue `rules` (default: the shipped ones)."""

    def __init__(
        self,
        screen: Screen,
        player: VoicePlayer | None = None,
        screenshots: "ScreenshotSchedule | None" = None,
        on_recalibrate: Callable[[], None] | None = None,
        recorder: VideoRecorder | None = None,
        rules: RuleSet | None = None,
        keys: bool = True,
    ) -> None:
        rules = rules if rules is not None else load_rules()
        self.screen = screen
        self.keys = keys
        self.praise_id = rules.praise.id if rules.praise is not None else "praise"
        self.lean_band = lean_band(rules)
        self.arching = arching_cues(rules)
        self.recorder = recorder
        self.player = player
        self.screenshots = screenshots
        self.on_recalibrate = on_recalibrate
        self.readings = LiveReadings(gauges=screen_gauges(rules))
        self.replay_buffer = ReplayBuffer()
        self.replay = InstantReplay()
        self._last_t: float | None = None
        self._fps = 0.0
        self._shown_any = False
        self.back = BackHold()
        self._t0: float | None = None
        self.last_cue: tuple[str, bool] | None = None

    def handle(self, result: FrameResult) -> bool:
        """Draw the frame; False when the user asked to quit."""
        self._update_fps(result.frame.captured_at)
        t = result.frame.t
        self._t0 = t if self._t0 is None else self._t0
        if result.cue is not None and result.cue.spoken:
            self.last_cue = (f"{clock(t - self._t0)}  {result.cue.text}", result.cue.id == self.praise_id)
        # the model's own landmarks on this very frame: in the picture's pixels and without the
        # smoothing's lag, which slow motion would show as a skeleton trailing the legs
        self.replay_buffer.push(t, result.frame.image, result.raw, result.posture.trunk_lean_deg)
        gauges = self.readings.update(result)
        if result.cue is not None and result.cue.spoken and self.readings.last_stride is not None:
            self.replay.start(t, self.replay_buffer.clip(*self.readings.last_stride), praise=result.cue.id == self.praise_id)
        shot = self.screenshots is not None and self.screenshots.due(t)
        # nothing is drawn in a minimised window, nor a frame that a newer one already follows
        if (self.screen.visible and not result.superseded) or shot or self.recorder is not None:
            self.screen.show(self.view(result, gauges))
            if result.timing is not None:
                result.timing.shown_at = time.monotonic()
            if not self._shown_any:
                self._shown_any = True
                log.debug("first frame on screen")  # bench/first_frame.py times the start-up by this line
        if self.recorder is not None:
            self.recorder.write(self.screen.surface)
        if shot:
            self.screen.save(self.screenshots.path_for(t))
        return self._act(self.screen.poll(), result)

    def view(self, result: FrameResult, gauges) -> View:
        """Everything the frame shows."""
        muted = bool(self.player and self.player.muted)
        return View(
            image_bgr=result.frame.image,
            pose=pose_on_image(result),
            trunk_lean_deg=self.readings.last_lean,
            banner_text=result.banner.text if result.banner else None,
            status_text=what_we_see(result),
            status_detail=status_detail(result, self._fps, muted, self.keys),
            banner_calm=result.banner is not None and result.banner.id == self.praise_id,
            last_cue=self.last_cue,
            gauges=gauges,
            replay=self.replay.frame_at(result.frame.t),
            checklist=checklist(result),
            trunk_ok=self.readings.lean_ok(self.lean_band),
            back=self.back.update(result.analysis.rib_cage, result.frame.t),
            arched=bool(self.arching & result.in_fault) or (result.banner is not None and result.banner.id in self.arching),
        )

    def finish(self, record: SessionRecord, wait_s: float = 0.0) -> None:
        """Show the end-of-session screen (saved with the screenshots), for `wait_s` or a key."""
        draw_end_screen(self.screen.surface, digest(record, self.lean_band, self.praise_id), self.screen.overlay.font)
        self.screen.flip()
        if self.screenshots is not None:
            self.screen.save(self.screenshots.folder / "end_of_session.png")
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not self.screen.poll():
            time.sleep(0.05)

    def _act(self, actions: list[str], result: FrameResult) -> bool:
        if "mute" in actions and self.player is not None:
            self.player.toggle_mute()
        if "recalibrate" in actions and self.on_recalibrate is not None:
            self.on_recalibrate()
        if "pause" in actions:
            return self._pause(result)
        return "quit" not in actions

    def _pause(self, result: FrameResult) -> bool:
        """Hold the screen until Space again (True) or quit (False); the camera keeps only its newest frame."""
        gauges = self.readings.update(result)
        paused = self.view(result, gauges)
        self.screen.show(replace(paused, banner_text="Paused — Space to go on"))
        while True:
            actions = self.screen.poll()
            if "quit" in actions:
                return False
            if "pause" in actions:
                return True
            time.sleep(0.05)

    def _update_fps(self, now: float) -> None:
        if self._last_t is not None and now > self._last_t:
            instant = 1.0 / (now - self._last_t)
            self._fps = instant if self._fps == 0.0 else 0.9 * self._fps + 0.1 * instant
        self._last_t = now


class ScreenshotSchedule:
    """Saves what the screen shows every `every_s` seconds of session time into `folder`."""

    def __init__(self, folder: Path, every_s: float) -> None:
        self.folder = folder
        self.every_s = every_s
        self._next_t: float | None = None

    def due(self, t: float) -> bool:
        """True when a screenshot is due at `t` (the first frame always is)."""
        if self._next_t is not None and t < self._next_t:
            return False
        self._next_t = (self._next_t if self._next_t is not None else t) + self.every_s
        while self._next_t <= t:
            self._next_t += self.every_s
        return True

    def path_for(self, t: float) -> Path:
        """The PNG file for a screenshot at `t`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"screen_{t:08.2f}s.png"
