"""The landmark stream of a session: what the model saw each frame, and what the image
told about the scene, saved as `landmarks.npz` so the analysis and the cues can be
re-run later without the video or the model (`ribsdown analyze --landmarks FILE`).

Arrays (N frames): `t (N,)`, `frame_index (N,)`, `has_pose (N,)`, `xy (N, 33, 2)` px,
`visibility (N, 33)`, `pose_ms (N,)`, `roll (N, 3)` = (deg, confidence, lines) with NaN
where there was no estimate, `brightness (N,)` NaN where unknown; plus `image_size (2,)`,
`fps`, `source`, `version`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from realtime.analysis import Scene
from realtime.camera_roll import RollEstimate
from realtime.errors import UserError
from realtime.pose import N_LANDMARKS, Pose

VERSION = 1


@dataclass(frozen=True)
class LoggedFrame:
    """One frame of the stream, ready to be analysed again."""

    t: float
    frame_index: int
    pose: Pose | None
    scene: Scene
    pose_ms: float


@dataclass
class LandmarkLog:
    """Collects the stream as a session runs; `save` writes it, `load` reads it back."""

    image_size: tuple[int, int]
    fps: float
    source: str = ""
    _rows: list[tuple] = field(default_factory=list)

    def add(self, t: float, frame_index: int, raw: Pose | None, scene: Scene, pose_ms: float) -> None:
        """Keep one frame: the raw pose (before smoothing and levelling) and the scene."""
        xy = raw.xy if raw is not None else np.full((N_LANDMARKS, 2), np.nan)
        vis = raw.visibility if raw is not None else np.zeros(N_LANDMARKS)
        roll = scene.roll
        roll_row = (roll.roll_deg, roll.confidence, roll.n_lines) if roll is not None else (math.nan,) * 3
        brightness = math.nan if scene.brightness is None else scene.brightness
        self._rows.append((t, frame_index, raw is not None, xy, vis, pose_ms, roll_row, brightness))

    def __len__(self) -> int:
        return len(self._rows)

    def save(self, path: Path) -> None:
        """Write `landmarks.npz` (compressed, float64: a replay gives exactly the same numbers)."""
        cols = list(zip(*self._rows)) if self._rows else [()] * 8
        np.savez_compressed(
            path,
            version=VERSION,
            source=self.source,
            fps=self.fps,
            image_size=np.asarray(self.image_size),
            t=np.asarray(cols[0], dtype=float),
            frame_index=np.asarray(cols[1], dtype=int),
            has_pose=np.asarray(cols[2], dtype=bool),
            xy=np.asarray(cols[3], dtype=float).reshape(-1, N_LANDMARKS, 2),
            visibility=np.asarray(cols[4], dtype=float).reshape(-1, N_LANDMARKS),
            pose_ms=np.asarray(cols[5], dtype=float),
            roll=np.asarray(cols[6], dtype=float).reshape(-1, 3),
            brightness=np.asarray(cols[7], dtype=float),
        )


@dataclass(frozen=True)
class LandmarkStream:
    """A saved stream, read back."""

    image_size: tuple[int, int]
    fps: float
    source: str
    frames: tuple[LoggedFrame, ...]

    def __iter__(self) -> Iterator[LoggedFrame]:
        return iter(self.frames)


def load_landmarks(path: Path) -> LandmarkStream:
    """Read a `landmarks.npz`; a missing or foreign file is a UserError."""
    if not path.is_file():
        raise UserError(f"no such landmark file: {path} — give the landmarks.npz of a session folder")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise UserError(f"{path} is not a ribsdown landmark file ({err}) — give a session's landmarks.npz") from err
    if int(arrays.get("version", -1)) != VERSION:
        raise UserError(f"{path} is not a ribsdown landmark file of version {VERSION} — re-analyse the video")
    frames = tuple(_frame(arrays, i) for i in range(len(arrays["t"])))
    w, h = (int(v) for v in arrays["image_size"])
    return LandmarkStream((w, h), float(arrays["fps"]), str(arrays["source"]), frames)


def _frame(a: dict[str, np.ndarray], i: int) -> LoggedFrame:
    t = float(a["t"][i])
    pose = Pose(xy=a["xy"][i], visibility=a["visibility"][i], t=t) if a["has_pose"][i] else None
    deg, conf, lines = a["roll"][i]
    roll = None if math.isnan(deg) else RollEstimate(float(deg), float(conf), int(lines))
    brightness = None if math.isnan(a["brightness"][i]) else float(a["brightness"][i])
    return LoggedFrame(t, int(a["frame_index"][i]), pose, Scene(roll, brightness), float(a["pose_ms"][i]))
