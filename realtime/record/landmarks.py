"""The landmark stream of a session: what the model saw each frame, and what the image
told about the scene, saved as `landmarks.npz` so the analysis and the cues can be
re-run later without the video or the model (`ribsdown analyze --landmarks FILE`).

Arrays (N frames): `t (N,)`, `frame_index (N,)`, `has_pose (N,)`, `xy (N, 33, 2)` px,
`visibility (N, 33)`, `pose_ms (N,)`, `roll (N, 3)` = (deg, confidence, lines) with NaN
where there was no estimate, `brightness (N,)` NaN where unknown, `outline (N, 106)` float32,
the packed trunk outline (`realtime.analysis.rib_cage.TrunkOutline.pack`), NaN rows where there was
none; plus `image_size (2,)`, `fps`, `source`, `version`. A file without `outline` (saved
before the rib cage was measured) replays without it.
"""

from __future__ import annotations

import io
import math
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from realtime.analysis.camera_roll import RollEstimate
from realtime.analysis.frame import Scene
from realtime.analysis.rib_cage import PACKED_SIZE as OUTLINE_SIZE
from realtime.core.errors import UserError
from realtime.core.pose import N_LANDMARKS, Pose

VERSION = 1


@dataclass(frozen=True)
class LoggedFrame:
    """One frame of the stream, ready to be analysed again."""

    t: float
    frame_index: int
    pose: Pose | None
    scene: Scene
    pose_ms: float


#: The arrays of `landmarks.npz`, one row per frame: (name, dtype, shape of a row).
COLUMNS: tuple[tuple[str, type, tuple[int, ...]], ...] = (
    ("t", np.float64, ()),
    ("frame_index", np.int64, ()),
    ("has_pose", np.bool_, ()),
    ("xy", np.float64, (N_LANDMARKS, 2)),
    ("visibility", np.float64, (N_LANDMARKS,)),
    ("pose_ms", np.float64, ()),
    ("roll", np.float64, (3,)),
    ("brightness", np.float64, ()),
    ("outline", np.float32, (OUTLINE_SIZE,)),
)

#: Frames a log keeps in memory before appending them to its temporary file (20 s at 30 fps).
CHUNK_FRAMES = 600


class LandmarkLog:
    """Collects the stream as a session runs; `save` writes it, `load_landmarks` reads it back.

    Memory stays flat however long the session runs (a gym kiosk, a 2-hour run): frames go
    into preallocated columns of `CHUNK_FRAMES` rows, and each full chunk is appended to an
    anonymous temporary file (about 0.5 MB a chunk, 850 bytes a frame); `save` reads them back.
    """

    def __init__(self, image_size: tuple[int, int], fps: float, source: str = "") -> None:
        self.image_size = image_size
        self.fps = fps
        self.source = source
        self._chunk = {name: np.empty((CHUNK_FRAMES, *shape), dtype) for name, dtype, shape in COLUMNS}
        self._n = 0  # rows in the chunk
        self._spilled = 0  # rows in the file (whole chunks)
        self._file: BinaryIO | None = None

    def add(self, t: float, frame_index: int, raw: Pose | None, scene: Scene, pose_ms: float) -> None:
        """Keep one frame: the raw pose (before smoothing and levelling) and the scene."""
        c, k = self._chunk, self._n
        c["t"][k] = t
        c["frame_index"][k] = frame_index
        c["has_pose"][k] = raw is not None
        if raw is not None:
            c["xy"][k] = raw.xy
            c["visibility"][k] = raw.visibility
        else:
            c["xy"][k] = np.nan
            c["visibility"][k] = 0.0
        c["outline"][k] = raw.outline if raw is not None and raw.outline is not None else np.nan
        c["pose_ms"][k] = pose_ms
        roll = scene.roll
        c["roll"][k] = (roll.roll_deg, roll.confidence, roll.n_lines) if roll is not None else math.nan
        c["brightness"][k] = math.nan if scene.brightness is None else scene.brightness
        self._n += 1
        if self._n == CHUNK_FRAMES:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="ribsdown-landmarks-")  # noqa: SIM115 — open until close()
        self._file.seek(0, io.SEEK_END)
        for name, _, _ in COLUMNS:
            self._file.write(self._chunk[name].tobytes())
        self._spilled += self._n
        self._n = 0

    def __len__(self) -> int:
        return self._spilled + self._n

    def columns(self) -> dict[str, np.ndarray]:
        """Every frame logged so far, as the arrays `landmarks.npz` holds."""
        parts: dict[str, list[np.ndarray]] = {name: [] for name, _, _ in COLUMNS}
        if self._file is not None:
            self._file.seek(0)
            for _ in range(self._spilled // CHUNK_FRAMES):
                for name, dtype, shape in COLUMNS:
                    size = CHUNK_FRAMES * np.dtype(dtype).itemsize * int(np.prod(shape, dtype=int))
                    parts[name].append(np.frombuffer(self._file.read(size), dtype).reshape(CHUNK_FRAMES, *shape))
        for name, _, _ in COLUMNS:
            parts[name].append(self._chunk[name][: self._n].copy())
        return {name: np.concatenate(arrays) for name, arrays in parts.items()}

    def save(self, path: Path) -> None:
        """Write `landmarks.npz` (compressed, float64: a replay gives exactly the same numbers)."""
        np.savez_compressed(
            path, version=VERSION, source=self.source, fps=self.fps, image_size=np.asarray(self.image_size),
            **self.columns(),
        )

    def close(self) -> None:
        """Delete the temporary file (also done when the log is garbage-collected)."""
        if self._file is not None:
            self._file.close()
            self._file = None


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
    """Read a `landmarks.npz`; a missing, foreign or damaged file is a UserError (one line)."""
    if not path.is_file():
        raise UserError(f"no such landmark file: {path} — give the landmarks.npz of a session folder")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an archive of a session's arrays")
        with data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, AttributeError, TypeError) as err:
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UserError(f"{path} is not a ribsdown landmark file ({why}) — give a session's landmarks.npz") from err
    try:
        version = int(arrays["version"])
    except (KeyError, TypeError, ValueError):
        version = -1
    if version != VERSION:
        raise UserError(f"{path} is not a ribsdown landmark file of version {VERSION} — re-analyse the video")
    problem = landmark_problem(arrays)
    if problem is not None:
        raise UserError(f"{path} is damaged: {problem} — re-analyse the video, or give another session's landmarks.npz")
    frames = tuple(_frame(arrays, i) for i in range(len(arrays["t"])))
    w, h = (int(v) for v in arrays["image_size"])
    return LandmarkStream((w, h), float(arrays["fps"]), str(arrays["source"]), frames)


