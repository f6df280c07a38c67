"""Drawing on a pygame surface: the camera image, skeleton, trunk line, banner, status.

`Overlay` is configured once, then `annotate(canvas, view)` draws one frame;
it does no I/O (no window, no files), so tests can draw on a plain Surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from realtime.pose import SKELETON_EDGES, Pose
from realtime.pose import Landmark as L

INK = (236, 239, 244)
BACKDROP = (18, 22, 30)
GOOD = (72, 199, 142)
WARN = (255, 176, 59)
BANNER = (255, 176, 59)
BANNER_INK = (20, 20, 24)
SKELETON = (200, 214, 229)


@dataclass(frozen=True)
class View:
    """What one screen frame shows. `image_bgr` is `(H, W, 3)` uint8."""

    image_bgr: np.ndarray
    pose: Pose | None
    trunk_lean_deg: float | None
    banner_text: str | None
    status_text: str


@dataclass(frozen=True)
class Fit:
    """Where the camera image lands on the canvas: scale and top-left offset."""

    scale: float
    offset: tuple[int, int]
    size: tuple[int, int]

    def to_canvas(self, xy: np.ndarray) -> np.ndarray:
        """Image pixels → canvas pixels, for an `(..., 2)` array."""
        return xy * self.scale + np.asarray(self.offset, dtype=float)


def fit_image(image_size: tuple[int, int], canvas_size: tuple[int, int]) -> Fit:
    """Scale an image (w, h) to fit the canvas (w, h), centred, aspect kept."""
    iw, ih = image_size
    cw, ch = canvas_size
    scale = min(cw / iw, ch / ih)
    w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
    return Fit(scale, ((cw - w) // 2, (ch - h) // 2), (w, h))


class Overlay:
    """Draws a `View` onto a canvas; fonts are sized from the canvas height."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}

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
        h, w = view.image_bgr.shape[:2]
        fit = fit_image((w, h), canvas.get_size())
        image = pygame.image.frombuffer(view.image_bgr.tobytes(), (w, h), "BGR")
        canvas.blit(pygame.transform.smoothscale(image, fit.size), fit.offset)
        if view.pose is None:
            self._prompt(canvas, "Step into view")
        else:
            self._skeleton(canvas, view.pose, fit)
            if view.trunk_lean_deg is not None:
                self._trunk(canvas, view.pose, fit, view.trunk_lean_deg)
        self._status(canvas, view.status_text)
        if view.banner_text:
            self._banner(canvas, view.banner_text)
        return canvas

    def _skeleton(self, canvas: pygame.Surface, pose: Pose, fit: Fit) -> None:
        pts = fit.to_canvas(pose.xy)
        width = max(2, canvas.get_height() // 240)
        for a, b in SKELETON_EDGES:
            if min(pose.visibility[a], pose.visibility[b]) > 0.3:
                pygame.draw.line(canvas, SKELETON, pts[a], pts[b], width)
        for i in {i for edge in SKELETON_EDGES for i in edge}:
            if pose.visibility[i] > 0.3:
                pygame.draw.circle(canvas, INK, pts[i], width + 2)

    def _trunk(self, canvas: pygame.Surface, pose: Pose, fit: Fit, lean: float) -> None:
        hips = fit.to_canvas(pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP))
        shoulders = fit.to_canvas(pose.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
        colour = GOOD if lean > 0 else WARN
        length = np.linalg.norm(shoulders - hips)
        plumb = hips - (0, length)
        pygame.draw.line(canvas, INK, hips, plumb, max(1, canvas.get_height() // 400))
        pygame.draw.line(canvas, colour, hips, shoulders, max(4, canvas.get_height() // 120))
        pygame.draw.circle(canvas, colour, hips, max(6, canvas.get_height() // 90))
        label = self.font(canvas.get_height() // 12).render(f"{lean:+.1f}°", True, colour)
        pill = label.get_rect()
        pill.midleft = (int(max(hips[0], shoulders[0]) + length * 0.25), int((hips[1] + shoulders[1]) / 2))
        pill.clamp_ip(canvas.get_rect())
        backing = pill.inflate(pill.height // 2, pill.height // 4)
        pygame.draw.rect(canvas, BACKDROP, backing, border_radius=backing.height // 3)
        canvas.blit(label, pill)

    def _prompt(self, canvas: pygame.Surface, text: str) -> None:
        label = self.font(canvas.get_height() // 8).render(text, True, INK)
        box = label.get_rect(center=canvas.get_rect().center)
        backing = box.inflate(box.height, box.height // 2)
        shade = pygame.Surface(backing.size, pygame.SRCALPHA)
        shade.fill((*BACKDROP, 210))
        canvas.blit(shade, backing)
        canvas.blit(label, box)

    def _banner(self, canvas: pygame.Surface, text: str) -> None:
        cw, ch = canvas.get_size()
        bar = pygame.Rect(0, 0, cw, max(48, ch // 6))
        pygame.draw.rect(canvas, BANNER, bar)
        font = self.font(int(bar.height * 0.62))
        label = font.render(text, True, BANNER_INK)
        if label.get_width() > cw * 0.94:
            label = pygame.transform.smoothscale(
                label, (int(cw * 0.94), int(label.get_height() * cw * 0.94 / label.get_width()))
            )
        canvas.blit(label, label.get_rect(center=bar.center))

    def _status(self, canvas: pygame.Surface, text: str) -> None:
        cw, ch = canvas.get_size()
        strip = pygame.Rect(0, ch - max(28, ch // 18), cw, max(28, ch // 18))
        shade = pygame.Surface(strip.size, pygame.SRCALPHA)
        shade.fill((*BACKDROP, 200))
        canvas.blit(shade, strip)
        label = self.font(int(strip.height * 0.75)).render(text, True, INK)
        canvas.blit(label, label.get_rect(midleft=(strip.x + strip.height // 2, strip.centery)))
