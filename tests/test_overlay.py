"""Drawing, checked by the pixels it leaves (SDL dummy video driver)."""


import numpy as np
import pygame

from realtime.outputs.overlay import BANNER, GOOD, WARN, Overlay, View, fit_image
from tests.poses import figure


def colour_fraction(surface: pygame.Surface, rect: pygame.Rect, colour) -> float:
    pixels = pygame.surfarray.array3d(surface.subsurface(rect))
    return float(np.mean(np.all(pixels == colour, axis=-1)))


def view(pose=None, lean=None, banner=None, ok=None) -> View:
    image = np.full((1280, 720, 3), 90, np.uint8)
    return View(image_bgr=image, pose=pose, trunk_lean_deg=lean, banner_text=banner, status_text="status", trunk_ok=ok)


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
    # the portrait image goes to the right (the band on its left is for the replay); the
    # figure's trunk runs up from its hips at image (500, 600)
    fit, _ = Overlay().layout((1280, 720), (720, 1280), gauges=False)
    hx, hy = fit.to_canvas(np.array([500.0, 600.0]))
    body = pygame.Rect(int(hx) - 80, int(hy) - 130, 160, 140)
    Overlay().annotate(canvas, view(figure(6, "left"), 6.0, ok=True))
    assert colour_fraction(canvas, body, GOOD) > 0.005 and colour_fraction(canvas, body, WARN) == 0
    Overlay().annotate(canvas, view(figure(-6, "left"), -6.0, ok=False))
    assert colour_fraction(canvas, body, WARN) > 0.005 and colour_fraction(canvas, body, GOOD) == 0
    Overlay().annotate(canvas, view(figure(6, "left"), 6.0))  # no stride judged yet: neutral
    assert colour_fraction(canvas, body, WARN) == 0 and colour_fraction(canvas, body, GOOD) == 0


def test_no_pose_asks_the_runner_to_step_into_view(canvas):
    centre = pygame.Rect(880, 300, 400, 120)  # the portrait image, right of its band
    Overlay().annotate(canvas, view())
    blank = pygame.Surface((1280, 720))
    Overlay().annotate(blank, view(figure(5, "left"), None))
    # the prompt is light text on a dark backing in the centre of the screen
    light = lambda s: float(np.mean(pygame.surfarray.array3d(s.subsurface(centre)).min(axis=-1) > 220))
    assert light(canvas) > 0.05 and light(blank) < 0.01


def test_sparkline_scale_writes_its_highest_and_lowest_values_at_their_heights(canvas):
    from realtime.outputs.widgets import MUTED, TRACK, draw_sparkline

    rect = pygame.Rect(100, 100, 500, 200)
    font = lambda size: pygame.font.Font(None, size)  # noqa: E731
    values = [-14.0, -6.0, -2.0, -9.0]
    draw_sparkline(canvas, rect, values)
    plain = pygame.surfarray.array3d(canvas.subsurface(rect)).copy()
    assert not np.any(np.all(plain == MUTED, axis=-1))
    draw_sparkline(canvas, rect, values, scale=(font, "°"))
    # guides across at the top (highest, -2) and the bottom (lowest, -14) of the line
    guide_rows = np.flatnonzero(np.mean(np.all(pygame.surfarray.array3d(canvas.subsurface(rect)) == TRACK, axis=-1), axis=0) > 0.8)
    assert guide_rows.min() < 20 and guide_rows.max() > 180
    # the two numbers, muted text at the left: just below the top, just above the bottom
    left = pygame.surfarray.array3d(canvas.subsurface(pygame.Rect(rect.x, rect.y, 80, rect.height)))
    text_rows = np.flatnonzero(np.any(np.all(left == MUTED, axis=-1), axis=0))
    assert text_rows.min() < 30 and text_rows.max() > 170 and not np.any((text_rows > 60) & (text_rows < 140))


def test_gauge_degree_sign_sits_raised_beside_the_number_in_its_colour(canvas):
    from realtime.outputs.widgets import GaugeSpec, draw_gauge

    rect = pygame.Rect(900, 140, 320, 160)
    font = lambda size: pygame.font.Font(None, size)  # noqa: E731
    spec = GaugeSpec("Trunk lean", "°", -10, 20, 0, 15, decimals=1)
    draw_gauge(canvas, rect, spec, 5.0, font)
    with_sign = pygame.surfarray.array3d(canvas.subsurface(rect)).copy()
    canvas.fill((0, 0, 0))
    draw_gauge(canvas, rect, GaugeSpec("Trunk lean", "", -10, 20, 0, 15, decimals=1), 5.0, font)
    without = pygame.surfarray.array3d(canvas.subsurface(rect))
    sign = np.all(with_sign == GOOD, axis=-1) & ~np.all(without == GOOD, axis=-1)
    xs, ys = np.nonzero(sign)
    number = np.nonzero(np.all(without == GOOD, axis=-1) & (np.arange(rect.height)[None, :] < 100))
    assert xs.size > 10  # the sign is drawn in the number's (good) colour...
    assert xs.min() >= number[0].max() - 2  # ... right of the number ...
    assert ys.max() < np.median(number[1])  # ... in its upper half, raised
