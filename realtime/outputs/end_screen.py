"""The end-of-session screen: summary.json's numbers, the cues, trunk lean and hip extension.

Layout (fractions of the canvas height `ch`, so 720p and 1080p look the same): a title, a
row of tiles, two charts side by side, the cue list below. When the session held no running
(summary.json's `running` false) the tiles and charts give way to one plain sentence: nothing
was measured, so nothing is scored or praised.
"""

from __future__ import annotations

import pygame

from realtime.outputs.digest import SessionDigest
from realtime.analysis.stride_metrics import hip_extension_words
from realtime.core.clock import clock
from realtime.outputs.widgets import (
    BACKDROP,
    CALM,
    GOOD,
    INK,
    MUTED,
    PANEL,
    WARN,
    FontFn,
    draw_sparkline,
    readable_font_px,
)

#: The hip-extension chart's good band, degrees of the thigh behind vertical at toe-off: at
#: least 5° behind (less is the "leg cannot go behind the body" fault of docs/design.md; the
#: treadmill clip's runner reaches 9.6°), at most 35° (the live gauge's scale).
HIP_BAND_BEHIND = (5.0, 35.0)
#: The cue list shows at most this many lines (the rest as "… and N more"); the charts take the
#: room the list does not need.
MAX_CUE_LINES = 5
#: A share of strides in good form (summary.json's `good_form`) at or above this shows in the good colour.
GOOD_SHARE = 0.8


def signed(value: float) -> str:
    """A number with a real minus sign."""
    return f"{value:g}".replace("-", "\u2212")


def tiles(d: SessionDigest) -> list[tuple[str, str, tuple[int, int, int]]]:
    """(label, value, colour) of each tile, straight from the digest's summary numbers."""
    share = d.good_form_share
    return [
        ("Strides in good form", "–" if share is None else f"{share * 100:.0f}%",
         MUTED if share is None else GOOD if share >= GOOD_SHARE else WARN),
        ("Running", clock(d.running_s), INK),
        ("Cadence", "–" if d.cadence_spm is None else f"{d.cadence_spm:.0f}", INK),
        ("Hip extension", hip_extension_words(d.hip_extension_median), INK),
        ("Cues", str(len(d.cues)), INK),  # as summary.json counts them, praise included
    ]


