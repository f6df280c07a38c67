"""Voice output: play a cue's WAV through pygame.mixer, one line at a time, never blocking.

Nothing happens at import. The mixer starts on `open()` (or the first `play()`); without an
audio device the player logs one warning and stays silent instead of raising.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pygame

from realtime.core.native_stderr import filtered_stderr

log = logging.getLogger(__name__)

# The clips are 22050 Hz 16-bit mono (assets/make_voices.py); opening the device at that
# rate avoids resampling, and a 512-frame buffer keeps the latency near 23 ms.
RATE = 22050
SIZE = -16  # signed 16-bit
CHANNELS = 2
BUFFER = 512


class VoicePlayer:
    """Plays voice lines from `voice_dir`, at most one at a time.

    `volume` is 0..1. A muted player starts nothing. Loaded clips are cached.
    """

    def __init__(self, voice_dir: Path, volume: float = 1.0, muted: bool = False) -> None:
        self.voice_dir = Path(voice_dir)
        self.volume = _clamp(volume)
        self.muted = muted
        self._opened = False  # open() was tried
        self._channel: pygame.mixer.Channel | None = None  # None: silent
        self._sounds: dict[str, pygame.mixer.Sound | None] = {}  # None: missing, warned

    def open(self) -> bool:
        """Start the mixer (once); return whether sound can be played."""
        if not self._opened:
            self._opened = True
            try:
                pygame.mixer.pre_init(RATE, SIZE, CHANNELS, BUFFER)
                with filtered_stderr():  # ALSA's lines when there is no sound device (--verbose shows them)
                    pygame.mixer.init()
                pygame.mixer.set_reserved(1)  # channel 0 is the voice's alone
                self._channel = pygame.mixer.Channel(0)
            except pygame.error as exc:  # muted: the user asked for silence, nothing to warn about
                (log.debug if self.muted else log.warning)("no audio device: running silent (%s)", exc)
        return self._channel is not None

    def play(self, voice_file: str) -> bool:
        """Start `voice_file` (a name in voice_dir); False if muted, busy, silent or missing."""
        if self.muted or not self.open() or self.busy():
            return False
        sound = self._load(voice_file)
        if sound is None:
            return False
        self._channel.play(sound)
        self._channel.set_volume(self.volume)  # Channel.play resets the channel volume
        return True

    def busy(self) -> bool:
        """Whether a voice line is playing now."""
        return self._channel is not None and self._channel.get_busy()

    def set_volume(self, volume: float) -> None:
        """Set the volume (clamped to 0..1), also for a line already playing."""
        self.volume = _clamp(volume)
        if self._channel is not None:
            self._channel.set_volume(self.volume)

    def toggle_mute(self) -> bool:
        """Mute or unmute; muting cuts a line that is playing. Returns the new state."""
        self.muted = not self.muted
        if self.muted and self._channel is not None:
            self._channel.stop()
        return self.muted

    def close(self) -> None:
        """Stop, forget the clips and shut the mixer down; `open()` may start it again."""
        if self._channel is not None:
            self._channel.stop()
            pygame.mixer.quit()
        self._channel = None
        self._sounds.clear()
        self._opened = False

    def _load(self, voice_file: str) -> pygame.mixer.Sound | None:
        """The cached Sound for `voice_file`; None (warned once) if it cannot be loaded."""
        if voice_file not in self._sounds:
            path = self.voice_dir / voice_file
            self._sounds[voice_file] = None
            if not path.is_file():
                log.warning("voice line missing: %s", path)
            else:
                try:
                    self._sounds[voice_file] = pygame.mixer.Sound(str(path))
                except pygame.error as exc:
                    log.warning("voice line %s cannot be played: %s", path, exc)
        return self._sounds[voice_file]


def _clamp(volume: float) -> float:
    return min(1.0, max(0.0, float(volume)))
