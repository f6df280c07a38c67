"""A session's record: one row per processed frame, the cues, and the files written.

`summary.json` and `frames.csv` follow the output contract in the README.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from cues.engine import Cue
from realtime.errors import UserError

FRAME_COLUMNS = ("t", "pose", "trunk_lean_deg", "facing", "frame_index", "pose_ms", "cue")


@dataclass(frozen=True)
class FrameRow:
    """What one processed frame leaves in the record."""

    t: float
    has_pose: bool
    trunk_lean_deg: float | None
    facing: str | None
    frame_index: int
    pose_ms: float
    cue_id: str | None


def percentiles(values: list[float]) -> dict[str, float] | None:
    """Median, p10 and p90 of `values` (None when empty), rounded for reading."""
    if not values:
        return None
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return {"median": round(float(median), 2), "p10": round(float(p10), 2), "p90": round(float(p90), 2)}


@dataclass
class SessionRecord:
    """Collects a session as it runs; `write(out_dir)` saves it."""

    source: str
    fps: float
    rows: list[FrameRow] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    facing: str | None = None
    wall_s: float = 0.0
    frames_dropped: int = 0

    def add(self, row: FrameRow, cue: Cue | None) -> None:
        """Record one processed frame and the cue spoken at it, if any."""
        self.rows.append(row)
        if cue is not None:
            self.cues.append(cue)
        if row.facing is not None:
            self.facing = row.facing

    def summary(self) -> dict:
        """The summary.json document."""
        leans = [r.trunk_lean_deg for r in self.rows if r.trunk_lean_deg is not None]
        pose_ms = [r.pose_ms for r in self.rows]
        duration = self.rows[-1].t - self.rows[0].t + 1.0 / self.fps if self.rows else 0.0
        return {
            "source": self.source,
            "frames": len(self.rows),
            "frames_with_pose": sum(r.has_pose for r in self.rows),
            "fps": round(self.fps, 3),
            "duration_s": round(duration, 3),
            "facing": self.facing,
            "trunk_lean_deg": percentiles(leans),
            "cues": [{"t": round(c.t, 3), "id": c.id, "text": c.text} for c in self.cues],
            "timing": {
                "pose_ms_p50": round(float(np.median(pose_ms)), 2) if pose_ms else None,
                "pose_ms_p95": round(float(np.percentile(pose_ms, 95)), 2) if pose_ms else None,
                "loop_fps": round(len(self.rows) / self.wall_s, 2) if self.wall_s > 0 else None,
                "frames_dropped": self.frames_dropped,
            },
        }

    def write(self, out_dir: Path) -> None:
        """Write summary.json and frames.csv into `out_dir` (which must be new or empty of them)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        write_frames_csv(out_dir / "frames.csv", self.rows)
        (out_dir / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")


def write_frames_csv(path: Path, rows: list[FrameRow]) -> None:
    """One line per processed frame; empty trunk lean where there was none."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FRAME_COLUMNS)
        for r in rows:
            lean = "" if r.trunk_lean_deg is None or math.isnan(r.trunk_lean_deg) else f"{r.trunk_lean_deg:.3f}"
            writer.writerow(
                (f"{r.t:.4f}", int(r.has_pose), lean, r.facing or "", r.frame_index, f"{r.pose_ms:.2f}", r.cue_id or "")
            )


def prepare_out_dir(requested: Path | None, data_dir: Path) -> Path:
    """The folder a session writes to; never one that already holds a session.

    Without `requested`, a new timestamped folder under `data_dir/sessions`.
    """
    if requested is None:
        stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        candidate = data_dir / "sessions" / stamp
        n = 1
        while candidate.exists():
            n += 1
            candidate = data_dir / "sessions" / f"{stamp}_{n}"
        return candidate
    if requested.exists() and not requested.is_dir():
        raise UserError(f"--out {requested} is a file, not a folder — give a folder path")
    taken = [name for name in ("summary.json", "frames.csv") if (requested / name).exists()]
    if taken:
        raise UserError(
            f"--out {requested} already holds a session ({', '.join(taken)}) — "
            "choose a new folder so nothing recorded is overwritten"
        )
    return requested
