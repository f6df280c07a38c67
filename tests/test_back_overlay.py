"""The back on the runner (outline, pelvic and thoracic lines), checked by the pixels it leaves.

A silhouette is drawn with `cv2.fillPoly` (tests/test_rib_cage.py's `render`), measured for
real by `measure_rib_cage`, and the frame is drawn on SDL's dummy video driver.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import numpy as np
import pygame
import pytest

from realtime.analysis.rib_cage import RibCageSample, measure_rib_cage
from realtime.outputs import back_overlay as bo
from realtime.outputs import overlay as overlay_module
from realtime.outputs.overlay import Overlay, View
from realtime.outputs.widgets import GOOD, MUTED, WARN
from tests.test_rib_cage import Back, Scene, render

#: An extended upper back (+10°) over a small hollow, leaning 5° forward, facing left.
ARCHED_BACK = Back(pelvic_deg=2.0, thoracic_deg=12.0, hollow=0.03)


@pytest.fixture(scope="module")
def scene() -> Scene:
    return render(ARCHED_BACK, lean_deg=5.0, facing="left")


@pytest.fixture(scope="module")
def sample(scene) -> RibCageSample:
    found = measure_rib_cage(scene.mask, scene.pose, scene.facing)
    assert found is not None and found.confidence > 0.8
    return found


@pytest.fixture(autouse=True)
def back_drawn(monkeypatch):
    """These tests check where the back's marks go when they are drawn."""
    monkeypatch.setattr(overlay_module, "DRAW_BACK", True)


def frame_view(scene: Scene, back: RibCageSample | None, arched: bool = False, trunk_ok: bool = False) -> View:
    """The scene's frame: the silhouette in grey on a darker grey, the pose, the trunk
    line and its angle (WARN unless `trunk_ok`, so its pill's colour differs from the
    back lines' under test)."""
    grey = (40 + 120 * scene.mask).astype(np.uint8)
    image = np.repeat(grey[:, :, None], 3, axis=2)
    return View(image_bgr=image, pose=scene.pose, trunk_lean_deg=5.0, banner_text=None,
                status_text="status", trunk_ok=trunk_ok, back=back, arched=arched)


def to_canvas(screen, scene: Scene):
    """The image → canvas mapping the overlay uses for this scene (no gauge panel)."""
    h, w = scene.mask.shape
    return Overlay().layout(screen.surface.get_size(), (w, h), gauges=False)[0].to_canvas


def along(segment: np.ndarray, n: int = 12) -> np.ndarray:
    """`n` points `(n, 2)` along the middle 80% of a segment `(2, 2)`."""
    f = np.linspace(0.1, 0.9, n)[:, None]
    return segment[0] + f * (segment[1] - segment[0])


def hits(surface: pygame.Surface, points: np.ndarray, colour) -> float:
    """Share of the canvas `points` with exactly `colour` in their 3×3 neighbourhood."""
    pixels = pygame.surfarray.array3d(surface)  # (W, H, 3)
    found = 0
    for x, y in np.rint(points).astype(int):
        patch = pixels[x - 1:x + 2, y - 1:y + 2]
        found += bool(np.any(np.all(patch == colour, axis=-1)))
    return found / len(points)


def line_points(screen, scene: Scene, sample: RibCageSample) -> np.ndarray:
    """Canvas points along both fitted lines."""
    mapping = to_canvas(screen, scene)
    return np.concatenate([along(mapping(sample.pelvic_line)), along(mapping(sample.thoracic_line))])


# ------------------------------------------------------------------ the real drawing


def test_fitted_lines_are_drawn_where_the_sample_puts_them(screen, scene, sample):
    screen.show(frame_view(scene, sample))
    assert hits(screen.surface, line_points(screen, scene, sample), GOOD) >= 0.95
    # a few pixels beside the back (outside the body, in front of nothing) stay clear
    beside = line_points(screen, scene, sample) + (12.0, 0.0)
    assert hits(screen.surface, beside, GOOD) == 0.0


def test_nothing_is_drawn_without_a_sample_or_below_the_confidence_threshold(screen, scene, sample):
    points = line_points(screen, scene, sample)
    screen.show(frame_view(scene, None))
    assert hits(screen.surface, points, GOOD) == 0.0
    weak = replace(sample, confidence=bo.MIN_BACK_CONFIDENCE - 0.01)
    screen.show(frame_view(scene, weak))
    assert hits(screen.surface, points, GOOD) == 0.0
    just_enough = replace(sample, confidence=bo.MIN_BACK_CONFIDENCE)
    screen.show(frame_view(scene, just_enough))
    assert hits(screen.surface, points, GOOD) >= 0.95


def test_arched_turns_the_lines_warn(screen, scene, sample):
    points = line_points(screen, scene, sample)
    screen.show(frame_view(scene, sample, arched=True, trunk_ok=True))
    assert hits(screen.surface, points, WARN) >= 0.95
    assert hits(screen.surface, points, GOOD) == 0.0


