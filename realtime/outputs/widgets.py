"""Small drawing pieces for the screen: gauges, sparklines, a checklist, an image inset.

Pure drawing on a pygame Surface; no window, no files. Colours live here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np
import pygame

INK = (236, 239, 244)
MUTED = (150, 160, 175)
BACKDROP = (18, 22, 30)
PANEL = (28, 34, 45)
TRACK = (55, 64, 80)
GOOD = (72, 199, 142)
GOOD_BAND = (40, 92, 74)
WARN = (255, 176, 59)
BANNER = (255, 176, 59)
BANNER_INK = (20, 20, 24)
SKELETON = (200, 214, 229)
#: Praise: a calm blue, never the fault's amber (nor the green of "in the band").
CALM = (120, 178, 255)

#: Text read from the treadmill: a character (cap) height of about 22 arcminutes is legible at a
#: glance (the upper end of the 20–22' usually asked of displays, e.g. ANSI/HFES 100); at 2 m that
#: is 2000 mm × tan(22') ≈ 12.8 mm, and a 24" 16:9 1080p panel has 531 mm / 1920 = 0.277 mm
#: pixels, so ≈ 46 px of cap height on a 1080-pixel-high screen: 0.042 of the screen's height.
#: Text the runner must read uses at least this share of the window's height.
READ_CAP_SHARE = 0.042
#: Cap height of pygame's default font (freesansbold) per pixel of font size (measured:
#: "H" at size 40, 80, 100 → 20, 40, 50 px).
CAP_PER_FONT_PX = 0.5


def readable_font_px(canvas_height: int, share: float = READ_CAP_SHARE) -> int:
    """The font size whose capitals are `share` of `canvas_height` tall (at least 8)."""
    return max(8, math.ceil(canvas_height * share / CAP_PER_FONT_PX))


FontFn = Callable[[int], pygame.font.Font]


@dataclass(frozen=True)
class GaugeSpec:
    """A horizontal gauge: the scale `lo..hi` and the good band `band_lo..band_hi`."""

    label: str
    unit: str
    lo: float
    hi: float
    band_lo: float
    band_hi: float
    decimals: int = 0
    #: Write a + on positive values (default: when the scale goes below zero).
    signed: bool | None = None

    def text(self, value: float | None) -> str:
        """The value as the gauge writes it ("–" when there is none)."""
        if value is None:
            return "–"
        signed = self.signed if self.signed is not None else self.lo < 0
        return (f"{value:+.{self.decimals}f}" if signed else f"{value:.{self.decimals}f}").replace("-", "\u2212")

    def fraction(self, value: float) -> float:
        """Where `value` sits on the scale, 0..1 (clipped)."""
        return float(np.clip((value - self.lo) / (self.hi - self.lo), 0.0, 1.0))

    def in_band(self, value: float) -> bool:
        """True inside the good band."""
        return self.band_lo <= value <= self.band_hi


def draw_gauge(canvas: pygame.Surface, rect: pygame.Rect, spec: GaugeSpec, value: float | None, font: FontFn) -> None:
    """Label, a big number and a bar with the good band shaded and a marker at the value."""
    pygame.draw.rect(canvas, PANEL, rect, border_radius=rect.height // 8)
    pad = rect.height // 8
    label = font(max(14, rect.height // 6)).render(spec.label, True, MUTED)
    canvas.blit(label, (rect.x + pad, rect.y + pad))
    ok = value is not None and spec.in_band(value)
    colour = GOOD if ok else (WARN if value is not None else MUTED)
    big = font(max(24, int(rect.height * 0.42))).render(spec.text(value), True, colour)
    canvas.blit(big, (rect.x + pad, rect.y + pad + label.get_height()))
    if value is not None:  # "–" alone: no unit after nothing
        draw_unit(canvas, font, spec.unit, big, (rect.x + pad, rect.y + pad + label.get_height()), colour, rect.height)
    bar = pygame.Rect(rect.x + pad, rect.bottom - pad - rect.height // 10, rect.width - 2 * pad, max(6, rect.height // 10))
    pygame.draw.rect(canvas, TRACK, bar, border_radius=bar.height // 2)
    x0 = bar.x + spec.fraction(spec.band_lo) * bar.width
    x1 = bar.x + spec.fraction(spec.band_hi) * bar.width
    pygame.draw.rect(canvas, GOOD_BAND, pygame.Rect(int(x0), bar.y, max(2, int(x1 - x0)), bar.height))
    if value is not None:
        mx = int(bar.x + spec.fraction(value) * bar.width)
        pygame.draw.circle(canvas, colour, (mx, bar.centery), bar.height)
        pygame.draw.circle(canvas, BACKDROP, (mx, bar.centery), max(2, bar.height // 3))


def draw_unit(canvas: pygame.Surface, font: FontFn, unit: str, number: pygame.Surface,
              at: tuple[int, int], colour: tuple[int, int, int], height: int) -> None:
    """The unit after a big number blitted at `at`: a degree sign raised against the
    number's top in its colour (as printed: "−3.2°"), a word unit on its baseline."""
    x = at[0] + number.get_width()
    if unit == "°":
        sign = font(max(16, int(height * 0.24))).render(unit, True, colour)
        canvas.blit(sign, (x + 2, at[1] + number.get_height() // 10))
        return
    word = font(max(14, height // 6)).render(unit, True, MUTED)
    canvas.blit(word, (x + height // 8, at[1] + number.get_height() - word.get_height() - 4))


def draw_sparkline(
    canvas: pygame.Surface,
    rect: pygame.Rect,
    values: Sequence[float],
    band: tuple[float, float] | None = None,
    marks: Sequence[float] = (),
    scale: tuple[FontFn, str] | None = None,
    calm_marks: Sequence[float] = (),
    dots: bool = False,
) -> None:
    """A line of `values` across `rect`, the band shaded, vertical marks at fractions 0..1
    (`marks` in WARN, `calm_marks` — praise — in CALM); `dots` puts a dot on each value.

    The vertical axis always holds the whole band. With `scale` (a font and a unit), the band's
    edges and the line's highest and lowest values are written at the left, each at its height.
    """
    pygame.draw.rect(canvas, PANEL, rect, border_radius=8)
    data = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if data.size < 2:
        return
    lo, hi = float(min(data.min(), band[0] if band else data.min())), float(max(data.max(), band[1] if band else data.max()))
    lo, hi = (lo - 1.0, hi + 1.0) if hi - lo < 1e-6 else (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))

    def y_of(v: float) -> float:
        return rect.bottom - 6 - (v - lo) / (hi - lo) * (rect.height - 12)

    if band:
        top, bottom = y_of(band[1]), y_of(band[0])
        pygame.draw.rect(canvas, GOOD_BAND, pygame.Rect(rect.x + 4, int(top), rect.width - 8, max(1, int(bottom - top))))
    if scale is not None:  # under the cue marks and the line
        draw_scale(canvas, rect, data, y_of, *scale, band=band)
    for fractions, colour in ((marks, WARN), (calm_marks, CALM)):
        for f in fractions:
            x = rect.x + 4 + f * (rect.width - 8)
            pygame.draw.line(canvas, colour, (x, rect.y + 4), (x, rect.bottom - 4), 3)
    xs = rect.x + 4 + np.linspace(0, 1, data.size) * (rect.width - 8)
    points = list(zip(xs, [y_of(v) for v in data]))
    pygame.draw.aalines(canvas, INK, False, points)
    if dots:
        for p in points:
            pygame.draw.circle(canvas, INK, p, max(2, rect.height // 60))


def draw_scale(canvas: pygame.Surface, rect: pygame.Rect, data: np.ndarray,
               y_of: Callable[[float], float], font: FontFn, unit: str,
               band: tuple[float, float] | None = None) -> None:
    """The axis of a sparkline written at the left, each value at its height with a faint guide
    across: the band's edges first, then the line's highest and lowest values where they do
    not crowd a label already written (above its guide for the top ones, below for the others,
    inside the panel)."""
    text_font = font(max(12, rect.height // 9))
    values: list[tuple[float, bool, str]] = []
    if band is not None:  # the band's edges as the rules give them (1.5, not 2)
        values += [(band[1], True, f"{band[1]:g}"), (band[0], False, f"{band[0]:g}")]
    values += [(float(data.max()), True, f"{data.max():.0f}"), (float(data.min()), False, f"{data.min():.0f}")]
    placed: list[int] = []
    for value, above, number in values:
        y = int(y_of(value))
        if any(abs(y - other) < text_font.get_height() for other in placed):
            continue
        placed.append(y)
        pygame.draw.line(canvas, TRACK, (rect.x + 4, y), (rect.right - 4, y), 1)
        text = text_font.render(f"{number}{unit}".replace("-", "\u2212"), True, MUTED)
        top = y - text.get_height() - 1 if above else y + 2
        top = int(np.clip(top, rect.y + 2, rect.bottom - 2 - text.get_height()))
        canvas.blit(text, (rect.x + 8, top))


def draw_checklist(canvas: pygame.Surface, rect: pygame.Rect, title: str, items: Sequence[tuple[str, bool]], font: FontFn) -> None:
    """A panel with a title and one line per check: a green tick or an amber cross."""
    all_ok = all(ok for _, ok in items)
    pygame.draw.rect(canvas, PANEL, rect, border_radius=16)
    pygame.draw.rect(canvas, GOOD if all_ok else WARN, rect, width=4, border_radius=16)
    line_h = rect.height // (len(items) + 2)
    head = font(int(line_h * 0.8)).render(title, True, GOOD if all_ok else INK)
    canvas.blit(head, (rect.x + line_h // 2, rect.y + line_h // 3))
    for i, (text, ok) in enumerate(items):
        y = rect.y + line_h * (i + 1.4)
        cx, cy, r = rect.x + line_h, int(y + line_h * 0.4), max(6, line_h // 4)
        pygame.draw.circle(canvas, GOOD if ok else WARN, (cx, cy), r)
        mark = font(int(line_h * 0.6)).render(text, True, INK if ok else WARN)
        canvas.blit(mark, (cx + 2 * r, cy - mark.get_height() // 2))


def blit_image(canvas: pygame.Surface, rect: pygame.Rect, image_bgr: np.ndarray) -> None:
    """A BGR image scaled into `rect` (which should have its aspect)."""
    h, w = image_bgr.shape[:2]
    surface = pygame.image.frombuffer(np.ascontiguousarray(image_bgr).tobytes(), (w, h), "BGR")
    canvas.blit(pygame.transform.smoothscale(surface, rect.size), rect.topleft)


class ImageBlitter:
    """Puts BGR images on a canvas, scaled to a rect, every frame without allocating.

    The image is scaled straight to the size it is shown at (OpenCV, into one reused buffer)
    and blitted through a Surface that shares that buffer: no full-size copy and no new
    Surface per frame. Shrinking by up to 2× uses bilinear sampling, more uses pixel areas
    (no aliasing).
    """

    def __init__(self) -> None:
        self._buffer: np.ndarray | None = None
        self._surface: pygame.Surface | None = None

    def blit(self, canvas: pygame.Surface, rect: pygame.Rect, image_bgr: np.ndarray) -> np.ndarray:
        """Draw `image_bgr` into `rect`; returns the scaled image (valid until the next call)."""
        w, h = rect.size
        if self._buffer is None or self._buffer.shape[:2] != (h, w):
            self._buffer = np.empty((h, w, 3), dtype=np.uint8)
            self._surface = pygame.image.frombuffer(self._buffer, (w, h), "BGR")
        ih, iw = image_bgr.shape[:2]
        shrink = max(iw / max(w, 1), ih / max(h, 1))
        cv2.resize(image_bgr, (w, h), dst=self._buffer,
                   interpolation=cv2.INTER_AREA if shrink > 2.0 else cv2.INTER_LINEAR)
        canvas.blit(self._surface, rect.topleft)
        return self._buffer


class ShadeCache:
    """Translucent fills of a given size and colour, made once and reused."""

    def __init__(self) -> None:
        self._shades: dict[tuple[tuple[int, int], tuple[int, ...]], pygame.Surface] = {}

    def get(self, size: tuple[int, int], rgba: tuple[int, int, int, int]) -> pygame.Surface:
        """A `size` Surface filled with `rgba`."""
        key = (tuple(size), tuple(rgba))
        shade = self._shades.get(key)
        if shade is None:
            if len(self._shades) > 16:  # window resized a few times: forget the old sizes
                self._shades.clear()
            shade = pygame.Surface(size, pygame.SRCALPHA)
            shade.fill(rgba)
            self._shades[key] = shade
        return shade
