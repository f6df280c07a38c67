"""MediaPipe Pose at the edge: a BGR image in, the project's `Pose` (or None) out."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace

import cv2
import numpy as np

from realtime.analysis.rib_cage import trunk_outline
from realtime.analysis.roi_mask import RoiMask
from realtime.core.native_stderr import StderrHold, filtered_stderr
from realtime.core.pose import N_LANDMARKS, Pose
from realtime.models.pose_graph import pose_solution


#: Degrees to add to the trunk lean read from this model's landmarks to get the lean of the
#: skeleton (hip joint centres → shoulder joints). MediaPipe puts its hip landmarks about
#: 0.08 trunk lengths ahead of the hip joints seen from the side, so its hip→shoulder line
#: leans less than the trunk does, by how much depending on the body: on the lab's suite
#: (README "How well it measures") −3.7° for the default man, −3.6° tall, −3.6° heavy,
#: −1.6° a 1.60 m woman, −2.2° a slight woman, every camera, outfit and frame rate within
#: ±1° of its body's figure. The correction is the mean of the five bodies, each counted
#: once, so that no body is favoured by how often the suite renders it.
LEAN_CORRECTION_DEG = 2.9
#: The other models' trunk lean against the full model's, on the same rendered frames: the lite
#: model leans 0.60° more (sd 0.29° over 14 lab clips: cadences 110–200, faults, 60 fps, 480p,
#: a woman's body; README "Speed", the live ladder). Heavy: not measured, taken as full.
LEAN_VS_FULL_DEG = {"lite": 0.6}


def lean_correction_deg(model: str) -> float:
    """The degrees to add to the trunk lean read from this model's landmarks (`LEAN_CORRECTION_DEG`
    for the full model, less what the model leans more than the full one)."""
    return LEAN_CORRECTION_DEG - LEAN_VS_FULL_DEG.get(model, 0.0)


@dataclass(frozen=True)
class EstimatorConfig:
    """Settings for MediaPipe Pose (by default the full model, bundled in mediapipe 0.10.21)."""

    #: 0 lite, 1 full, 2 heavy (`realtime.models.pose_models` names them and finds their files).
    model_complexity: int = 1
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    #: The segmentation mask, read into the trunk's outline (`Pose.outline`) for the rib cage.
    enable_segmentation: bool = True
    #: MediaPipe's temporal smoothing of the mask: off, it blurs the back edge of a moving
    #: trunk and costs 0.8 ms a frame.
    smooth_segmentation: bool = False
    #: Keep the mask as the model makes it, on its 256×256 crop (`RoiMask`), instead of warped
    #: onto the whole frame: the same values where the outline reads them, 6 ms a frame less
    #: at 720×1280 (`realtime.models.pose_graph`). Only without the smoothing.
    crop_mask: bool = True
    #: Give the model the frame shrunk so its longer side is at most this many pixels
    #: (None: as it comes). The landmarks still come back in the frame's own pixels.
    max_side: int | None = None
    #: Threads for the networks' inference (XNNPACK; None: MediaPipe's default, one on a
    #: desktop). More than one pays only when the cores are not already taken (a live loop
    #: on an idle core; `analyze` runs one model per core).
    threads: int | None = None


def pose_from_mediapipe(result: object, width: int, height: int, t: float) -> Pose | None:
    """Convert a MediaPipe `solutions.pose` result into a `Pose` in pixels, or None."""
    landmarks = getattr(result, "pose_landmarks", None)
    if landmarks is None:
        return None
    raw = np.array([(p.x, p.y, p.visibility) for p in landmarks.landmark], dtype=float)
    if raw.shape != (N_LANDMARKS, 3):
        return None
    xy = raw[:, :2] * (width, height)
    world = None
    world_lms = getattr(result, "pose_world_landmarks", None)
    if world_lms is not None:
        world = np.array([(p.x, p.y, p.z) for p in world_lms.landmark], dtype=float)
    return Pose(xy=xy, visibility=raw[:, 2], t=t, world=world)


def with_outline(pose: Pose, mask: np.ndarray | RoiMask, image_size: tuple[int, int]) -> Pose:
    """The pose with its trunk outline read from the mask (the frame's mask at the model
    input's size, or the model's crop of it)."""
    if not isinstance(mask, RoiMask) and mask.shape[1::-1] != tuple(image_size):
        mask = cv2.resize(mask, image_size, interpolation=cv2.INTER_LINEAR)
    outline = trunk_outline(mask, pose)
    return pose if outline is None else replace(pose, outline=outline.pack())


class PoseEstimator:
    """One MediaPipe Pose model in video (tracking) mode.

    Call `estimate(image_bgr, t)` once per frame, in time order; `last_ms` is
    the time the model took for the latest frame.
    """

    def __init__(self, config: EstimatorConfig | None = None) -> None:
        import mediapipe as mp  # heavy import kept out of module import time

        cfg = config or EstimatorConfig()
        self.config = cfg
        self._crop_mask = cfg.enable_segmentation and cfg.crop_mask and not cfg.smooth_segmentation
        self._hold = StderrHold()  # MediaPipe's start-up chatter, until the first frame (core/native_stderr.py)
        self._model = pose_solution(mp.solutions.pose.Pose, cfg.threads, self._crop_mask)(
            static_image_mode=False,
            model_complexity=cfg.model_complexity,
            smooth_landmarks=True,
            enable_segmentation=cfg.enable_segmentation,
            smooth_segmentation=cfg.smooth_segmentation,
            min_detection_confidence=cfg.min_detection_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )
        self._chatty = True  # until the first frame with a pose: the graph logs as its calculators open
        self.last_ms = 0.0

    def estimate(self, image_bgr: np.ndarray, t: float) -> Pose | None:
        """Landmarks of the most prominent person in the image, or None."""
        height, width = image_bgr.shape[:2]
        rgb = self._model_input(image_bgr)
        with filtered_stderr() if self._chatty else contextlib.nullcontext():
            start = time.perf_counter()
            result = self._model.process(rgb)
            self.last_ms = (time.perf_counter() - start) * 1000.0
        self._hold.release()
        self._chatty = self._chatty and getattr(result, "pose_landmarks", None) is None
        pose = pose_from_mediapipe(result, width, height, t)
        mask = getattr(result, "segmentation_mask", None)
        if pose is None or mask is None:
            return pose
        if self._crop_mask:
            rect = getattr(result, "pose_rect", None)
            if rect is None:
                return pose
            mask = RoiMask.from_normalized_rect(mask, rect, (width, height))
        return with_outline(pose, mask, (width, height))

    def _model_input(self, image_bgr: np.ndarray) -> np.ndarray:
        """The RGB image the model sees: shrunk to `max_side` when that is set and smaller."""
        height, width = image_bgr.shape[:2]
        limit = self.config.max_side
        if limit is not None and max(height, width) > limit:
            scale = limit / max(height, width)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            # bilinear for up to 2x (OpenCV's pixel-area resize is slow for such factors), areas beyond
            image_bgr = cv2.resize(image_bgr, size, interpolation=cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA)
        return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)

    def reset(self) -> None:
        """Forget the tracking state: the next frame is found from scratch, as by a new model."""
        self._hold.release()
        self._hold = StderrHold()  # the graph restarts: its calculators open (and log) again
        self._model.reset()
        self._chatty = True

    def close(self) -> None:
        """Release the model."""
        self._model.close()
        self._hold.release()

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
