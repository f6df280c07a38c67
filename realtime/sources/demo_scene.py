"""Drawing the demo: a clean runner figure on a treadmill, from landmark pixels.

`TreadmillScene(spec)` is configured once (it paints the static room and treadmill),
then `render(xy, t)` draws one BGR frame for the clean landmarks `xy` `(33, 2)` at time
`t`. Pure drawing with OpenCV (anti-aliased, `cv2.LINE_AA`): no clock, no I/O.

Depth order, back to front: room, treadmill, the far arm and leg, the trunk and head,
the near leg and arm. Far limbs are drawn a shade darker. Colours are given as RGB and
converted to OpenCV's BGR once.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from realtime.core.pose import Landmark as L
from realtime.sources.synthetic import RunnerSpec

Rgb = tuple[int, int, int]

#: The runner's colours (RGB). `SHIRT` is what a test looks for to find the figure.
SKIN: Rgb = (226, 172, 136)
SHIRT: Rgb = (58, 120, 232)
SHORTS: Rgb = (38, 42, 54)
SHOE: Rgb = (240, 242, 246)
SOLE: Rgb = (232, 92, 76)
HAIR: Rgb = (52, 38, 32)

#: The room and the treadmill (RGB).
WALL_TOP: Rgb = (64, 74, 92)
WALL_BOTTOM: Rgb = (96, 108, 126)
FLOOR_TOP: Rgb = (54, 60, 72)
FLOOR_BOTTOM: Rgb = (40, 45, 55)
FRAME: Rgb = (170, 178, 190)
FRAME_DARK: Rgb = (120, 128, 142)
BELT: Rgb = (30, 33, 40)
BELT_MARK: Rgb = (62, 66, 76)
CONSOLE: Rgb = (36, 40, 50)
SCREEN_GLOW: Rgb = (96, 200, 220)
TAG_INK: Rgb = (236, 239, 244)
TAG_BACK: Rgb = (24, 28, 36)

#: How much darker the far-side limbs are drawn.
FAR_SHADE = 0.72

#: Limb widths as fractions of the body height in pixels.
_W = {"thigh": 0.082, "shank": 0.060, "foot": 0.046, "upper_arm": 0.052, "forearm": 0.044,
      "trunk": 0.150, "neck": 0.055, "head_r": 0.066, "hand_r": 0.028}

_SIDES = {
    "left": dict(shoulder=L.LEFT_SHOULDER, elbow=L.LEFT_ELBOW, wrist=L.LEFT_WRIST, index=L.LEFT_INDEX,
                 hip=L.LEFT_HIP, knee=L.LEFT_KNEE, ankle=L.LEFT_ANKLE, heel=L.LEFT_HEEL,
                 toe=L.LEFT_FOOT_INDEX, ear=L.LEFT_EAR),
    "right": dict(shoulder=L.RIGHT_SHOULDER, elbow=L.RIGHT_ELBOW, wrist=L.RIGHT_WRIST, index=L.RIGHT_INDEX,
                  hip=L.RIGHT_HIP, knee=L.RIGHT_KNEE, ankle=L.RIGHT_ANKLE, heel=L.RIGHT_HEEL,
                  toe=L.RIGHT_FOOT_INDEX, ear=L.RIGHT_EAR),
}

_SHIFT = 4  # fixed-point bits for sub-pixel drawing
_ONE = 1 << _SHIFT


def bgr(rgb: Rgb, shade: float = 1.0) -> tuple[int, int, int]:
    """An RGB colour as OpenCV's BGR, optionally darkened by `shade` in (0, 1]."""
    r, g, b = (int(round(c * shade)) for c in rgb)
    return (b, g, r)


def _fx(p: np.ndarray) -> tuple[int, int]:
    """A point in pixels as fixed-point integers for OpenCV's `shift` argument."""
    return (int(round(float(p[0]) * _ONE)), int(round(float(p[1]) * _ONE)))


def capsule(img: np.ndarray, a: np.ndarray, b: np.ndarray, width: float, colour: Rgb, shade: float = 1.0) -> None:
    """A thick line with round ends from `a` to `b` (pixels), anti-aliased."""
    c = bgr(colour, shade)
    r = max(1.0, width / 2)
    cv2.line(img, _fx(a), _fx(b), c, max(1, int(round(width))), cv2.LINE_AA, _SHIFT)
    for p in (a, b):
        cv2.circle(img, _fx(p), int(round(r * _ONE)), c, -1, cv2.LINE_AA, _SHIFT)