#: The arrays of a landmark file and each one's shape after the frame count N.
_SHAPES: dict[str, tuple[int, ...]] = {
    "t": (), "frame_index": (), "has_pose": (), "xy": (N_LANDMARKS, 2), "visibility": (N_LANDMARKS,),
    "pose_ms": (), "roll": (3,), "brightness": (),
}


def landmark_problem(a: dict[str, np.ndarray]) -> str | None:
    """What makes the arrays of a landmark file unusable, or None (pure)."""
    missing = sorted(({"fps", "image_size", "source"} | set(_SHAPES)) - set(a))
    if missing:
        return f"it lacks {', '.join(missing)}"
    for key in ("fps", "image_size", *_SHAPES, *(("outline",) if "outline" in a else ())):
        if not np.issubdtype(a[key].dtype, np.number) and a[key].dtype != bool:
            return f"{key} is not numbers"
    fps = a["fps"]
    if fps.shape != () or not math.isfinite(float(fps)) or float(fps) <= 0:
        return f"its frame rate is {fps.tolist()!r}, not a number of frames per second above 0"
    size = a["image_size"]
    if size.shape != (2,) or not np.all(np.isfinite(size)) or np.any(size < 1) or np.any(size > 100_000):
        return f"its image size is {size.tolist()!r}"
    n = a["t"].shape[0] if a["t"].ndim == 1 else -1
    if n < 1:
        return "it holds no frames" if n == 0 else "t is not one time per frame"
    shapes = {**_SHAPES, **({"outline": (OUTLINE_SIZE,)} if "outline" in a else {})}
    for key, shape in shapes.items():
        if a[key].shape != (n, *shape):
            return f"{key} has shape {a[key].shape}, not {(n, *shape)}"
    t = a["t"].astype(float)
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
        return "its frame times are not finite and in order"
    if not np.all(np.isfinite(a["frame_index"])):
        return "its frame numbers are not all numbers"
    found = a["has_pose"].astype(bool)
    if not np.all(np.isfinite(a["xy"][found])) or not np.all(np.isfinite(a["visibility"][found])):
        return "a found pose has landmarks that are not numbers"
    return None


def _frame(a: dict[str, np.ndarray], i: int) -> LoggedFrame:
    t = float(a["t"][i])
    outline = a["outline"][i] if "outline" in a else None  # files saved before outlines have none
    pose = pose_from_row(a["has_pose"][i], a["xy"][i], a["visibility"][i], t, outline)
    deg, conf, lines = a["roll"][i]
    roll = None if math.isnan(deg) else RollEstimate(float(deg), float(conf), int(lines))
    brightness = None if math.isnan(a["brightness"][i]) else float(a["brightness"][i])
    return LoggedFrame(t, int(a["frame_index"][i]), pose, Scene(roll, brightness), float(a["pose_ms"][i]))


def pose_from_row(has_pose: bool, xy: np.ndarray, visibility: np.ndarray, t: float,
                  outline: np.ndarray | None) -> Pose | None:
    """A logged frame's raw pose from its row (a NaN outline row: no outline that frame)."""
    if not has_pose:
        return None
    keep = None if outline is None or np.isnan(outline[0]) else outline
    return Pose(xy=xy, visibility=visibility, t=t, outline=keep)
