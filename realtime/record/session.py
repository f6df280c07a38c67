"""A session's record: one row per processed frame, the cues, and the files written.

`summary.json` and `frames.csv` follow the output contract in the README.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import shutil
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cues.engine import Cue
from realtime.analysis.stride_metrics import StrideMetrics, behind_stats, session_cadence_spm, session_values
from realtime.core.errors import UserError
from realtime.record.kinds import summary_kind
from realtime.record.files import OLD_VIDEO_NAME, VIDEO_NAME
from realtime.record.landmarks import LandmarkLog

FRAME_COLUMNS = ("t", "pose", "trunk_lean_deg", "facing", "frame_index", "pose_ms", "cue", "activity")

#: The files a session writes; an --out folder holding any of them is refused.
SESSION_FILES = ("summary.json", "frames.csv", "strides.csv", "landmarks.npz")
#: What else a session folder may hold: the recorded video, the report, the screenshots.
RECORDED_EXTRAS = (VIDEO_NAME, OLD_VIDEO_NAME, "report.html", "screens")

#: A session counts as running with this much running time and this many strides: two
#: strides of each leg, about 3 s at the slowest jog coached (110 steps/min), so a short
#: clip (a 6.5 s phone video of a gym treadmill) is reported, not "no running".
MIN_RUNNING_S = 3.0
MIN_RUNNING_STRIDES = 4
#: A gap between two frames counts as running time up to this long (dropped frames do, a stall does not).
MAX_FRAME_GAP_S = 0.5


@dataclass(frozen=True, slots=True)
class FrameRow:
    """What one processed frame leaves in the record (slots: a 10-minute run keeps 18,000)."""

    t: float
    has_pose: bool
    trunk_lean_deg: float | None
    facing: str | None
    frame_index: int
    pose_ms: float
    cue_id: str | None
    activity: str = "absent"


def percentiles(values: list[float]) -> dict[str, float] | None:
    """Median, p10 and p90 of `values` (None when empty), rounded for reading."""
    if not values:
        return None
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return {"median": round(float(median), 2), "p10": round(float(p10), 2), "p90": round(float(p90), 2)}


def running_seconds(rows: Sequence[FrameRow]) -> float:
    """Time spent running, from the frames' timestamps (whatever the nominal fps, and with
    dropped frames): a running frame counts until the next frame (at most `MAX_FRAME_GAP_S`),
    the last frame for the median interval."""
    t = np.array([r.t for r in rows], dtype=float)
    if t.size == 0:
        return 0.0
    gaps = np.diff(t)
    last = float(np.median(gaps)) if gaps.size else 0.0
    gaps = np.clip(np.append(gaps, last), 0.0, MAX_FRAME_GAP_S)
    running = np.array([r.activity == "running" for r in rows])
    return float(gaps[running].sum())


@dataclass
class SessionRecord:
    """Collects a session as it runs; `write(out_dir)` saves it."""

    source: str
    fps: float
    #: The pose model's name (lite, full, heavy; None: no model ran, e.g. the demo or a replay).
    model: str | None = None
    rows: list[FrameRow] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    facing: str | None = None
    wall_s: float = 0.0
    frames_dropped: int = 0
    strides: list[StrideMetrics] = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    landmarks: LandmarkLog | None = None
    #: Capture → on screen, ms, for each frame shown (compact: a long live run keeps 8 bytes a frame).
    latency_ms: array = field(default_factory=lambda: array("d"))
    started_at: str = field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    #: What kind of session this is (`realtime.record.kinds`) and whether it is the user's own
    #: (only those make "your" trend).
    kind: str | None = None  # None: judged from `source` (`kinds.summary_kind`)
    mine: bool = False
    #: A snapshot of a session still running (`realtime.outputs.checkpoint`): summary.json says so.
    incomplete: bool = False

    def add(self, row: FrameRow, cue: Cue | None, strides: list[StrideMetrics] = ()) -> None:
        """Record one processed frame, the cue spoken at it and the strides it ended."""
        self.rows.append(row)
        self.strides.extend(strides)
        if cue is not None:
            self.cues.append(cue)
        if row.facing is not None:
            self.facing = row.facing

    def snapshot(self) -> SessionRecord:
        """A copy of the session so far, marked incomplete and without the landmark stream, that
        another thread may read while this one goes on recording: every list and the latency
        array are copied (reading the array with numpy locks its size, and the next append
        would raise BufferError)."""
        return dataclasses.replace(
            self, rows=list(self.rows), strides=list(self.strides), cues=list(self.cues), extras=dict(self.extras),
            latency_ms=array("d", self.latency_ms), landmarks=None, incomplete=True,
        )

    def add_timing(self, latency_ms: float | None) -> None:
        """Record a frame's capture-to-screen latency (None: it was not shown)."""
        if latency_ms is not None:
            self.latency_ms.append(latency_ms)

    @property
    def running(self) -> bool:
        """True when the session holds enough running to report running metrics."""
        return running_seconds(self.rows) >= MIN_RUNNING_S and len(self.strides) >= MIN_RUNNING_STRIDES

    def running_summary(self) -> dict:
        """The gait part of summary.json (empty values when the session is not running)."""
        values = session_values(self.strides) if self.running else {}
        return {
            "running": self.running,
            "cadence_spm": session_cadence_spm(self.strides) if self.running else None,
            "strides": len(self.strides) if self.running else 0,
            "hip_extension_deg": values.get("thigh_extension_deg"),
            "hip_extension_behind_deg": behind_stats(values.get("thigh_extension_deg")),
            "stride_values": values,
        }

    def summary(self) -> dict:
        """The summary.json document."""
        leans = [r.trunk_lean_deg for r in self.rows if r.trunk_lean_deg is not None]
        pose_ms = [r.pose_ms for r in self.rows]
        duration = self.rows[-1].t - self.rows[0].t + 1.0 / self.fps if self.rows else 0.0
        kind, mine = (self.kind, self.mine) if self.kind else summary_kind({"source": self.source})
        return {
            "source": self.source,
            "kind": kind,
            "mine": mine,
            "model": self.model,
            "started_at": self.started_at,
            "frames": len(self.rows),
            "frames_with_pose": sum(r.has_pose for r in self.rows),
            "fps": round(self.fps, 3),
            "duration_s": round(duration, 3),
            "running_s": round(running_seconds(self.rows), 3),
            "facing": self.facing,
            "trunk_lean_deg": percentiles(leans),
            "cues": [
                {"t": round(c.t, 3), "id": c.id, "text": c.text, "spoken": c.spoken, "reason": c.reason}
                for c in self.cues
            ],
            "timing": {
                "pose_ms_p50": round(float(np.median(pose_ms)), 2) if pose_ms else None,
                "pose_ms_p95": round(float(np.percentile(pose_ms, 95)), 2) if pose_ms else None,
                "loop_fps": round(len(self.rows) / self.wall_s, 2) if self.wall_s > 0 else None,
                "frames_dropped": self.frames_dropped,
                "latency_ms_p50": round(float(np.median(self.latency_ms)), 2) if self.latency_ms else None,
                "latency_ms_p95": round(float(np.percentile(self.latency_ms, 95)), 2) if self.latency_ms else None,
            },
            **self.running_summary(),
            **self.extras,
            **({"incomplete": True} if self.incomplete else {}),
        }

    def write(self, out_dir: Path) -> None:
        """Write summary.json and frames.csv into `out_dir` (which must be new or empty of them)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        writers = {
            "frames.csv": lambda path: write_frames_csv(path, self.rows),
            "strides.csv": lambda path: write_strides_csv(path, self.strides),
            "summary.json": lambda path: path.write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8"),
        }
        if self.landmarks is not None:
            writers["landmarks.npz"] = lambda path: self.landmarks.save(path)
        write_all_or_none(out_dir, writers)


def write_all_or_none(folder: Path, writers: dict[str, Callable[[Path], object]]) -> None:
    """Each file written under a temporary name, then all renamed into place: a full disk or a
    crash while writing leaves no truncated file under a session file's name."""
    partial = {name: folder / f".{Path(name).stem}.partial{Path(name).suffix}" for name in writers}  # numpy keeps .npz
    try:
        for name, write in writers.items():
            write(partial[name])
        for name, path in partial.items():
            os.replace(path, folder / name)
    finally:
        for path in partial.values():
            path.unlink(missing_ok=True)


