"""The end-of-session screen tells the truth: summary.json's numbers, no praise when nothing was
measured, the whole good band on the lean axis, hip extension in degrees behind with its band,
praise in its own colour. Checked on a real pygame surface (SDL dummy driver)."""

from __future__ import annotations

import os

import numpy as np
import pygame
import pytest

from cues.engine import Cue
from realtime.outputs.digest import digest
from realtime.outputs.end_screen import draw_end_screen
from realtime.outputs.overlay import Overlay
from realtime.outputs.widgets import CALM, GOOD, GOOD_BAND, PANEL, WARN, draw_sparkline
from realtime.record.session import FrameRow, SessionRecord, running_seconds
from tests.sessions import stride

BAND = (1.5, 15.0)  # the shipped rules' lean band
SHOTS = os.environ.get("RIBSDOWN_SCREENS")  # a folder to keep the drawn screens in, to look at


def pixels(surface: pygame.Surface, rect: pygame.Rect | None = None) -> np.ndarray:
    return pygame.surfarray.array3d(surface if rect is None else surface.subsurface(rect))  # (W, H, 3)


def count(surface: pygame.Surface, colour, rect: pygame.Rect | None = None) -> int:
    return int(np.sum(np.all(pixels(surface, rect) == colour, axis=-1)))


def keep(surface: pygame.Surface, name: str) -> None:
    if SHOTS:
        pygame.image.save(surface, os.path.join(SHOTS, name))


def standing(seconds: float, activity: str = "standing") -> SessionRecord:
    """A session of a person in view who never ran."""
    record = SessionRecord(source="clip.mp4", fps=30.0)
    for i in range(int(seconds * 30)):
        record.add(FrameRow(i / 30, True, 4.0, "left", i, 20.0, None, activity), None)
    return record


def run_with_praise() -> SessionRecord:
    """24 s in view, 20 s of it running, an arch cued at 12 s and praised at 18 s."""
    record = SessionRecord(source="clip.mp4", fps=30.0)
    for i in range(24 * 30):
        t = i / 30
        cue = None
        if i == 12 * 30:
            cue = Cue(t=t, id="ribs_down", text="Ribs down, lean forward", voice="ribs_down.wav")
        elif i == 18 * 30:
            cue = Cue(t=t, id="praise", text="That's it — hold that", voice="praise.wav")
        record.add(FrameRow(t, True, -5.0 if 10 <= t < 14 else 6.0, "left",
                            i, 20.0, cue.id if cue else None, "running" if t >= 4 else "standing"), cue)
    record.strides.extend(stride(4 + 0.7 * k, trunk_lean_midstance_deg=-4.0 if 10 <= 4 + 0.7 * k < 14 else 6.0,
                                 thigh_extension_deg=-12.0 + (k % 3)) for k in range(28))
    return record


def test_nothing_measured_says_so_and_praises_nothing(canvas):
    record = standing(10.0)
    d = digest(record, BAND)
    assert not d.measured and d.good_form_share is None and d.cadence_spm is None
    draw_end_screen(canvas, d, Overlay().font)
    keep(canvas, "end_nothing_measured.png")
    assert count(canvas, GOOD) == 0  # no "100 %" in green, no "steady form all the way"
    assert count(canvas, PANEL) == 0  # no tiles, no charts: one plain message
    text_rows = np.flatnonzero(np.any(pixels(canvas).min(axis=-1) > 220, axis=0))
    assert text_rows.size > 30  # the message is written, big


def test_the_numbers_are_summary_jsons(canvas):
    record = run_with_praise()
    summary = record.summary()
    d = digest(record, BAND)
    assert d.measured == summary["running"] is True
    assert d.running_s == pytest.approx(running_seconds(record.rows)) == pytest.approx(20.0, abs=0.05)
    assert d.duration_s == summary["duration_s"]
    assert d.cadence_spm == summary["cadence_spm"]
    assert d.hip_extension_median == summary["hip_extension_deg"]["median"]
    assert len(d.cues) == len(summary["cues"])


def test_praise_is_calm_faults_amber_and_charts_carry_their_bands(canvas):
    d = digest(run_with_praise(), BAND)
    draw_end_screen(canvas, d, Overlay().font)
    keep(canvas, "end_with_praise.png")
    h = canvas.get_height()
    lower = pygame.Rect(0, int(h * 0.8), canvas.get_width(), h - int(h * 0.8))  # the cue list
    assert count(canvas, CALM, lower) > 50 and count(canvas, WARN, lower) > 50  # one line each
    left = pygame.Rect(0, int(h * 0.35), 640, int(h * 0.45))
    right = pygame.Rect(640, int(h * 0.35), 640, int(h * 0.45))
    assert count(canvas, CALM, left) > 20  # the praise mark on the lean chart, in its colour
    assert count(canvas, GOOD_BAND, right) > 2000  # the hip chart's band


def test_the_lean_axis_holds_the_whole_good_band(canvas):
    """Leans of ±6° under a 1.5–15° band: the band is drawn whole inside the chart."""
    rect = pygame.Rect(100, 100, 600, 300)
    values = list(6 * np.sin(np.linspace(0, 20, 200)))
    draw_sparkline(canvas, rect, values, band=BAND)
    band_rows = np.flatnonzero(np.any(np.all(pixels(canvas, rect) == GOOD_BAND, axis=-1), axis=0))
    lo_y, hi_y = band_rows.max(), band_rows.min()  # 1.5° and 15°
    span = (lo_y - hi_y) / (15.0 - 1.5)  # pixels per degree
    assert hi_y > 0 and lo_y < rect.height - 1  # both edges inside
    assert rect.height - 6 - lo_y >= 7.5 * span * 0.9  # room below 1.5° for the −6° leans


def test_a_moment_reads_the_same_on_the_end_screen_and_in_the_report():
    """13.8 s was "0:13" on the end screen (cut) and "0:14" in the report (rounded): one clock now."""
    from realtime.core.clock import clock
    from realtime.outputs import end_screen, layers
    from realtime.report import facts, plots

    assert end_screen.clock is facts.clock is plots.clock is layers.clock is clock
    assert [clock(t) for t in (13.4, 13.8, 59.6, 0.2)] == ["0:13", "0:14", "1:00", "0:00"]