def disc(img: np.ndarray, centre: np.ndarray, radius: float, colour: Rgb, shade: float = 1.0) -> None:
    """A filled, anti-aliased circle."""
    cv2.circle(img, _fx(centre), int(round(radius * _ONE)), bgr(colour, shade), -1, cv2.LINE_AA, _SHIFT)


def polygon(img: np.ndarray, pts: np.ndarray, colour: Rgb, shade: float = 1.0) -> None:
    """A filled, anti-aliased polygon from `(N, 2)` pixels."""
    fixed = np.round(np.asarray(pts, dtype=float) * _ONE).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [fixed], bgr(colour, shade), cv2.LINE_AA, _SHIFT)


def _unit(v: np.ndarray) -> np.ndarray:
    """`v` scaled to length 1 (unchanged when it is zero)."""
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _blob(centre: np.ndarray, up: np.ndarray, fwd: np.ndarray, half_len: float,
          back: float, front: float, n: float = 3.0, points: int = 48) -> np.ndarray:
    """A rounded block `(points, 2)`: a superellipse of exponent `n` along `up`, reaching
    `back` behind and `front` ahead of its axis (pixels)."""
    a = np.linspace(0, 2 * np.pi, points, endpoint=False)
    c, s = np.cos(a), np.sin(a)
    along = half_len * np.sign(s) * np.abs(s) ** (2 / n)
    across = np.sign(c) * np.abs(c) ** (2 / n)
    across = np.where(across >= 0, front * across, back * across)
    return centre + along[:, None] * up + across[:, None] * fwd


def _gradient(height: int, width: int, top: Rgb, bottom: Rgb) -> np.ndarray:
    """A vertical BGR gradient `(height, width, 3)` uint8."""
    w = np.linspace(0.0, 1.0, max(1, height))[:, None]
    col = (1 - w) * np.array(bgr(top), float) + w * np.array(bgr(bottom), float)
    return np.repeat(col[:, None, :], width, axis=1).round().astype(np.uint8)


