"""Opt-in recording (`--record`): what the screen showed, as `session.mkv` in the session folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pygame

from realtime.core.errors import UserError
from realtime.record.files import VIDEO_NAME

__all__ = ["VIDEO_NAME", "VideoRecorder"]


class VideoRecorder:
    """Appends screen surfaces to a Matroska file (MPEG-4 part 2), one per processed frame."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None

    def write(self, surface: pygame.Surface) -> None:
        """Add what `surface` shows now as the next video frame."""
        rgb = pygame.surfarray.pixels3d(surface)  # (w, h, 3), a view
        bgr = np.ascontiguousarray(rgb.transpose(1, 0, 2)[:, :, ::-1])
        del rgb  # release the surface lock
        if self._writer is None:
            self._writer = self._open(bgr.shape[1], bgr.shape[0])
        self._writer.write(bgr)

    def _open(self, width: int, height: int) -> cv2.VideoWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (width, height))
        if not writer.isOpened():
            raise UserError(f"cannot write the recording {self.path} — check the folder is writable and has space")
        return writer

    def close(self) -> None:
        """Finish the file."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
