"""The live session's side effects: the screen and the voice, fed each FrameResult."""

from __future__ import annotations

from pathlib import Path

from cues.audio import VoicePlayer
from realtime.loop import FrameResult
from realtime.overlay import View
from realtime.screen import Screen


def what_we_see(result: FrameResult) -> str:
    """The runner-facing part of the status line: the most useful thing to know now."""
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
    if a.calibration_left_s is not None:
        return f"Calibrating — {a.calibration_left_s:.0f} s{cadence}"
    return f"Running{cadence}"


def status_line(result: FrameResult, loop_fps: float, muted: bool) -> str:
    """The bottom line: what the app sees and how fast it runs."""
    sound = "  ·  muted (M)" if muted else ""
    return f"{what_we_see(result)}  ·  {loop_fps:4.1f} fps{sound}  ·  Q quit  F fullscreen  M mute"


class VoiceOutput:
    """Speaks each cue the engine picks."""

    def __init__(self, player: VoicePlayer) -> None:
        self.player = player

    def handle(self, result: FrameResult) -> bool:
        """Play the frame's cue, if any."""
        if result.cue is not None and result.cue.spoken:
            self.player.play(result.cue.voice)
        return True


class ScreenOutput:
    """Shows each frame with its overlay; handles the keys."""

    def __init__(
        self,
        screen: Screen,
        player: VoicePlayer | None = None,
        screenshots: "ScreenshotSchedule | None" = None,
    ) -> None:
        self.screen = screen
        self.player = player
        self.screenshots = screenshots
        self._last_t: float | None = None
        self._fps = 0.0

    def handle(self, result: FrameResult) -> bool:
        """Draw the frame; False when the user asked to quit."""
        self._update_fps(result.frame.captured_at)
        muted = bool(self.player and self.player.muted)
        view = View(
            image_bgr=result.frame.image,
            pose=result.pose,
            trunk_lean_deg=result.posture.trunk_lean_deg,
            banner_text=result.banner.text if result.banner else None,
            status_text=status_line(result, self._fps, muted),
        )
        self.screen.show(view)
        if self.screenshots is not None and self.screenshots.due(result.frame.t):
            self.screen.save(self.screenshots.path_for(result.frame.t))
        actions = self.screen.poll()
        if "mute" in actions and self.player is not None:
            self.player.toggle_mute()
        return "quit" not in actions

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
