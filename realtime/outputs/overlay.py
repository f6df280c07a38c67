"""Drawing one screen frame: the camera image, skeleton, trunk line, gauges, banner, status.

`Overlay` is configured once, then `annotate(canvas, view)` draws one frame;
it does no I/O (no window, no files), so tests can draw on a plain Surface.
Layout: the camera image on the left, a panel of gauges on the right, the cue
banner across the top, the status line along the bottom, the instant replay in
a corner of the image, the set-up checklist in the middle while it matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from realtime.analysis.rib_cage import RibCageSample
from realtime.core.pose import SKELETON_EDGES, Pose
from realtime.core.pose import Landmark as L
from realtime.outputs.back_overlay import draw_back, shows_back
from realtime.outputs.replay import ReplayFrame
from realtime.outputs.widgets import (
    BACKDROP,
    BANNER,
    BANNER_INK,
    GOOD,
    INK,
    SKELETON,
    WARN,
    GaugeSpec,
    ImageBlitter,
    ShadeCache,
    draw_checklist,
    draw_gauge,
)

__all__ = ["BANNER", "GOOD", "WARN", "Fit", "Overlay", "View", "fit_image"]

#: The share of the canvas width the gauge panel takes when there are gauges.
PANEL_SHARE = 0.27


@dataclass(frozen=True)
class View:
    """What one screen frame shows. `image_bgr` is `(H, W, 3)` uint8.

    `back`: the back outline and fitted lines, in the image's pixels (drawn when confident
    enough); `arched`: the cue rules see an arched back (the back lines turn WARN).
    """

    image_bgr: np.ndarray
    pose: Pose | None
    trunk_lean_deg: float | None
    banner_text: str | None
    status_text: str
    gauges: tuple[tuple[GaugeSpec, float | None], ...] = ()
    replay: ReplayFrame | None = None
    checklist: tuple[tuple[str, bool], ...] | None = None
    trunk_ok: bool | None = None
    back: RibCageSample | None = None
    arched: bool = False


@dataclass(frozen=True)
class Fit:
    """Where the camera image lands on the canvas: scale and top-left offset."""

    scale: float
    offset: tuple[int, int]
    size: tuple[int, int]

    def to_canvas(self, xy: np.ndarray) -> np.ndarray:
        """Image pixels → canvas pixels, for an `(..., 2)` array."""
        return xy * self.scale + np.asarray(self.offset, dtype=float)


def fit_image(image_size: tuple[int, int], canvas_size: tuple[int, int], origin: tuple[int, int] = (0, 0)) -> Fit:
    """Scale an image (w, h) to fit an area (w, h) at `origin`, centred, aspect kept."""
    iw, ih = image_size
    cw, ch = canvas_size
    scale = min(cw / iw, ch / ih)
    w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
    return Fit(scale, (origin[0] + (cw - w) // 2, origin[1] + (ch - h) // 2), (w, h))


class Overlay:
    """Draws a `View` onto a canvas; fonts are sized from the canvas height."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}
        self._camera = ImageBlitter()
        self._inset = ImageBlitter()
        self._shades = ShadeCache()

    def font(self, px: int) -> pygame.font.Font:
        """The default font at `px` pixels, cached."""
        px = max(8, px)
        if px not in self._fonts:
            if not pygame.font.get_init():
                pygame.font.init()
            self._fonts[px] = pygame.font.Font(None, px)
        return self._fonts[px]

    def annotate(self, canvas: pygame.Surface, view: View) -> pygame.Surface:
        """Draw the whole frame onto `canvas` and return it."""
        canvas.fill(BACKDROP)
        cw, ch = canvas.get_size()
        panel_w = int(cw * PANEL_SHARE) if view.gauges else 0
        h, w = view.image_bgr.shape[:2]
        fit = fit_image((w, h), (cw - panel_w, ch))
        self._camera.blit(canvas, pygame.Rect(fit.offset, fit.size), view.image_bgr)
        if view.pose is None:
            self._prompt(canvas, "Step into view", pygame.Rect(0, 0, cw - panel_w, ch))
        else:
            self._body(canvas, view, fit)
        if view.gauges:
            self._gauges(canvas, pygame.Rect(cw - panel_w, 0, panel_w, ch), view.gauges)
        if view.replay is not None:
            self._replay(canvas, view.replay, fit, cw - panel_w)
        if view.checklist is not None:
            self._checklist(canvas, view.checklist, cw - panel_w)
        self._status(canvas, view.status_text)
        if view.banner_text:
            self._banner(canvas, view.banner_text)
        return canvas

    def _body(self, canvas: pygame.Surface, view: View, fit: Fit) -> None:
        """Back (under everything), skeleton, trunk line and its angle (moved clear of the back).

        The back's angle is not written: its absolute value depends on the body and the
        clothes (only the change from the runner's baseline means something); the lines show it."""
        back = view.back if shows_back(view.back) else None
        clear_x = None
        if back is not None:
            clear_x = draw_back(canvas, back, fit.to_canvas, view.arched).right()
        self._skeleton(canvas, view.pose, fit)
        if view.trunk_lean_deg is not None:
            ok = view.trunk_ok if view.trunk_ok is not None else view.trunk_lean_deg > 0
            self._trunk(canvas, view.pose, fit, view.trunk_lean_deg, ok, clear_x)

    def _skeleton(self, canvas: pygame.Surface, pose: Pose, fit: Fit, scale: float = 1.0) -> None:
        pts = fit.to_canvas(pose.xy)
        width = max(2, int(canvas.get_height() // 240 * scale))
        for a, b in SKELETON_EDGES:
            if min(pose.visibility[a], pose.visibility[b]) > 0.3:
                pygame.draw.line(canvas, SKELETON, pts[a], pts[b], width)
        for i in {i for edge in SKELETON_EDGES for i in edge}:
            if pose.visibility[i] > 0.3:
                pygame.draw.circle(canvas, INK, pts[i], width + 2)

    def _trunk_line(self, canvas: pygame.Surface, pose: Pose, fit: Fit, colour, width: int) -> tuple[np.ndarray, np.ndarray, float]:
        hips = fit.to_canvas(pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP))
        shoulders = fit.to_canvas(pose.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
        length = float(np.linalg.norm(shoulders - hips))
        pygame.draw.line(canvas, INK, hips, hips - (0, length), max(1, width // 3))
        pygame.draw.line(canvas, colour, hips, shoulders, width)
        pygame.draw.circle(canvas, colour, hips, width + 2)
        return hips, shoulders, length

    def _trunk(self, canvas: pygame.Surface, pose: Pose, fit: Fit, lean: float, ok: bool,
               clear_x: float | None = None) -> pygame.Rect:
        """The trunk and plumb lines and the lean in a pill (right of `clear_x` when given,
        so it does not hide the back); returns the pill's rect."""
        colour = GOOD if ok else WARN
        hips, shoulders, length = self._trunk_line(canvas, pose, fit, colour, max(4, canvas.get_height() // 120))
        label = self.font(canvas.get_height() // 12).render(f"{lean:+.1f}°", True, colour)
        pill = label.get_rect()
        left = max(hips[0], shoulders[0]) + length * 0.25
        if clear_x is not None:
            left = max(left, clear_x + pill.height * 0.5)
        pill.midleft = (int(left), int((hips[1] + shoulders[1]) / 2))
        pill.clamp_ip(canvas.get_rect())
        backing = pill.inflate(pill.height // 2, pill.height // 4)
        pygame.draw.rect(canvas, BACKDROP, backing, border_radius=backing.height // 3)
        canvas.blit(label, pill)
        return backing

    def _gauges(self, canvas: pygame.Surface, area: pygame.Rect, gauges) -> None:
        pad = area.width // 14
        top = area.y + canvas.get_height() // 6 + pad  # below the banner
        bottom = area.bottom - canvas.get_height() // 18 - pad  # above the status line
        each = (bottom - top) // len(gauges)
        for i, (spec, value) in enumerate(gauges):
            rect = pygame.Rect(area.x + pad // 2, top + i * each, area.width - pad, each - pad // 2)
            draw_gauge(canvas, rect, spec, value, self.font)

    def _replay(self, canvas: pygame.Surface, frame: ReplayFrame, fit: Fit, area_w: int) -> None:
        h, w = frame.image_bgr.shape[:2]
        box_h = canvas.get_height() // 4
        inset = fit_image((w, h), (box_h * 2, box_h))
        rect = pygame.Rect((16, canvas.get_height() - box_h - canvas.get_height() // 18 - 16), inset.size)
        pygame.draw.rect(canvas, INK, rect.inflate(8, 8), border_radius=6)
        self._inset.blit(canvas, rect, frame.image_bgr)
        local = Fit(inset.scale, rect.topleft, inset.size)
        if frame.pose is not None:
            self._skeleton(canvas, frame.pose, local, scale=0.6)
            if frame.trunk_lean_deg is not None:
                colour = GOOD if frame.trunk_lean_deg > 0 else WARN
                self._trunk_line(canvas, frame.pose, local, colour, max(3, canvas.get_height() // 180))
        tag = self.font(max(16, canvas.get_height() // 30)).render("Replay · slow motion", True, BANNER_INK)
        back = tag.get_rect(topleft=(rect.x, rect.y - tag.get_height() - 6)).inflate(12, 6)
        pygame.draw.rect(canvas, BANNER, back, border_radius=6)
        canvas.blit(tag, tag.get_rect(center=back.center))

    def _checklist(self, canvas: pygame.Surface, items, area_w: int) -> None:
        ch = canvas.get_height()
        rect = pygame.Rect(16, 16, min(area_w - 32, int(ch * 0.62)), int(ch * 0.36))
        title = "Ready — start running" if all(ok for _, ok in items) else "Set up the camera"
        draw_checklist(canvas, rect, title, items, self.font)

    def _prompt(self, canvas: pygame.Surface, text: str, area: pygame.Rect) -> None:
        label = self.font(canvas.get_height() // 8).render(text, True, INK)
        box = label.get_rect(center=area.center)
        backing = box.inflate(box.height, box.height // 2)
        canvas.blit(self._shades.get(backing.size, (*BACKDROP, 210)), backing)
        canvas.blit(label, box)

    def _banner(self, canvas: pygame.Surface, text: str) -> None:
        cw, ch = canvas.get_size()
        bar = pygame.Rect(0, 0, cw, max(48, ch // 6))
        pygame.draw.rect(canvas, BANNER, bar)
        label = self.font(int(bar.height * 0.62)).render(text, True, BANNER_INK)
        if label.get_width() > cw * 0.94:
            label = pygame.transform.smoothscale(
                label, (int(cw * 0.94), int(label.get_height() * cw * 0.94 / label.get_width()))
            )
        canvas.blit(label, label.get_rect(center=bar.center))

    def _status(self, canvas: pygame.Surface, text: str) -> None:
        cw, ch = canvas.get_size()
        strip = pygame.Rect(0, ch - max(28, ch // 18), cw, max(28, ch // 18))
        canvas.blit(self._shades.get(strip.size, (*BACKDROP, 200)), strip)
        label = self.font(int(strip.height * 0.75)).render(text, True, INK)
        canvas.blit(label, label.get_rect(midleft=(strip.x + strip.height // 2, strip.centery)))
