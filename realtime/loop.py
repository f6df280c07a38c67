"""The loop: source → pose → smoothing → posture → cue engine → outputs.

One code path for `run` (live, with screen and voice) and `analyze` (a file as
fast as the CPU allows): only the source and the outputs differ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from cues.engine import Cue, CueEngine
from realtime.analysis import FrameAnalysis, FrameAnalyzer
from realtime.pose import Pose
from realtime.posture import PostureSample
from realtime.session import FrameRow, SessionRecord

if TYPE_CHECKING:
    from realtime.capture import Frame


@dataclass(frozen=True)
class FrameResult:
    """Everything the outputs need about one processed frame."""

    frame: Frame
    analysis: FrameAnalysis
    cue: Cue | None
    banner: Cue | None
    pose_ms: float

    @property
    def pose(self) -> Pose | None:
        """The smoothed, levelled pose (None: nobody found)."""
        return self.analysis.pose

    @property
    def posture(self) -> PostureSample:
        """Facing and trunk lean of this frame."""
        return self.analysis.posture

    def row(self) -> FrameRow:
        """The frame's line in the session record."""
        return FrameRow(
            t=self.frame.t,
            has_pose=self.pose is not None,
            trunk_lean_deg=self.posture.trunk_lean_deg,
            facing=self.posture.facing,
            frame_index=self.frame.index,
            pose_ms=self.pose_ms,
            cue_id=self.cue.id if self.cue else None,
            activity=self.analysis.activity,
        )


class Estimator(Protocol):
    """Anything that turns an image into a pose (the MediaPipe model in practice)."""

    last_ms: float

    def estimate(self, image_bgr, t: float) -> Pose | None: ...


class Output(Protocol):
    """A side effect fed every processed frame; returns False to stop the session."""

    def handle(self, result: FrameResult) -> bool: ...


class Pipeline:
    """The pure middle of the app plus the model: `process(frame) -> FrameResult`."""

    def __init__(self, estimator: Estimator, engine: CueEngine, analyzer: FrameAnalyzer) -> None:
        self.estimator = estimator
        self.engine = engine
        self.analyzer = analyzer

    def process(self, frame: Frame) -> FrameResult:
        """Run the model on one frame, then the analysis."""
        raw = self.estimator.estimate(frame.image, frame.t)
        return self.analyse(frame, raw, self.estimator.last_ms)

    def analyse(self, frame: Frame, raw: Pose | None, pose_ms: float = 0.0) -> FrameResult:
        """The analysis of one frame's pose (None: nobody found)."""
        t = frame.t
        analysis = self.analyzer.update(t, frame.image, raw)
        metrics = {"trunk_lean_deg": analysis.posture.trunk_lean_deg}
        cue = self.engine.update(t, metrics, active=analysis.running and analysis.pose is not None)
        return FrameResult(frame, analysis, cue, self.engine.banner(t), pose_ms)

    def session_extras(self) -> dict:
        """What the analysis learned over the whole session, for summary.json."""
        a = self.analyzer
        return {
            "baseline": a.calibration.summary(),
            "setup": a.setup.session_summary(),
            "camera_roll_deg": a.camera_roll_deg(),
        }


def run_session(
    frames: Iterable[Frame],
    pipeline: Pipeline,
    record: SessionRecord,
    outputs: Iterable[Output] = (),
    duration_s: float | None = None,
    on_frame: Callable[[FrameResult], None] | None = None,
) -> SessionRecord:
    """Process frames until the source ends, `duration_s` passes or an output says stop."""
    outputs = list(outputs)
    start = time.perf_counter()
    first_t: float | None = None
    try:
        for frame in frames:
            first_t = frame.t if first_t is None else first_t
            if duration_s is not None and frame.t - first_t >= duration_s:
                break
            result = pipeline.process(frame)
            record.add(result.row(), result.cue, result.analysis.strides)
            if on_frame is not None:
                on_frame(result)
            if not all([out.handle(result) for out in outputs]):
                break
    finally:
        record.wall_s = time.perf_counter() - start
        record.extras = pipeline.session_extras()
    return record