def test_the_outline_shows_at_the_waist_between_the_lines(screen, scene, sample):
    """The outline lies under the lines where they fit it; between them (the lumbar hollow)
    it is drawn on its own, in MUTED."""
    mapping = to_canvas(screen, scene)
    contour = mapping(sample.back_contour)
    lines = [mapping(bo.extend(seg, bo.LINE_EXTEND * bo.trunk_length(sample)))
             for seg in (sample.pelvic_line, sample.thoracic_line)]
    free = contour[np.min([distance_to_segment(contour, seg) for seg in lines], axis=0) > 4.5]
    assert len(free) >= 3
    screen.show(frame_view(scene, sample))
    assert hits(screen.surface, free, MUTED) >= 0.9
    screen.show(frame_view(scene, None))
    assert hits(screen.surface, free, MUTED) == 0.0


def test_the_live_screen_leaves_the_back_lines_out(screen, scene, sample, monkeypatch):
    """Off by default (`overlay.DRAW_BACK`: on the real clip the lines sat behind the body):
    nothing of the back is drawn, whatever the sample says."""
    monkeypatch.setattr(overlay_module, "DRAW_BACK", False)
    screen.show(frame_view(scene, sample, arched=True, trunk_ok=True))
    assert hits(screen.surface, line_points(screen, scene, sample), WARN) == 0.0


def test_drawing_allocates_no_image_sized_buffer(screen, scene, sample):
    mapping = to_canvas(screen, scene)
    bo.draw_back(screen.surface, sample, mapping, arched=True)  # warm up
    tracemalloc.start()
    try:
        bo.draw_back(screen.surface, sample, mapping, arched=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64_000  # a 1280×720 RGB buffer would be 2.7 MB


# ------------------------------------------------------------------ the geometry


def distance_to_segment(points: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Distance of each point `(K, 2)` to a segment `(2, 2)`."""
    d = seg[1] - seg[0]
    w = np.clip(((points - seg[0]) @ d) / (d @ d), 0.0, 1.0)
    return np.hypot(*(points - (seg[0] + w[:, None] * d)).T)


def test_outline_is_cut_where_an_arm_hid_the_back():
    y = np.concatenate([np.arange(0.0, 20.0, 2.0), np.arange(40.0, 60.0, 2.0)])
    points = np.stack([np.full_like(y, 5.0), y], axis=1)
    runs = bo.split_runs(points)
    assert [len(r) for r in runs] == [10, 10]
    assert runs[0][-1, 1] == 18.0 and runs[1][0, 1] == 40.0
    assert bo.split_runs(points[:1]) == []


def test_smoothing_keeps_the_ends_and_a_straight_line_straight():
    points = np.stack([np.linspace(0, 10, 11), np.linspace(0, 30, 11)], axis=1)
    smooth = bo.smooth(points)
    assert np.allclose(smooth[0], points[0]) and np.allclose(smooth[-1], points[-1])
    assert np.allclose(smooth[:, 1], 3.0 * smooth[:, 0])
    zigzag = points + np.array([[(-1) ** i, 0.0] for i in range(11)])
    assert np.ptp(bo.smooth(zigzag)[3:-3, 0] - bo.smooth(zigzag)[3:-3, 1] / 3.0) < 1.0


def test_lines_are_extended_past_both_ends():
    seg = np.array([[0.0, 0.0], [0.0, -100.0]])
    longer = bo.extend(seg, 6.0)
    assert np.allclose(longer, [[0.0, 6.0], [0.0, -106.0]])


def test_guide_continues_the_pelvic_line_up_to_the_thoracic_top():
    pelvic = np.array([[100.0, 200.0], [100.0, 160.0]])
    top = np.array([120.0, 60.0])
    dashes = bo.dashes(pelvic, top, dash=6.0, gap=5.0)
    assert len(dashes) >= 8
    assert all(np.allclose(d[:, 0], 100.0) for d in dashes)  # on the pelvic line's extension
    assert dashes[0][0, 1] < 160.0 and dashes[-1][1, 1] >= 60.0 - 1e-9


def test_a_clear_back_is_held_briefly_while_the_arms_hide_it(sample):
    hold = bo.BackHold(hold_s=0.25)
    t0 = sample.t
    assert hold.update(sample, t0) is sample
    assert hold.update(None, t0 + 0.2) is sample  # an arm crossed the back: keep the last one
    blurred = replace(sample, confidence=0.1)
    assert hold.update(blurred, t0 + 0.24) is sample  # unclear counts as hidden
    assert hold.update(None, t0 + 0.3) is None  # too old: gone
    assert hold.update(None, t0 + 0.1) is None  # and not brought back
    assert hold.update(sample, t0 + 0.4) is sample
    assert hold.update(None, t0 - 5.0) is None  # time went back (a new session): dropped