def write_frames_csv(path: Path, rows: list[FrameRow]) -> None:
    """One line per processed frame; empty trunk lean where there was none."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FRAME_COLUMNS)
        for r in rows:
            lean = "" if r.trunk_lean_deg is None or math.isnan(r.trunk_lean_deg) else f"{r.trunk_lean_deg:.3f}"
            writer.writerow(
                (f"{r.t:.4f}", int(r.has_pose), lean, r.facing or "", r.frame_index, f"{r.pose_ms:.2f}",
                 r.cue_id or "", r.activity)
            )


def write_strides_csv(path: Path, strides: list[StrideMetrics]) -> None:
    """One line per stride measured while running (a header only when there were none)."""
    rows = [s.as_row() for s in strides]
    columns = list(rows[0]) if rows else list(StrideMetrics.__dataclass_fields__)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


#: The free space a session folder must have before any work: what a session writes a frame
#: (landmarks.npz about 720 B, frames.csv about 41 B: 518 KB and 29.5 KB for the arched clip's
#: 720 frames), rounded up to 1 KiB, for 20 minutes at 30 fps, plus 2 MiB for the summary, the
#: strides and the report (90 KB there).
MIN_FREE_BYTES = 20 * 60 * 30 * 1024 + 2 * 1024 * 1024
#: The file that claims a session folder while its session runs (the owner's process id).
CLAIM_NAME = ".ribsdown-session"


def prepare_out_dir(requested: Path | None, data_dir: Path) -> Path:
    """The folder a session writes to, claimed for it before any work; never one that holds a
    session or that another running session has claimed, and only with room to write.

    Without `requested`, a new timestamped folder under `data_dir/sessions` (created exclusively:
    two sessions started in the same second get two folders). `release_out_dir` drops the claim.
    """
    if requested is None:
        folder = _new_default_folder(data_dir / "sessions")
    else:
        if requested.exists() and not requested.is_dir():
            raise UserError(f"--out {requested} is a file, not a folder — give a folder path")
        taken = [name for name in (*SESSION_FILES, *RECORDED_EXTRAS) if (requested / name).exists()]
        if taken:
            raise UserError(
                f"--out {requested} already holds a session ({', '.join(taken)}) — "
                "choose a new folder so nothing recorded is overwritten"
            )
        folder = requested
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UserError(f"cannot create --out {folder}: {err.strerror} — give a folder you can write to") from err
    _claim(folder)
    _check_room(folder)
    return folder


def _new_default_folder(sessions: Path) -> Path:
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    try:
        sessions.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the sessions folder {sessions}: {err.strerror} — "
                        "give --out a folder you can write to") from err
    for n in range(1, 1000):
        candidate = sessions / (stamp if n == 1 else f"{stamp}_{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            raise UserError(f"cannot create {candidate}: {err.strerror} — give --out a folder you can write to") from err
        return candidate
    raise UserError(f"no free session folder name under {sessions} for {stamp}")


def _claim(folder: Path) -> None:
    """Create the claim file exclusively; a claim whose process is gone is taken over."""
    claim = folder / CLAIM_NAME
    for _ in range(2):
        try:
            with claim.open("x", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()}\n")
            return
        except FileExistsError:
            if _claim_alive(claim):
                raise UserError(f"--out {folder} is in use by another ribsdown session that is running now — "
                                "choose a new folder") from None
            claim.unlink(missing_ok=True)  # left by a session that stopped before it wrote anything
        except OSError as err:
            raise UserError(f"cannot write in {folder}: {err.strerror} — give --out a folder you can write to") from err
    raise UserError(f"--out {folder} is being claimed by another session at this moment — choose a new folder")


def claimed_by_running_session(folder: Path) -> bool:
    """Whether a session that is running now has claimed `folder`."""
    return _claim_alive(folder / CLAIM_NAME)


def _claim_alive(claim: Path) -> bool:
    try:
        pid = int(claim.read_text(encoding="utf-8").strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_room(folder: Path) -> None:
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        release_out_dir(folder)
        raise UserError(f"only {free / 1e6:.1f} MB free where the session would be saved ({folder}); a session "
                        f"needs up to {MIN_FREE_BYTES / 1e6:.0f} MB — free some space or give --out a folder on "
                        "another disk")


def release_out_dir(folder: Path) -> None:
    """Drop the session's claim on `folder` (its files, if any, now mark it as taken)."""
    (folder / CLAIM_NAME).unlink(missing_ok=True)
