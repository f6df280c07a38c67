"""Instant replay: the last few seconds kept small, and the last stride played back slowly.

"The best way to tell is to film yourself and look at it after" — right after a cue
the screen shows the stride that caused it, slowed down, with the trunk line.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

import cv2
import numpy as np

from realtime.core.pose import Pose


#: Room left around the runner's landmarks in the replay's crop, in body heights (the
#: landmarks' box): the top of the head is above the eyes, and the shoes beyond the heel and
#: toe landmarks, by less than a tenth of the body; the rest keeps the runner off the edges.
CROP_MARGIN = 0.12
#: Landmarks below this visibility are not used to place the crop.
CROP_MIN_VISIBILITY = 0.3


@dataclass(frozen=True)
class ReplayFrame:
    """One kept frame: a small BGR image `(h, w, 3)`, the pose scaled to it (or None).

    `crop`: (x0, y0, x1, y1) of the image that shows the runner, the same for every frame of a
    replayed clip (None: the whole image); `praise`: the clip replays a praised stride.
    """

    t: float
    image_bgr: np.ndarray
    pose: Pose | None
    trunk_lean_deg: float | None
    crop: tuple[int, int, int, int] | None = None
    praise: bool = False


def runner_crop(poses: list[Pose | None], image_size: tuple[int, int],
                margin: float = CROP_MARGIN) -> tuple[int, int, int, int] | None:
    """One box around the runner for a whole clip: the box of every visible landmark of every
    pose, grown by `margin` body heights on each side, clamped to the image `(w, h)`.
    None when no pose has a visible landmark."""
    points = [p.xy[p.visibility > CROP_MIN_VISIBILITY] for p in poses if p is not None]
    points = [xy for xy in points if len(xy)]
    if not points:
        return None
    xy = np.concatenate(points)
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    grow = margin * max(float(y1 - y0), 1.0)
    w, h = image_size
    box = (int(max(0, x0 - grow)), int(max(0, y0 - grow)), int(min(w, x1 + grow + 1)), int(min(h, y1 + grow + 1)))
    return box if box[2] - box[0] >= 2 and box[3] - box[1] >= 2 else None


class ReplayBuffer:
    """Keeps the last `span_s` seconds of frames, shrunk so the longer side is `max_side`.

    The small images of frames that fall out of the span are reused for new ones (no
    per-frame allocation); `clip` hands out copies, so a replay that is playing keeps its frames.
    """

    def __init__(self, span_s: float = 3.0, max_side: int = 360) -> None:
        self.span_s = span_s
        self.max_side = max_side
        self._frames: deque[ReplayFrame] = deque()
        self._spare: list[np.ndarray] = []
        self._scratch: dict[tuple[int, int], np.ndarray] = {}  # halving buffers, by (h, w)

    def push(self, t: float, image_bgr: np.ndarray, pose: Pose | None, lean: float | None) -> None:
        """Keep a frame (and drop what is older than the span).

        The frame is shrunk by a whole factor to at most `max_side`: by successive halvings
        when the factor is a power of two (each a 2×2 average, OpenCV's bilinear at exactly
        half: 0.3 ms for 720×1280 → 180×320, against 1.5 ms with its pixel-area resize),
        else by pixel areas.
        """
        h, w = image_bgr.shape[:2]
        factor = max(1, math.ceil(max(h, w) / self.max_side))
        size = (max(1, w // factor), max(1, h // factor))
        small = self._spare_image((size[1], size[0], 3))
        if factor == 1:
            small[:] = image_bgr
        elif factor & (factor - 1) == 0:
            self._halve(image_bgr, factor, small)
        else:
            cv2.resize(image_bgr, size, dst=small, interpolation=cv2.INTER_AREA)
        scaled = pose.with_xy(pose.xy * (size[0] / w, size[1] / h)) if pose is not None else None
        self._frames.append(ReplayFrame(t, small, scaled, lean))
        # drop what is too old, and everything after a clock that went back (a new session)
        while self._frames and (self._frames[0].t < t - self.span_s or self._frames[0].t > t):
            self._spare.append(self._frames.popleft().image_bgr)

    def _halve(self, image: np.ndarray, factor: int, dst: np.ndarray) -> None:
        """`image` shrunk by `factor` (a power of two) into `dst`, halving through reused buffers."""
        while factor > 2:
            h, w = image.shape[:2]
            half = self._scratch.get((h // 2, w // 2))
            if half is None:
                half = self._scratch[(h // 2, w // 2)] = np.empty((h // 2, w // 2, 3), dtype=np.uint8)
            cv2.resize(image, (w // 2, h // 2), dst=half, interpolation=cv2.INTER_LINEAR)
            image, factor = half, factor // 2
        cv2.resize(image, (dst.shape[1], dst.shape[0]), dst=dst, interpolation=cv2.INTER_LINEAR)

    def _spare_image(self, shape: tuple[int, int, int]) -> np.ndarray:
        while self._spare:
            image = self._spare.pop()
            if image.shape == shape:
                return image
        return np.empty(shape, dtype=np.uint8)

    def clip(self, t0: float, t1: float) -> list[ReplayFrame]:
        """Copies of the kept frames with t0 <= t <= t1."""
        return [replace(f, image_bgr=f.image_bgr.copy()) for f in self._frames if t0 <= f.t <= t1]


class InstantReplay:
    """Plays a clip of frames at `speed` (0.35: about three times slower), `loops` times."""

    def __init__(self, speed: float = 0.35, loops: int = 2) -> None:
        self.speed = speed
        self.loops = loops
        self._clip: list[ReplayFrame] = []
        self._start = 0.0

    def start(self, now: float, clip: list[ReplayFrame], praise: bool = False) -> None:
        """Begin playing `clip` at time `now` (ignored when it is too short), cropped around the
        runner (`runner_crop`, one box for the whole clip so the picture holds still)."""
        if len(clip) >= 3:
            crop = runner_crop([f.pose for f in clip], clip[0].image_bgr.shape[1::-1])
            self._clip, self._start = [replace(f, crop=crop, praise=praise) for f in clip], now

    @property
    def length_s(self) -> float:
        """How long one pass of the clip takes on screen."""
        if not self._clip:
            return 0.0
        return (self._clip[-1].t - self._clip[0].t) / self.speed

    def frame_at(self, now: float) -> ReplayFrame | None:
        """The frame to show at `now`, or None when nothing is playing."""
        if not self._clip:
            return None
        elapsed = now - self._start
        one = self.length_s
        if elapsed < 0 or one <= 0 or elapsed >= one * self.loops:
            self._clip = [] if elapsed >= one * self.loops else self._clip
            return None
        target = self._clip[0].t + (elapsed % one) * self.speed
        times = np.array([f.t for f in self._clip])
        return self._clip[int(np.clip(np.searchsorted(times, target), 0, len(self._clip) - 1))]
