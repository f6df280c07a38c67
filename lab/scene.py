"""The room: the camera (a pinhole, exactly what pyrender draws with) and the treadmill.

World frame: metres, Y up, the floor at y = 0, the treadmill's belt along X with its top at
`DECK_TOP_M`, its centre line at z = 0; the camera stands on the +Z side looking at the
runner. The runner's body frame (z forward, y up, the belt at y = 0) is turned to face −X
(image left) or +X (image right) and lifted onto the belt (`body_to_world`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh

DECK_TOP_M = 0.18
DECK_LENGTH_M = 1.7
BELT_HALF_WIDTH_M = 0.25
RAIL_HALF_WIDTH_M = 0.33
RAIL_TOP_M = DECK_TOP_M + 0.04
HANDRAIL_M = 1.0
CONSOLE_M = 1.3
#: Where the camera aims: the middle of a runner's body on the belt.
AIM_HEIGHT_M = DECK_TOP_M + 0.9

DECK_GREY = (0.18, 0.18, 0.19)
FRAME_GREY = (0.55, 0.56, 0.58)
BELT_BLACK = (0.06, 0.06, 0.06)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: `width`×`height` pixels, focal `fx`=`fy` px, principal point at the
    centre, and `pose` (4×4 camera-to-world; the camera looks down its −Z with +Y up, as in
    OpenGL and pyrender)."""

    width: int
    height: int
    focal_px: float
    pose: np.ndarray

    @property
    def world_to_camera(self) -> np.ndarray:
        """The inverse of `pose`."""
        return np.linalg.inv(self.pose)

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world points → (N, 2) pixels (x right, y down); NaN behind the camera."""
        cam = np.atleast_2d(points) @ self.world_to_camera[:3, :3].T + self.world_to_camera[:3, 3]
        depth = -cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = self.width / 2 + self.focal_px * cam[:, 0] / depth
            y = self.height / 2 - self.focal_px * cam[:, 1] / depth
        out = np.stack([x, y], axis=1)
        out[depth <= 0] = np.nan
        return out

    def as_dict(self) -> dict:
        """For truth.json."""
        return {"fx": self.focal_px, "fy": self.focal_px, "cx": self.width / 2, "cy": self.height / 2,
                "camera_to_world": np.round(self.pose, 6).tolist()}


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([0.0, 1.0, 0.0])) -> np.ndarray:
    """Camera-to-world pose at `eye` looking at `target` (−Z forward, +Y up)."""
    back = eye - target
    back = back / np.linalg.norm(back)
    right = np.cross(up, back)
    right = right / np.linalg.norm(right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, np.cross(back, right), back, eye
    return pose


def turn(axis: str, deg: float) -> np.ndarray:
    """A 4×4 rotation about a camera axis ('y' pan, 'z' roll) by `deg`."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    out = np.eye(4)
    if axis == "y":
        out[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    else:
        out[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
    return out


def make_camera(width: int, height: int, hfov_deg: float, distance_m: float, height_m: float,
                yaw_deg: float = 0.0, roll_deg: float = 0.0) -> Camera:
    """A camera `distance_m` to the runner's side at `height_m`, aimed at the runner's middle,
    then panned by `yaw_deg` (+ left) and rolled by `roll_deg` (+ counter-clockwise in the image)."""
    focal = width / 2 / math.tan(math.radians(hfov_deg) / 2)
    eye = np.array([0.0, height_m, distance_m])
    pose = look_at(eye, np.array([0.0, AIM_HEIGHT_M, 0.0])) @ turn("y", yaw_deg) @ turn("z", roll_deg)
    return Camera(width, height, focal, pose)


def body_to_world(facing: str, belt_x_m: float = 0.0) -> np.ndarray:
    """The runner's body frame onto the belt, facing image-left (−X) or image-right (+X).

    Facing left, the body's left side (+X of the body) faces the camera: the left leg is
    the near one; facing right, the right leg is.
    """
    out = np.eye(4)
    if facing == "left":
        out[:3, :3] = [[0, 0, -1], [0, 1, 0], [1, 0, 0]]
    elif facing == "right":
        out[:3, :3] = [[0, 0, 1], [0, 1, 0], [-1, 0, 0]]
    else:
        raise ValueError(f"facing must be left or right, not {facing!r}")
    out[:3, 3] = [belt_x_m, DECK_TOP_M, 0.0]
    return out


def box(extents: tuple[float, float, float], centre: tuple[float, float, float], colour) -> trimesh.Trimesh:
    """A coloured box."""
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation(centre)
    mesh.visual.vertex_colors = np.tile(np.r_[np.asarray(colour) * 255, 255].astype(np.uint8), (len(mesh.vertices), 1))
    return mesh


def treadmill(front_x: float, console: str) -> list[trimesh.Trimesh]:
    """The deck, its side rails and motor hood, and (unless `console` is 'none') the uprights,
    handrails and console at the front end (`front_x`: +X or −X end, the way the runner faces).

    `console` 'near' adds a solid side panel under the near handrail, which hides the lower
    half of the near leg over the front of the stride.
    """
    sign = math.copysign(1.0, front_x)
    back_x = front_x - sign * DECK_LENGTH_M
    mid_x = (front_x + back_x) / 2
    parts = [
        box((DECK_LENGTH_M, DECK_TOP_M - 0.01, 2 * BELT_HALF_WIDTH_M), (mid_x, (DECK_TOP_M - 0.01) / 2, 0.0), DECK_GREY),
        box((DECK_LENGTH_M, 0.01, 2 * BELT_HALF_WIDTH_M), (mid_x, DECK_TOP_M - 0.005, 0.0), BELT_BLACK),
        box((0.30, 0.22, 2 * RAIL_HALF_WIDTH_M + 0.04), (front_x + sign * 0.15, 0.13, 0.0), DECK_GREY),
    ]
    for z in (-1, 1):
        parts.append(box((DECK_LENGTH_M, RAIL_TOP_M, 0.08), (mid_x, RAIL_TOP_M / 2, z * (RAIL_HALF_WIDTH_M - 0.04)), FRAME_GREY))
    if console == "none":
        return parts
    for z in (-1, 1):
        parts.append(box((0.06, CONSOLE_M, 0.06), (front_x + sign * 0.1, CONSOLE_M / 2, z * RAIL_HALF_WIDTH_M), FRAME_GREY))
        parts.append(box((0.55, 0.04, 0.04), (front_x - sign * 0.17, HANDRAIL_M, z * RAIL_HALF_WIDTH_M), FRAME_GREY))
    parts.append(box((0.18, 0.30, 2 * RAIL_HALF_WIDTH_M + 0.1), (front_x + sign * 0.05, CONSOLE_M, 0.0), DECK_GREY))
    if console == "near":
        parts.append(box((0.55, HANDRAIL_M - RAIL_TOP_M, 0.02), (front_x - sign * 0.17, (HANDRAIL_M + RAIL_TOP_M) / 2,
                                                                    RAIL_HALF_WIDTH_M), DECK_GREY))
    elif console != "front":
        raise ValueError(f"console must be none, front or near, not {console!r}")
    return parts