def draw_end_screen(canvas: pygame.Surface, d: SessionDigest, font: FontFn) -> pygame.Surface:
    """Draw the session's digest over the whole canvas."""
    canvas.fill(BACKDROP)
    cw, ch = canvas.get_size()
    pad = ch // 30
    title = font(ch // 10).render("Session done", True, INK)
    canvas.blit(title, (pad * 2, pad))
    sub = font(readable_font_px(ch, 0.03)).render(f"in view {clock(d.duration_s)}", True, MUTED)
    canvas.blit(sub, (pad * 3 + title.get_width(), pad + title.get_height() - sub.get_height()))
    y = pad * 2 + title.get_height()
    if not d.measured:
        return _nothing_measured(canvas, d, font, y, pad)
    y = _tiles(canvas, tiles(d), font, y, pad)
    cue_lines = min(max(len(d.cues), 1), MAX_CUE_LINES)
    below = cue_lines * (font(readable_font_px(ch)).get_height() + 6) + pad * 2
    y = _charts(canvas, d, font, y + pad, pad, ch - below)
    _cue_list(canvas, d, font, y + pad, pad)
    return canvas


def _nothing_measured(canvas: pygame.Surface, d: SessionDigest, font: FontFn, y: int, pad: int) -> pygame.Surface:
    """The screen of a session with no running in it: it says so, and scores nothing."""
    ch = canvas.get_height()
    lines = [
        (font(readable_font_px(ch, 0.06)), "No running was measured", INK),
        (font(readable_font_px(ch)), f"{clock(d.running_s)} of running found in {clock(d.duration_s)} in view:", MUTED),
        (font(readable_font_px(ch)), "too short, or walking, standing or out of view.", MUTED),
        (font(readable_font_px(ch)), "Run side-on to the camera for at least a few strides.", MUTED),
    ]
    y += ch // 10
    for f, text, colour in lines:
        label = f.render(text, True, colour)
        canvas.blit(label, (pad * 2, y))
        y += label.get_height() + pad // 2
    return canvas


def _tiles(canvas: pygame.Surface, items, font: FontFn, y: int, pad: int) -> int:
    """A row of tiles: a small label over a big value. Returns the row's bottom."""
    cw, ch = canvas.get_size()
    tile_w = (cw - pad * (len(items) + 3)) // len(items)
    tile_h = ch // 5
    for i, (label, value, colour) in enumerate(items):
        rect = pygame.Rect(pad * 2 + i * (tile_w + pad), y, tile_w, tile_h)
        pygame.draw.rect(canvas, PANEL, rect, border_radius=12)
        canvas.blit(fit_text(font, label, readable_font_px(ch, 0.028), rect.width - pad, MUTED), (rect.x + pad // 2, rect.y + pad // 2))
        big = fit_text(font, value, ch // 9, rect.width - pad, colour)
        canvas.blit(big, (rect.x + pad // 2, rect.bottom - big.get_height() - pad // 2))
    return y + tile_h


def fit_text(font: FontFn, text: str, px: int, width: int, colour) -> pygame.Surface:
    """`text` at `px`, or smaller until it fits `width`."""
    label = font(px).render(text, True, colour)
    while label.get_width() > width and px > 12:
        px = int(px * 0.9)
        label = font(px).render(text, True, colour)
    return label


def _charts(canvas: pygame.Surface, d: SessionDigest, font: FontFn, y: int, pad: int, bottom: int) -> int:
    """Trunk lean over the run (band and cues marked) and hip extension per stride (° behind,
    band shaded), side by side, down to `bottom`. Returns their bottom."""
    cw, ch = canvas.get_size()
    half = (cw - pad * 5) // 2
    head = font(readable_font_px(ch, 0.028))
    lo, hi = d.lean_band
    canvas.blit(head.render(f"Trunk lean (°) — good band {signed(lo)} to {signed(hi)}°", True, MUTED), (pad * 2, y))
    canvas.blit(head.render("Hip extension (° behind vertical at toe-off)", True, MUTED), (pad * 3 + half, y))
    top = y + head.get_height() + pad // 3
    height = max(int(ch * 0.25), bottom - top)
    lean_rect = pygame.Rect(pad * 2, top, half, height)
    hip_rect = pygame.Rect(pad * 3 + half, top, half, height)
    marks = [f for f, praise in d.cue_marks if not praise]
    praise = [f for f, is_praise in d.cue_marks if is_praise]
    draw_sparkline(canvas, lean_rect, d.lean_series, band=d.lean_band, marks=marks, scale=(font, "°"),
                   calm_marks=praise)
    behind = [-v for v in d.hip_extension]
    if len(behind) >= 2:
        draw_sparkline(canvas, hip_rect, behind, band=HIP_BAND_BEHIND, scale=(font, "°"), dots=True)
    else:
        pygame.draw.rect(canvas, PANEL, hip_rect, border_radius=8)
        note = head.render("not measured (the near leg was not seen)", True, MUTED)
        canvas.blit(note, note.get_rect(center=hip_rect.center))
    return top + height


def _cue_list(canvas: pygame.Surface, d: SessionDigest, font: FontFn, y: int, pad: int) -> None:
    """The cues with their times, praise in its calm colour; a quiet line when there were none."""
    cw, ch = canvas.get_size()
    line_font = font(readable_font_px(ch))
    room = min(MAX_CUE_LINES, max(1, (ch - y - pad) // (line_font.get_height() + 6)))
    if not d.cues:
        canvas.blit(line_font.render("No cues — the coach had nothing to correct.", True, INK), (pad * 2, y))
        return
    shown = d.cues[:room] if len(d.cues) <= room else d.cues[:room - 1]
    for t, text, is_praise in shown:
        line = line_font.render(f"{clock(t)}  “{text}”", True, CALM if is_praise else WARN)
        canvas.blit(line, (pad * 2, y))
        y += line.get_height() + 6
    if len(shown) < len(d.cues):
        canvas.blit(line_font.render(f"… and {len(d.cues) - len(shown)} more", True, MUTED), (pad * 2, y))
