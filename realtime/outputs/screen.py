"""The window: a resizable pygame display fed one `View` per frame, and its keys.

Set `SDL_VIDEODRIVER=dummy` (the CLI's `--headless`) to run the same drawing
without a window.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pygame

from realtime.outputs.overlay import Overlay, View

log = logging.getLogger(__name__)

KEY_ACTIONS = {
    pygame.K_q: "quit",
    pygame.K_ESCAPE: "quit",
    pygame.K_m: "mute",
    pygame.K_f: "fullscreen",
    pygame.K_r: "recalibrate",
    pygame.K_SPACE: "pause",
}


class Screen:
    """A pygame window showing the annotated camera image."""

    def __init__(self, size: tuple[int, int] = (1280, 720), title: str = "ribsdown") -> None:
        self.size = size
        self.title = title
        self.overlay = Overlay()
        self._display: pygame.Surface | None = None
        self._fullscreen = False

    def open(self) -> None:
        """Create the window (or the dummy driver's surface)."""
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption(self.title)
        self._display = pygame.display.set_mode(self.size, pygame.RESIZABLE)
        log.debug("video driver: %s", pygame.display.get_driver())

    @property
    def surface(self) -> pygame.Surface:
        """What the screen shows now."""
        if self._display is None:
            raise RuntimeError("Screen.open() first")
        return self._display

    @property
    def visible(self) -> bool:
        """False while the window is minimised: nothing drawn would be seen."""
        return self._display is not None and bool(pygame.display.get_active())

    def show(self, view: View) -> None:
        """Draw `view` and put it on screen."""
        self.overlay.annotate(self.surface, view)
        self.flip()

    def flip(self) -> None:
        """Put what was drawn on the surface on screen."""
        pygame.display.flip()

    def poll(self) -> list[str]:
        """Handle window events; return the user's actions ("quit", "mute", ...)."""
        actions = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                actions.append("quit")
            elif event.type == pygame.KEYDOWN and event.key in KEY_ACTIONS:
                actions.append(KEY_ACTIONS[event.key])
            elif event.type == pygame.VIDEORESIZE and not self._fullscreen:
                self._display = pygame.display.set_mode(event.size, pygame.RESIZABLE)
        if "fullscreen" in actions:
            self.toggle_fullscreen()
        return actions

    def toggle_fullscreen(self) -> None:
        """Switch between a window and the full screen."""
        self._fullscreen = not self._fullscreen
        flags = pygame.FULLSCREEN if self._fullscreen else pygame.RESIZABLE
        self._display = pygame.display.set_mode((0, 0) if self._fullscreen else self.size, flags)

    def save(self, path: Path) -> None:
        """Save what the screen shows as a PNG."""
        pygame.image.save(self.surface, str(path))

    def close(self) -> None:
        """Close the window."""
        pygame.display.quit()


def use_headless_video() -> None:
    """Select SDL's dummy video driver unless the caller chose one."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