class TreadmillScene:
    """Renders the demo runner on a treadmill; configured once for a `RunnerSpec`."""

    #: The belt's ends, metres behind (-) and ahead of the hip.
    deck_rear_m = -0.95
    deck_front_m = 0.95

    def __init__(
        self, spec: RunnerSpec, belt_speed_mps: float = 0.0, tag: str | None = "DEMO  synthetic runner"
    ) -> None:
        self.spec = spec
        self.belt_speed_mps = belt_speed_mps
        self.tag = tag
        self.width, self.height = spec.image_size
        self.s = spec.px_per_m
        self.sign = 1.0 if spec.facing == "right" else -1.0
        self.cx = self.width / 2
        self.deck_y = spec.deck_y_px
        self.near = spec.near_leg
        self.far = "left" if self.near == "right" else "right"
        self._background = self._paint_background()

    # --- geometry ------------------------------------------------------------------------

    def _x(self, f_m: float) -> float:
        """Image x of a point `f_m` metres ahead of the hip (in the running direction)."""
        return self.cx + self.sign * self.s * f_m

    def _pt(self, f_m: float, u_m: float) -> np.ndarray:
        """Image pixels of (forward, up) metres from the deck under the hip."""
        return np.array([self._x(f_m), self.deck_y - self.s * u_m])

    # --- the static picture ----------------------------------------------------------------

    def _paint_background(self) -> np.ndarray:
        h, w = self.height, self.width
        floor_y = int(round(self.deck_y + 0.17 * self.s))
        img = np.empty((h, w, 3), np.uint8)
        img[:floor_y] = _gradient(floor_y, w, WALL_TOP, WALL_BOTTOM)
        img[floor_y:] = _gradient(h - floor_y, w, FLOOR_TOP, FLOOR_BOTTOM)
        cv2.line(img, (0, floor_y), (w, floor_y), bgr(WALL_BOTTOM, 1.12), 2, cv2.LINE_AA)
        self._shadow(img, floor_y)
        self._treadmill(img)
        return img

    def _shadow(self, img: np.ndarray, floor_y: int) -> None:
        """A soft shadow of the treadmill on the floor."""
        shade = np.zeros(img.shape[:2], np.float32)
        a, b = self._x(self.deck_rear_m - 0.05), self._x(self.deck_front_m + 0.1)
        centre = (int(round((a + b) / 2)), floor_y + int(0.02 * self.s))
        axes = (int(abs(b - a) / 2), max(2, int(0.05 * self.s)))
        cv2.ellipse(shade, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        shade = cv2.GaussianBlur(shade, (0, 0), max(1.0, 0.03 * self.s))
        img[:] = (img * (1 - 0.45 * shade[..., None])).astype(np.uint8)

    def _treadmill(self, img: np.ndarray) -> None:
        s = self.s
        rear, front = self.deck_rear_m, self.deck_front_m
        # Upright and console at the front, behind the deck's front end.
        foot = self._pt(front - 0.08, -0.02)
        top = self._pt(front - 0.22, 1.08)
        capsule(img, foot, top, 0.055 * s, FRAME_DARK)
        console = np.array([self._pt(front - 0.40, 1.14), self._pt(front - 0.10, 1.26),
                            self._pt(front - 0.02, 1.16), self._pt(front - 0.30, 1.04)])
        polygon(img, console, CONSOLE)
        cv2.polylines(img, [np.round(console * _ONE).astype(np.int32)], True, bgr(FRAME_DARK), 2, cv2.LINE_AA, _SHIFT)
        glow = np.array([self._pt(front - 0.32, 1.135), self._pt(front - 0.12, 1.215),
                         self._pt(front - 0.08, 1.165), self._pt(front - 0.27, 1.09)])
        polygon(img, glow, SCREEN_GLOW, 0.8)
        # Deck: the motor hood in front, the frame, then the belt on top.
        hood = np.array([self._pt(front - 0.10, 0.0), self._pt(front + 0.05, 0.0),
                         self._pt(front + 0.10, -0.06), self._pt(front + 0.06, -0.14),
                         self._pt(front - 0.10, -0.14)])
        polygon(img, hood, FRAME_DARK)
        capsule(img, self._pt(rear, -0.075), self._pt(front, -0.075), 0.11 * s, FRAME)
        capsule(img, self._pt(rear + 0.02, -0.11), self._pt(front - 0.02, -0.11), 0.03 * s, FRAME_DARK)
        capsule(img, self._pt(rear, -0.025), self._pt(front - 0.04, -0.025), 0.05 * s, BELT)
        for f in (rear + 0.12, front - 0.18):
            capsule(img, self._pt(f - 0.04, -0.16), self._pt(f + 0.04, -0.16), 0.035 * s, CONSOLE)

    # --- per frame ---------------------------------------------------------------------------

    def render(self, xy: np.ndarray, t: float) -> np.ndarray:
        """One BGR frame `(H, W, 3)` uint8 of the figure with clean landmarks `xy` `(33, 2)` at `t`."""
        img = self._background.copy()
        self._belt_marks(img, t)
        self._limbs(img, xy, self.far, FAR_SHADE, arm=True, leg=True)
        self._trunk_and_head(img, xy)
        self._limbs(img, xy, self.near, 1.0, arm=False, leg=True)
        self._limbs(img, xy, self.near, 1.0, arm=True, leg=False)
        if self.tag:
            self._tag(img, self.tag)
        return img

    def _belt_marks(self, img: np.ndarray, t: float) -> None:
        """Short marks on the belt, moving backwards at the belt speed."""
        spacing = 0.3
        offset = (self.belt_speed_mps * t) % spacing
        f = self.deck_front_m - 0.12 - offset
        while f > self.deck_rear_m + 0.08:
            capsule(img, self._pt(f, -0.025), self._pt(f - 0.06, -0.025), 0.012 * self.s, BELT_MARK)
            f -= spacing

    def _limbs(self, img: np.ndarray, xy: np.ndarray, side: str, shade: float, arm: bool, leg: bool) -> None:
        h = self.spec.body_height_px
        i = _SIDES[side]
        if leg:
            hip, knee, ankle = xy[i["hip"]], xy[i["knee"]], xy[i["ankle"]]
            heel, toe = xy[i["heel"]], xy[i["toe"]]
            capsule(img, knee, ankle, _W["shank"] * h, SKIN, shade)
            capsule(img, hip, knee, _W["thigh"] * h, SKIN, shade)
            along = _unit(knee - hip)
            across = np.array([-along[1], along[0]]) * _W["thigh"] * h * 0.58
            hem = hip + 0.42 * (knee - hip)
            polygon(img, np.array([hip + across, hem + across * 1.05, hem - across * 1.05, hip - across]),
                    SHORTS, shade)
            disc(img, hip, _W["thigh"] * h * 0.58, SHORTS, shade)
            ball = heel + 0.78 * (toe - heel)
            capsule(img, ankle, ball, _W["foot"] * h, SHOE, shade)
            capsule(img, heel, toe, _W["foot"] * h * 0.8, SHOE, shade)
            sole_dir = toe - heel
            down = np.array([-sole_dir[1], sole_dir[0]]) * self.sign  # the sole side of the foot
            down = down / (np.linalg.norm(down) + 1e-9)
            off = down * _W["foot"] * h * 0.32
            capsule(img, heel + off, toe + off, _W["foot"] * h * 0.22, SOLE, shade)
        if arm:
            shoulder, elbow, wrist = xy[i["shoulder"]], xy[i["elbow"]], xy[i["wrist"]]
            hand = wrist + 0.5 * (xy[i["index"]] - wrist)
            capsule(img, shoulder, elbow, _W["upper_arm"] * h, SKIN, shade)
            capsule(img, shoulder, shoulder + 0.42 * (elbow - shoulder), _W["upper_arm"] * h * 1.2, SHIRT, shade)
            capsule(img, elbow, wrist, _W["forearm"] * h, SKIN, shade)
            disc(img, hand, _W["hand_r"] * h, SKIN, shade)

    def _trunk_and_head(self, img: np.ndarray, xy: np.ndarray) -> None:
        h = self.spec.body_height_px
        hip = (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
        shoulder = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
        axis = shoulder - hip
        length = float(np.linalg.norm(axis)) or 1.0
        up = axis / length
        fwd = np.array([up[1], -up[0]])  # perpendicular to the trunk, towards the running direction
        fwd = fwd if fwd[0] * self.sign >= 0 else -fwd
        w = _W["trunk"] * h
        # Shorts round the hips, then the shirt: a rounded block, the chest a little deeper.
        shorts = _blob(hip + 0.06 * length * up, up, fwd, 0.22 * length, 0.5 * w, 0.5 * w, 3.0)
        polygon(img, shorts, SHORTS)
        shirt = _blob(hip + 0.56 * length * up, up, fwd, 0.5 * length, 0.47 * w, 0.54 * w, 3.2)
        capsule(img, shoulder + 0.05 * length * up, shoulder + 0.32 * length * up, _W["neck"] * h, SKIN)
        polygon(img, shirt, SHIRT)
        self._head(img, xy, shoulder)

    def _head(self, img: np.ndarray, xy: np.ndarray, shoulder: np.ndarray) -> None:
        """The head: skin, hair over the back and the top, a hint of the ear."""
        ear = (xy[L.LEFT_EAR] + xy[L.RIGHT_EAR]) / 2
        nose = xy[L.NOSE]
        r = _W["head_r"] * self.spec.body_height_px
        head_up = _unit(ear - shoulder)
        face = _unit(nose - ear)
        centre = (ear + nose) / 2 + 0.25 * r * head_up
        disc(img, centre, r, SKIN)
        # Hair: the circle's arc from the nape over the crown to the forehead, then a hairline
        # back above the ear. In the head's frame, angle 0 points straight back, pi/2 straight up.
        def at(angle: float, k: float = 1.0) -> np.ndarray:
            return centre + k * r * (math.cos(angle) * -face + math.sin(angle) * head_up)

        arc = [at(a, 1.04) for a in np.linspace(-0.75, 2.05, 40)]
        hairline = [at(1.95, 0.72), at(1.7, 0.45), at(1.2, 0.3), at(0.3, 0.35), at(-0.6, 0.8)]
        polygon(img, np.array(arc + hairline), HAIR)
        disc(img, centre - r * (0.05 * face + 0.12 * head_up), 0.2 * r, SKIN, 0.88)

    def _tag(self, img: np.ndarray, text: str) -> None:
        """A small label saying that this is the demo, top right."""
        scale, thick = self.height / 1200, max(1, int(round(self.height / 500)))
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
        pad = int(th * 0.7)
        x1 = self.width - int(0.025 * self.width)
        y0 = int(0.2 * self.height)
        x0, y1 = x1 - tw - 2 * pad, y0 + th + base + 2 * pad
        cv2.rectangle(img, (x0, y0), (x1, y1), bgr(TAG_BACK), -1, cv2.LINE_AA)
        cv2.putText(img, text, (x0 + pad, y1 - pad - base), cv2.FONT_HERSHEY_DUPLEX, scale,
                    bgr(TAG_INK), thick, cv2.LINE_AA)
