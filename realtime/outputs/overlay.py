"""Drawing one screen frame: the camera image, skeleton, trunk line, gauges, banner, status.

`Overlay` is configured once, then `annotate(canvas, view)` draws one frame;
it does no I/O (no window, no files), so tests can draw on a plain Surface.
Layout: a panel of gauges on the right, the cue banner across the top, the status line along
the bottom. The camera image fills the rest; a narrow (portrait) image goes to the right of
that area, and the band it leaves on the left holds the set-up checklist and the instant
replay; a wide image is centred and the replay is an inset over its left side. The replay is
cropped around the runner so that the runner stands at least a third of the screen tall.
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
    CALM,
    GOOD,
    INK,
    MUTED,
    PANEL,
    SKELETON,
    WARN,
    GaugeSpec,
    ImageBlitter,
    ShadeCache,
    draw_checklist,
    draw_gauge,
    readable_font_px,
)

__all__ = ["BANNER", "GOOD", "WARN", "Fit", "Overlay", "View", "fit_image"]

#: The share of the canvas width the gauge panel takes when there are gauges.
PANEL_SHARE = 0.27
#: A camera image leaving at least this share of its area's width free is put to the right,
#: and the free band on the left holds the checklist and the replay (a portrait camera on a
#: landscape screen leaves 57 %).
SIDE_BAND_SHARE = 0.3
#: The replay inset over a wide image: at most this share of the image area's width.
INSET_WIDTH_SHARE = 0.45
#: The back's lines are not drawn: on the real treadmill clip the fitted lines sat 10–15 px
#: behind the sweatshirt's edge, in the background (issue #20), and a mark beside the body
#: reads as a measurement error. The outline analysis still feeds the cues and the report.
DRAW_BACK = False


@dataclass(frozen=True)
class View:
    """What one screen frame shows. `image_bgr` is `(H, W, 3)` uint8.

    `trunk_lean_deg`: the lean the screen shows (the gauge's: the last stride's), `trunk_ok`
    its verdict (the trunk line's colour; None: neutral, nothing judged yet). `back`: the back
    outline and fitted lines, in the image's pixels (drawn only with `DRAW_BACK`); `arched`:
    the cue rules see an arched back.
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
    #: The status line's small print (frame rate, keys), written small beside or above it.
    status_detail: str = ""
    #: The banner is praise: drawn in its calm colour, not the fault's amber.
    banner_calm: bool = False
    #: The last line the coach said ("0:13  Ribs down, lean forward"), and whether it was
    #: praise: kept in the side band (when there is one) after its banner has gone.
    last_cue: tuple[str, bool] | None = None


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
        fit, side = self.layout((cw, ch), (w, h), bool(view.gauges))
        self._camera.blit(canvas, pygame.Rect(fit.offset, fit.size), view.image_bgr)
        if view.pose is None:
            self._prompt(canvas, "Step into view", pygame.Rect(fit.offset, fit.size) if side else pygame.Rect(0, 0, cw - panel_w, ch))
        else:
            self._body(canvas, view, fit)
        if view.gauges:
            self._gauges(canvas, pygame.Rect(cw - panel_w, 0, panel_w, ch), view.gauges)
        if view.replay is not None:
            self._replay(canvas, view.replay, self.replay_box(canvas, view.replay, fit, side))
        if view.checklist is not None:
            self._checklist(canvas, view.checklist, side, cw - panel_w)
        elif side is not None and view.replay is None and view.last_cue is not None:
            self._last_cue(canvas, side, *view.last_cue)
        self._status(canvas, view.status_text, view.status_detail)
        if view.banner_text:
            self._banner(canvas, view.banner_text, CALM if view.banner_calm else BANNER)
        return canvas

    def layout(self, canvas_size: tuple[int, int], image_size: tuple[int, int],
               gauges: bool) -> tuple[Fit, pygame.Rect | None]:
        """Where the camera image goes (and the free band beside it, if any): left of the gauge
        panel, above the status line (the picture's feet are what the set-up checks and the
        runner look at first)."""
        cw, ch = canvas_size
        panel_w = int(cw * PANEL_SHARE) if gauges else 0
        return place_image(image_size, pygame.Rect(0, 0, cw - panel_w, ch - self.status_height(ch)))

    def status_height(self, ch: int) -> int:
        """The status strip's height for a canvas `ch` pixels high (its text at reading size)."""
        return int(self.font(readable_font_px(ch)).get_height() * 1.3)

    def replay_box(self, canvas: pygame.Surface, frame: ReplayFrame, fit: Fit, side: pygame.Rect | None) -> pygame.Rect:
        """Where the replay goes: the crop's aspect fitted in the side band, or else in an inset
        over the image's left side; between the banner (and the replay's tag) and the status line."""
        cw, ch = canvas.get_size()
        pad = ch // 40
        top = ch // 6 + self.font(max(16, ch // 30)).get_height() + 2 * pad
        bottom = ch - self.status_height(ch) - pad
        if side is not None:
            room = pygame.Rect(side.x + pad, top, side.width - 2 * pad, bottom - top)
        else:
            room = pygame.Rect(fit.offset[0] + pad, top, int(fit.size[0] * INSET_WIDTH_SHARE), bottom - top)
        x0, y0, x1, y1 = frame.crop if frame.crop is not None else (0, 0, *frame.image_bgr.shape[1::-1])
        box = fit_image((x1 - x0, y1 - y0), room.size, room.topleft)
        return pygame.Rect(box.offset, box.size)

    def _body(self, canvas: pygame.Surface, view: View, fit: Fit) -> None:
        """Skeleton and trunk line (coloured by the shown lean's verdict). No number on the body:
        the one lean value on screen is the gauge's."""
        if DRAW_BACK and shows_back(view.back):
            draw_back(canvas, view.back, fit.to_canvas, view.arched)
        self._skeleton(canvas, view.pose, fit)
        colour = SKELETON if view.trunk_ok is None else GOOD if view.trunk_ok else WARN
        self._trunk_line(canvas, view.pose, fit, colour, max(4, canvas.get_height() // 120))

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

    def _gauges(self, canvas: pygame.Surface, area: pygame.Rect, gauges) -> None:
        pad = area.width // 14
        top = area.y + canvas.get_height() // 6 + pad  # below the banner
        bottom = area.bottom - self.status_height(canvas.get_height()) - pad  # above the status line
        each = (bottom - top) // len(gauges)
        for i, (spec, value) in enumerate(gauges):
            rect = pygame.Rect(area.x + pad // 2, top + i * each, area.width - pad, each - pad // 2)
            draw_gauge(canvas, rect, spec, value, self.font)

    def _replay(self, canvas: pygame.Surface, frame: ReplayFrame, box: pygame.Rect) -> None:
        """The replayed frame cropped around the runner into `box`, with its skeleton and trunk
        line (amber: the stride that was cued; calm blue for praise) and a "Replay" tag."""
        x0, y0, x1, y1 = frame.crop if frame.crop is not None else (0, 0, *frame.image_bgr.shape[1::-1])
        pygame.draw.rect(canvas, INK, box.inflate(8, 8), border_radius=6)
        self._inset.blit(canvas, box, frame.image_bgr[y0:y1, x0:x1])
        local = Fit(box.width / max(x1 - x0, 1), box.topleft, box.size)
        if frame.pose is not None:
            pose = frame.pose.with_xy(frame.pose.xy - (x0, y0))
            self._skeleton(canvas, pose, local, scale=0.8)
            self._trunk_line(canvas, pose, local, CALM if frame.praise else WARN, max(4, canvas.get_height() // 120))
        ch = canvas.get_height()
        tag = self.font(max(16, ch // 30)).render("Replay · slow motion", True, BANNER_INK)
        back = tag.get_rect(topleft=(box.x, box.y - tag.get_height() - ch // 40)).inflate(12, 6)
        pygame.draw.rect(canvas, CALM if frame.praise else BANNER, back, border_radius=6)
        canvas.blit(tag, tag.get_rect(center=back.center))

    def _last_cue(self, canvas: pygame.Surface, side: pygame.Rect, text: str, praise: bool) -> None:
        """The coach's last line in the side band, at reading size, wrapped to the band."""
        ch = canvas.get_height()
        pad = ch // 30
        card = pygame.Rect(side.x + pad, ch // 6 + pad, side.width - 2 * pad, 0)
        head = self.font(readable_font_px(ch, 0.025)).render("Last cue", True, MUTED)
        lines = wrap(text, self.font(readable_font_px(ch)), card.width - 2 * pad)
        body = [self.font(readable_font_px(ch)).render(line, True, CALM if praise else WARN) for line in lines]
        card.height = 2 * pad + head.get_height() + sum(b.get_height() for b in body) + pad // 2
        pygame.draw.rect(canvas, PANEL, card, border_radius=12)
        y = card.y + pad
        canvas.blit(head, (card.x + pad, y))
        y += head.get_height() + pad // 2
        for label in body:
            canvas.blit(label, (card.x + pad, y))
            y += label.get_height()

    def _checklist(self, canvas: pygame.Surface, items, side: pygame.Rect | None, area_w: int) -> None:
        ch = canvas.get_height()
        if side is not None:
            rect = pygame.Rect(side.x + 16, ch // 6, side.width - 32, int(ch * 0.45))
        else:
            rect = pygame.Rect(16, 16, min(area_w - 32, int(ch * 0.62)), int(ch * 0.36))
        title = "Ready — start running" if all(ok for _, ok in items) else "Set up the camera"
        draw_checklist(canvas, rect, title, items, self.font)

    def _prompt(self, canvas: pygame.Surface, text: str, area: pygame.Rect) -> None:
        """`text` big in the middle of `area`, on two lines when one would not fit its width."""
        px = canvas.get_height() // 8
        lines = wrap(text, self.font(px), int(area.width * 0.85))
        widest = max(self.font(px).size(line)[0] for line in lines)
        if widest > area.width * 0.85:  # a single word wider than the area
            px = int(px * area.width * 0.85 / widest)
        rendered = [self.font(px).render(line, True, INK) for line in lines]
        label = pygame.Surface((max(r.get_width() for r in rendered), sum(r.get_height() for r in rendered)),
                               pygame.SRCALPHA)
        y = 0
        for r in rendered:
            label.blit(r, ((label.get_width() - r.get_width()) // 2, y))
            y += r.get_height()
        box = label.get_rect(center=area.center)
        backing = box.inflate(box.height, box.height // 2)
        canvas.blit(self._shades.get(backing.size, (*BACKDROP, 210)), backing)
        canvas.blit(label, box)

    def _banner(self, canvas: pygame.Surface, text: str, colour=BANNER) -> None:
        cw, ch = canvas.get_size()
        bar = pygame.Rect(0, 0, cw, max(48, ch // 6))
        pygame.draw.rect(canvas, colour, bar)
        label = self.font(int(bar.height * 0.62)).render(text, True, BANNER_INK)
        if label.get_width() > cw * 0.94:
            label = pygame.transform.smoothscale(
                label, (int(cw * 0.94), int(label.get_height() * cw * 0.94 / label.get_width()))
            )
        canvas.blit(label, label.get_rect(center=bar.center))

    def _status(self, canvas: pygame.Surface, text: str, detail: str = "") -> None:
        """The status line at reading size (`readable_font_px`: legible from the treadmill),
        shrunk only when it would not fit the width; the small print right-aligned in the strip
        when there is room, else just above it."""
        cw, ch = canvas.get_size()
        height = self.status_height(ch)
        strip = pygame.Rect(0, ch - height, cw, height)
        canvas.blit(self._shades.get(strip.size, (*BACKDROP, 200)), strip)
        margin = strip.height // 3
        label = self.font(readable_font_px(ch)).render(text, True, INK)
        if label.get_width() > cw - 2 * margin:
            label = pygame.transform.smoothscale(
                label, (cw - 2 * margin, int(label.get_height() * (cw - 2 * margin) / label.get_width())))
        canvas.blit(label, label.get_rect(midleft=(margin, strip.centery)))
        if detail:
            small = self.font(max(14, ch // 36)).render(detail, True, MUTED)
            if label.get_width() + small.get_width() + 3 * margin <= cw:
                spot = small.get_rect(midright=(cw - margin, strip.centery))
            else:
                spot = small.get_rect(bottomright=(cw - margin, strip.y - 4))
                canvas.blit(self._shades.get(spot.inflate(8, 4).size, (*BACKDROP, 200)), spot.inflate(8, 4))
            canvas.blit(small, spot)


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """`text` cut into lines at spaces so that each fits `width` pixels (a word longer than
    that stays whole on its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.size(f"{lines[-1]} {word}")[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def place_image(image_size: tuple[int, int], area: pygame.Rect) -> tuple[Fit, pygame.Rect | None]:
    """The image fitted in `area`, and the free band beside it: a narrow image (leaving at least
    `SIDE_BAND_SHARE` of the width) goes to the area's right, the band on its left is returned;
    a wide one is centred (no band)."""
    fit = fit_image(image_size, area.size, area.topleft)
    free = area.width - fit.size[0]
    if free < SIDE_BAND_SHARE * area.width:
        return fit, None
    placed = Fit(fit.scale, (area.right - fit.size[0], fit.offset[1]), fit.size)
    return placed, pygame.Rect(area.x, area.y, free, area.height)
