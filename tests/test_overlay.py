"""Drawing, checked by the pixels it leaves (SDL dummy video driver)."""


import numpy as np
import pygame
import pytest

from realtime.overlay import BANNER, GOOD, WARN, Overlay, View, fit_image
from tests.poses import figure


@pytest.fixture()
def canvas(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    yield pygame.Surface((1280, 720))
    pygame.display.quit()


def colour_fraction(surface: pygame.Surface, rect: pygame.Rect, colour) -> float:
    pixels = pygame.surfarray.array3d(surface.subsurface(rect))
    return float(np.mean(np.all(pixels == colour, axis=-1)))


def view(pose=None, lean=None, banner=None) -> View:
    image = np.full((1280, 720, 3), 90, np.uint8)
    return View(image_bgr=image, pose=pose, trunk_lean_deg=lean, banner_text=banner, status_text="status")


def test_fit_keeps_aspect_and_centres():
    fit = fit_image((720, 1280), (1280, 720))
    assert fit.size == (405, 720) and fit.offset == (437, 0)
    assert np.allclose(fit.to_canvas(np.array([720.0, 1280.0])), [437 + 405, 720])


def test_banner_drawn_only_when_there_is_a_cue(canvas):
    top = pygame.Rect(0, 0, 1280, 100)
    Overlay().annotate(canvas, view(figure(5, "left"), 5.0))
    assert colour_fraction(canvas, top, BANNER) == 0.0
    Overlay().annotate(canvas, view(figure(-3, "left"), -3.0, banner="Ribs down, lean forward"))
    assert colour_fraction(canvas, top, BANNER) > 0.5


def test_trunk_line_colour_follows_the_lean(canvas):
    # figure's hips are at image (500, 600): canvas x = 437 + 500 * 405/720
    body = pygame.Rect(560, 200, 160, 160)
    Overlay().annotate(canvas, view(figure(6, "left"), 6.0))
    assert colour_fraction(canvas, body, GOOD) > 0.005 and colour_fraction(canvas, body, WARN) == 0
    Overlay().annotate(canvas, view(figure(-6, "left"), -6.0))
    assert colour_fraction(canvas, body, WARN) > 0.005 and colour_fraction(canvas, body, GOOD) == 0


def test_no_pose_asks_the_runner_to_step_into_view(canvas):
    centre = pygame.Rect(440, 300, 400, 120)
    Overlay().annotate(canvas, view())
    blank = pygame.Surface((1280, 720))
    Overlay().annotate(blank, view(figure(5, "left"), None))
    # the prompt is light text on a dark backing in the centre of the screen
    light = lambda s: float(np.mean(pygame.surfarray.array3d(s.subsurface(centre)).min(axis=-1) > 220))
    assert light(canvas) > 0.05 and light(blank) < 0.01
