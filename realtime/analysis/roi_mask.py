"""The segmentation mask as the pose model makes it: a square crop around the person.

MediaPipe Pose computes its mask on the 256×256 crop its landmark model sees (a rotated
square around the person, `pose_rect`) and then warps it onto the whole frame, which costs
more than the crop itself (720×1280: about 6 ms a frame of the model's 8). `RoiMask` keeps
the crop and where it lies, and reads the mask at any frame pixel the way the warp would
have: the warp samples the crop bilinearly at the frame pixel's place in the crop, which is
what `sample` does (`bench/roi_mask.py` on the arched clip: |Δ| mean 0.0002, max 0.036 in the
mask's edge band, where OpenCV's 1/32-pixel quantisation of the two warps differs).

Coordinates are OpenCV's: pixel centres at integers, in the frame's own pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class RoiMask:
    """The mask crop `(h, w)` float32 and the affine map (2×3) from frame pixels into it;
    `frame_size` (width, height): the frame the map is for (the mask is 0 outside it)."""

    crop: np.ndarray
    to_crop: np.ndarray
    frame_size: tuple[int, int]

    @classmethod
    def from_rect(cls, crop: np.ndarray, x_center: float, y_center: float, width: float, height: float,
                  rotation: float, frame_size: tuple[int, int]) -> "RoiMask":
        """The crop of a MediaPipe `NormalizedRect` (fractions of the frame; rotation in radians,
        clockwise on screen) over a frame of `frame_size` (width, height) pixels.

        MediaPipe's ImageToTensor maps the rectangle's corners (OpenCV's `boxPoints`, the
        centre at `x_center·W, y_center·H`) onto the crop's corners (0, 0)…(w, h)."""
        fw, fh = frame_size
        ch, cw = crop.shape[:2]
        c, s = math.cos(rotation), math.sin(rotation)
        kx, ky = cw / (width * fw), ch / (height * fh)
        cx, cy = x_center * fw, y_center * fh
        # crop = K · R(−rotation) · (p − centre) + crop centre
        to_crop = np.array([[kx * c, kx * s, 0.0], [-ky * s, ky * c, 0.0]])
        to_crop[:, 2] = (cw / 2, ch / 2) - to_crop[:, :2] @ (cx, cy)
        return cls(np.ascontiguousarray(crop, dtype=np.float32), to_crop, (int(fw), int(fh)))

    @classmethod
    def from_normalized_rect(cls, crop: np.ndarray, rect: object, frame_size: tuple[int, int]) -> "RoiMask":
        """`from_rect` with the fields of a MediaPipe `NormalizedRect` (`pose_rect`)."""
        return cls.from_rect(crop, rect.x_center, rect.y_center, rect.width, rect.height, rect.rotation, frame_size)

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The mask at frame pixels (`x`, `y`, same shape, float32), bilinear; 0 outside the
        crop and outside the frame (as the warped full-frame mask reads)."""
        a = self.to_crop
        x, y = np.asarray(x), np.asarray(y)
        grid = x.shape if x.ndim == 2 else (1, -1)  # cv2.remap takes 2-D maps
        u = (a[0, 0] * x + a[0, 1] * y + a[0, 2]).astype(np.float32).reshape(grid)
        v = (a[1, 0] * x + a[1, 1] * y + a[1, 2]).astype(np.float32).reshape(grid)
        vals = cv2.remap(self.crop, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        vals = vals.reshape(x.shape)
        fw, fh = self.frame_size
        vals[(x < -0.5) | (y < -0.5) | (x > fw - 0.5) | (y > fh - 0.5)] = 0.0
        return vals

    def full_frame(self) -> np.ndarray:
        """The mask over the whole frame `(H, W)` float32, as MediaPipe would have warped it."""
        fw, fh = self.frame_size
        return cv2.warpAffine(self.crop, self.to_crop, (fw, fh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
