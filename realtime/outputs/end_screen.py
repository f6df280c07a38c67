"""The end-of-session screen: time in good form, the cues, trunk lean and hip extension."""

from __future__ import annotations

import pygame

from realtime.outputs.digest import SessionDigest
from realtime.outputs.widgets import (
    BACKDROP,
    GOOD,
    INK,
    MUTED,
    PANEL,
    WARN,
    FontFn,
    draw_sparkline,
)


def clock(seconds: float) -> str:
    """m:ss"""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def draw_end_screen(canvas: pygame.Surface, d: SessionDigest, font: FontFn) -> pygame.Surface:
    """Draw the session's digest over the whole canvas."""
    canvas.fill(BACKDROP)
    cw, ch = canvas.get_size()
    pad = ch // 24
    title = font(ch // 10).render("Session done", True, INK)
    canvas.blit(title, (pad * 2, pad))
    y = pad + title.get_height() + pad // 2
    share = "–" if d.good_form_share is None else f"{d.good_form_share * 100:.0f}%"
    tiles = [
        ("Time in good form", share, GOOD if (d.good_form_share or 0) >= 0.8 else WARN),
        ("Running", clock(d.running_s), INK),
        ("Cadence", "–" if d.cadence_spm is None else f"{d.cadence_spm:.0f} spm", INK),
        ("Cues", str(len(d.cues)), INK),
    ]
    tile_w = (cw - pad * (len(tiles) + 3)) // len(tiles)
    for i, (label, value, colour) in enumerate(tiles):
        rect = pygame.Rect(pad * 2 + i * (tile_w + pad), y, tile_w, ch // 5)
        pygame.draw.rect(canvas, PANEL, rect, border_radius=12)
        canvas.blit(font(ch // 28).render(label, True, MUTED), (rect.x + pad // 2, rect.y + pad // 2))
        big = font(ch // 9).render(value, True, colour)
        canvas.blit(big, (rect.x + pad // 2, rect.bottom - big.get_height() - pad // 2))
    y += ch // 5 + pad
    half = (cw - pad * 5) // 2
    lean_rect = pygame.Rect(pad * 2, y + ch // 24, half, ch // 4)
    hip_rect = pygame.Rect(pad * 3 + half, y + ch // 24, half, ch // 4)
    band = f"{d.lean_band[0]:g}–{d.lean_band[1]:g}°".replace("-", "\u2212")
    canvas.blit(font(ch // 28).render(f"Trunk lean over the run (band {band}, cues marked)", True, MUTED), (lean_rect.x, y))
    canvas.blit(font(ch // 28).render("Hip extension per stride", True, MUTED), (hip_rect.x, y))
    draw_sparkline(canvas, lean_rect, d.lean_series, band=d.lean_band, marks=d.cue_marks, scale=(font, "°"))
    draw_sparkline(canvas, hip_rect, d.hip_extension, scale=(font, "°"))
    y = lean_rect.bottom + pad
    for t, text in d.cues[:4]:
        line = font(ch // 22).render(f"{clock(t)}  “{text}”", True, INK)
        canvas.blit(line, (pad * 2, y))
        y += line.get_height() + 6
    if not d.cues:
        canvas.blit(font(ch // 22).render("No cues — steady form all the way.", True, GOOD), (pad * 2, y))
    return canvas
