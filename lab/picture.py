"""Backgrounds, compositing and what a real camera does to a picture (noise, JPEG, blur).

Photo backgrounds are the empty scenes of the shared real clips (`../shared/data/clips`):
the gym wall of `empty_room.mp4`, and the temporal medians of `run_grass_short.mp4` (a
fence on grass) and `walk_multi_person.mp4` (a park), which remove the people passing.
Plain walls are drawn with a floor whose edge lies where the camera sees the wall meet the
floor `WALL_BEHIND_M` behind the treadmill.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from lab.scene import Camera
from realtime.core.errors import UserError

PHOTOS = {"gym": ("empty_room.mp4", False), "fence": ("run_grass_short.mp4", True),
          "park": ("walk_multi_person.mp4", True)}
WALLS = {"wall_white": (232, 232, 228), "wall_grey": (150, 152, 155), "wall_beige": (196, 214, 226),
         "wall_blue": (170, 140, 110)}  # BGR
FLOOR_BGR = (70, 78, 86)
WALL_BEHIND_M = 2.5
MEDIAN_SAMPLES = 25


def clips_dir() -> Path:
    """The shared real clips: `RIBSDOWN_CLIPS`, else ../shared/data/clips beside the repository."""
    override = os.environ.get("RIBSDOWN_CLIPS")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared/data/clips"


@lru_cache(maxsize=8)
def photo(name: str) -> np.ndarray:
    """A photo background (BGR), the clip's first frame or its temporal median."""
    file, median = PHOTOS[name]
    path = clips_dir() / file
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise UserError(f"background {name!r} needs {path} (the shared clips); use a plain wall, e.g. wall_grey")
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    for index in np.linspace(0, max(count - 1, 0), MEDIAN_SAMPLES if median else 1).astype(int):
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, frame = cap.read()
        if ok:
            frames.append(frame)
    cap.release()
    if not frames:
        raise UserError(f"could not read {path} for the background {name!r}")
    return np.median(np.array(frames), axis=0).astype(np.uint8) if median else frames[0]


def cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The image scaled to cover width×height and centre-cropped."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    resized = cv2.resize(image, (max(width, round(w * scale)), max(height, round(h * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    y0 = (resized.shape[0] - height) // 2
    x0 = (resized.shape[1] - width) // 2
    return resized[y0:y0 + height, x0:x0 + width].copy()


def image_roll_deg(camera: Camera) -> float:
    """How far the camera's roll turns the scene in its picture, degrees counter-clockwise:
    the angle of the world's up direction in the image (the pitch does not change it)."""
    up = camera.pose[:3, :3].T @ np.array([0.0, 1.0, 0.0])
    return -math.degrees(math.atan2(up[0], up[1]))


def rolled_cover(image: np.ndarray, camera: Camera) -> np.ndarray:
    """A photo backdrop as the rolled camera would see it: turned by the camera's roll about
    the image centre, scaled so that the turned photo still covers the whole frame."""
    w, h = camera.width, camera.height
    angle = image_roll_deg(camera)
    if abs(angle) < 1e-6:
        return cover(image, w, h)
    turn = math.radians(abs(angle))
    grow = math.cos(turn) + max(w / h, h / w) * math.sin(turn)
    big_w, big_h = 2 * math.ceil(w * grow / 2), 2 * math.ceil(h * grow / 2)
    big = cover(image, big_w, big_h)
    matrix = cv2.getRotationMatrix2D((big_w / 2, big_h / 2), angle, 1.0)
    matrix[:, 2] -= [(big_w - w) / 2, (big_h - h) / 2]
    return cv2.warpAffine(big, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def plain_wall(colour: tuple[int, int, int], camera: Camera) -> np.ndarray:
    """A painted wall with a soft light falloff, and the floor in front of it."""
    h, w = camera.height, camera.width
    ys = np.linspace(0.0, 1.0, h)[:, None, None]
    xs = np.linspace(-1.0, 1.0, w)[None, :, None]
    shade = 1.0 - 0.10 * ys - 0.08 * xs**2
    out = np.clip(np.asarray(colour, dtype=float) * shade, 0, 255)
    edge = camera.project(np.array([[-5.0, 0.0, -WALL_BEHIND_M], [5.0, 0.0, -WALL_BEHIND_M]]))
    if np.all(np.isfinite(edge)):
        cols = np.arange(w)
        edge_y = np.interp(cols, edge[:, 0], edge[:, 1])
        floor = np.arange(h)[:, None] >= edge_y[None, :]
        out[floor] = np.asarray(FLOOR_BGR, dtype=float)
    return out.astype(np.uint8)


def background(name: str, camera: Camera, lighting_gain: float) -> np.ndarray:
    """The clip's background at the camera's size (BGR), darkened for dim light."""
    if name == "none":
        base = np.zeros((camera.height, camera.width, 3), np.uint8)
    elif name in WALLS:
        base = plain_wall(WALLS[name], camera)
    else:
        base = rolled_cover(photo(name), camera)
    return np.clip(base.astype(np.float32) * lighting_gain, 0, 255).astype(np.uint8)


def composite(rgba: np.ndarray, background_bgr: np.ndarray) -> np.ndarray:
    """The rendered RGBA over the background, as BGR uint8."""
    alpha = rgba[:, :, 3].astype(np.float32) * np.float32(1.0 / 255.0)
    fg = cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR)
    return cv2.blendLinear(fg, background_bgr, alpha, 1.0 - alpha)


class SensorNoise:
    """Gaussian sensor noise of `sd` grey levels: a bank of `BANK` noise images drawn once,
    each frame one of them, shifted by a random offset (drawing 2.8 million normal numbers a
    720p frame would cost about 45 ms)."""

    BANK = 6

    def __init__(self, sd: float, height: int, width: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.bank = [self.rng.standard_normal((height, width, 3), dtype=np.float32) * np.float32(sd)
                     for _ in range(self.BANK if sd > 0 else 0)]

    def add(self, bgr: np.ndarray) -> np.ndarray:
        """The image with this frame's noise."""
        if not self.bank:
            return bgr
        grain = self.bank[int(self.rng.integers(len(self.bank)))]
        dy, dx = (int(v) for v in self.rng.integers(0, 64, size=2))
        return cv2.add(bgr, np.roll(grain, (dy, dx), axis=(0, 1)), dtype=cv2.CV_8U)


def camera_effects(bgr: np.ndarray, noise: SensorNoise, jpeg_quality: int | None) -> np.ndarray:
    """Sensor noise and a JPEG round trip (an MJPEG camera)."""
    out = noise.add(bgr)
    if jpeg_quality is not None:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        out = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return out
