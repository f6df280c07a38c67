"""Drawing the back on the runner: its outline and the fitted pelvic and thoracic lines.

The geometry comes from `realtime.analysis.rib_cage.RibCageSample` (camera-image pixels); the
caller maps it onto the canvas with a `to_canvas` function. The outline is split where
an arm hid the back (no line drawn across the arm), lightly smoothed, and drawn thin
in MUTED; the two fitted lines, thinner than the trunk line, are drawn a little past
their fitting ranges, GOOD (WARN when the back is called arched). The pelvic line goes
on as a faint dashed guide up to the shoulder blades: the wedge between the guide and
the thoracic line is the thorax–pelvis angle, easier to see than two short lines meeting
at a shallow angle. Everything is drawn as small antialiased polygons straight onto the
canvas (about 0.4 ms a frame at 1280×720): no image-sized buffer per frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pygame
from pygame import gfxdraw

from realtime.analysis.rib_cage import PELVIC_RANGE, THORACIC_RANGE, RibCageSample
from realtime.outputs.widgets import BACKDROP, GOOD, MUTED, WARN

__all__ = ["BACK_HOLD_S", "MIN_BACK_CONFIDENCE", "BackHold", "BackMarks", "back_marks", "draw_back", "shows_back", "stroke"]

#: Samples below this confidence are not drawn (the tracker's default threshold too).
MIN_BACK_CONFIDENCE = 0.3
#: Each fitted line is drawn this far beyond both of its ends, trunk lengths.
LINE_EXTEND = 0.06
#: The outline is split where consecutive points lie this many median spacings apart.
GAP_FACTOR = 2.5
#: Smoothing of the outline: 1-2-1 passes, then Chaikin corner-cutting rounds.
SMOOTH_PASSES = 2
CHAIKIN_ROUNDS = 1
#: Opacity of the dark casing under every mark (0..255).
CASING_ALPHA = 150

ToCanvas = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BackMarks:
    """The back's marks in canvas pixels.

    Attributes:
        runs: outline pieces, `(K, 2)` each (split where an arm hid the back, smoothed).
        pelvic, thoracic: the extended lines, `(2, 2)` each (lower end, upper end).
        guide: the pelvic line's dashed continuation up to the thoracic line's top,
            dashes `(2, 2)` each: the wedge between it and the thoracic line is the arch.
    """

    runs: list[np.ndarray]
    pelvic: np.ndarray
    thoracic: np.ndarray
    guide: list[np.ndarray]

    def right(self) -> float:
        """The rightmost x of all the marks, canvas pixels."""
        return float(max(np.max(p[:, 0]) for p in (*self.runs, *self.guide, self.pelvic, self.thoracic)))


def shows_back(sample: RibCageSample | None) -> bool:
    """True when `sample` is there, confident enough and finite, so it is drawn."""
    if sample is None or sample.confidence < MIN_BACK_CONFIDENCE:
        return False
    return all(np.isfinite(a).all() for a in (sample.back_contour, sample.pelvic_line, sample.thoracic_line))


def split_runs(points: np.ndarray, gap_factor: float = GAP_FACTOR) -> list[np.ndarray]:
    """The outline `(K, 2)` cut into runs of at least 2 points where a gap (levels an
    arm hid) is over `gap_factor` median spacings."""
    if len(points) < 2:
        return []
    step = np.hypot(*np.diff(points, axis=0).T)
    cuts = np.flatnonzero(step > gap_factor * max(float(np.median(step)), 1e-6)) + 1
    return [run for run in np.split(points, cuts) if len(run) >= 2]


def smooth(points: np.ndarray, passes: int = SMOOTH_PASSES, rounds: int = CHAIKIN_ROUNDS) -> np.ndarray:
    """A polyline `(K, 2)` smoothed: 1-2-1 averaging (ends kept), then Chaikin corner
    cutting (ends kept); returns `(M, 2)`."""
    pts = np.asarray(points, dtype=float)
    for _ in range(passes if len(pts) > 2 else 0):
        pts = np.concatenate([pts[:1], (pts[:-2] + 2 * pts[1:-1] + pts[2:]) / 4, pts[-1:]])
    for _ in range(rounds if len(pts) > 2 else 0):
        a, b = pts[:-1], pts[1:]
        cut = np.empty((2 * len(a), 2))
        cut[0::2], cut[1::2] = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
        pts = np.concatenate([pts[:1], cut[1:-1], pts[-1:]])
    return pts


def trunk_length(sample: RibCageSample) -> float:
    """The trunk length (pixels) implied by the lines' ends: they span the levels from the
    pelvic range's bottom to the thoracic range's top."""
    span = float(np.hypot(*(sample.thoracic_line[1] - sample.pelvic_line[0])))
    return span / (THORACIC_RANGE[1] - PELVIC_RANGE[0])


def extend(line: np.ndarray, by: float) -> np.ndarray:
    """A segment `(2, 2)` lengthened by `by` pixels at both ends."""
    d = line[1] - line[0]
    d = d / max(float(np.hypot(*d)), 1e-9)
    return np.stack([line[0] - by * d, line[1] + by * d])


def back_marks(sample: RibCageSample, to_canvas: ToCanvas, dash: float) -> BackMarks:
    """The sample's outline and lines mapped onto the canvas (split, smoothed, extended),
    the guide in dashes of `dash` pixels."""
    runs = [smooth(to_canvas(run)) for run in split_runs(sample.back_contour)]
    by = LINE_EXTEND * trunk_length(sample)
    pelvic, thoracic = to_canvas(extend(sample.pelvic_line, by)), to_canvas(extend(sample.thoracic_line, by))
    return BackMarks(runs, pelvic, thoracic, dashes(pelvic, thoracic[1], dash, dash * 0.9))


def normals(points: np.ndarray) -> np.ndarray:
    """`(K, 2)` unit normals of a polyline `(K, 2)` (central differences inside)."""
    tangent = np.empty_like(points)
    tangent[1:-1] = points[2:] - points[:-2]
    tangent[0], tangent[-1] = points[1] - points[0], points[-1] - points[-2]
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    return np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)


def ribbon(points: np.ndarray, normal: np.ndarray, width: float) -> list[list[float]]:
    """The outline of a polyline `(K, 2)` drawn `width` pixels wide (butt ends)."""
    half = normal * (width / 2.0)
    return np.concatenate([points + half, (points - half)[::-1]]).tolist()


def stroke(canvas: pygame.Surface, colour, points: np.ndarray, width: float, casing: float = 0.0) -> None:
    """A polyline `(K, 2)` of `width` pixels with antialiased edges, over a translucent
    dark casing `casing` pixels wider (none at 0)."""
    if len(points) < 2:
        return
    normal = normals(points)
    if casing > 0:
        gfxdraw.filled_polygon(canvas, ribbon(points, normal, width + casing), (*BACKDROP, CASING_ALPHA))
    outline = ribbon(points, normal, width)
    pygame.draw.polygon(canvas, colour, outline)
    pygame.draw.aalines(canvas, colour, True, outline)


def dashes(line: np.ndarray, top: np.ndarray, dash: float, gap: float) -> list[np.ndarray]:
    """Dashes `(2, 2)` continuing the segment `line` (lower, upper) past its upper end up
    to the level of the point `top`."""
    d = line[1] - line[0]
    unit = d / max(float(np.hypot(*d)), 1e-9)
    length = float(np.dot(top - line[1], unit))
    starts = np.arange(gap, length - dash / 2, dash + gap)
    return [np.stack([line[1] + a * unit, line[1] + min(a + dash, length) * unit]) for a in starts]


def draw_back(canvas: pygame.Surface, sample: RibCageSample, to_canvas: ToCanvas, arched: bool = False) -> BackMarks:
    """Draw the outline, the dashed guide and the two fitted lines (see the module doc);
    widths follow the canvas height. Returns what was drawn."""
    ch = canvas.get_height()
    thin, line = max(1.5, ch / 400), max(2.5, ch / 240)
    marks = back_marks(sample, to_canvas, dash=line * 1.6)
    colour = WARN if arched else GOOD
    for a, b in marks.guide:  # short dashes: plain lines are enough, and cheap
        pygame.draw.line(canvas, colour, a, b, max(1, round(thin)))
    for run in marks.runs:
        stroke(canvas, MUTED, run, thin, casing=2)
    for seg in (marks.pelvic, marks.thoracic):
        stroke(canvas, colour, seg, line, casing=2)
    return marks


#: How long the last clear back stays drawn while the arms hide the back (s).
BACK_HOLD_S = 0.25


class BackHold:
    """The back to draw each frame: the frame's own when it is clear, else the last clear one
    for up to `hold_s` — the arms hide the back on about half the frames, and the lines
    should not flicker on and off."""

    def __init__(self, hold_s: float = BACK_HOLD_S) -> None:
        self.hold_s = hold_s
        self._last: RibCageSample | None = None

    def update(self, sample: RibCageSample | None, t: float) -> RibCageSample | None:
        """The sample to draw at time `t`, given this frame's (None: none)."""
        if shows_back(sample):
            self._last = sample
        elif self._last is not None and not 0.0 <= t - self._last.t <= self.hold_s:
            self._last = None
        return self._last
