"""Keys at home, through real pygame events on SDL's dummy video driver."""

from __future__ import annotations

import numpy as np
import pygame
import pytest


@pytest.mark.parametrize("key, action", [
    (pygame.K_q, "quit"), (pygame.K_ESCAPE, "quit"), (pygame.K_m, "mute"),
    (pygame.K_r, "recalibrate"), (pygame.K_SPACE, "pause"), (pygame.K_f, "fullscreen"),
])
def test_keys_map_to_actions(screen, key, action):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))
    assert screen.poll() == [action]


def test_window_close_quits_and_resizing_keeps_drawing(screen):
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(1920, 1080), w=1920, h=1080))
    screen.poll()
    assert screen.surface.get_size() == (1920, 1080)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert screen.poll() == ["quit"]
    assert np.asarray(pygame.surfarray.array3d(screen.surface)).shape == (1920, 1080, 3)
