"""The loop: source → pose → smoothing → posture → cue engine → outputs.

One code path for `run` (live, with screen and voice) and `analyze` (a file as
fast as the CPU allows): only the source and the outputs differ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from cues.engine import Cue, CueEngine
from cues.judging import good_form
from cues.rules import lean_band, rules_table
from realtime.analysis.frame import FrameAnalysis, FrameAnalyzer, Scene
from realtime.analysis.posture import PostureSample
from realtime.analysis.rib_cage import rib_cage_summary
from realtime.core.pose import Pose
from realtime.models.pose_model import PoseModel
from realtime.pipeline.estimate_ahead import EstimateAhead
from realtime.pipeline.pace import PacedModels
from realtime.record.session import FrameRow, SessionRecord

if TYPE_CHECKING:
    from realtime.record.landmarks import LandmarkStream, LoggedFrame
    from realtime.sources.capture import Frame


@dataclass
class FrameTiming:
    """When one frame went through the loop (`time.monotonic()` seconds).

    `captured_at`: read or decoded; `pose_done_at`: the model has its pose; `decided_at`: the
    coach has decided about the cue; `shown_at`: the frame with its overlay is on screen (set
    by the screen output; None while not shown, or with no screen).
    """

    captured_at: float
    pose_done_at: float
    decided_at: float
    shown_at: float | None = None

    @property
    def latency_ms(self) -> float | None:
        """Capture to screen, in milliseconds (None when not shown)."""
        return None if self.shown_at is None else (self.shown_at - self.captured_at) * 1000.0


@dataclass(frozen=True)
class FrameResult:
    """Everything the outputs need about one processed frame."""

    frame: Frame
    analysis: FrameAnalysis
    cue: Cue | None
    banner: Cue | None
    pose_ms: float
    raw: Pose | None = None
    timing: FrameTiming | None = None
    #: A newer frame was already waiting when this one was decided: a screen may skip drawing
    #: it (the newer one follows at once) rather than show the runner a late picture.
    superseded: bool = False
    #: The cues whose fault the rules see now (spoken or not, until it clears).
    in_fault: frozenset[str] = frozenset()
    #: The live mode when the model stepped down to keep pace (`pace.Mode.label`; "" at the top).
    mode: str = ""

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
        return frame_row(self.frame.index, self.analysis, self.cue, self.pose_ms)


def frame_row(frame_index: int, analysis: FrameAnalysis, cue: Cue | None, pose_ms: float) -> FrameRow:
    """A processed frame's line in the session record."""
    return FrameRow(
        t=analysis.t,
        has_pose=analysis.pose is not None,
        trunk_lean_deg=analysis.posture.trunk_lean_deg,
        facing=analysis.posture.facing,
        frame_index=frame_index,
        pose_ms=pose_ms,
        cue_id=cue.id if cue else None,
        activity=analysis.activity,
    )


class Output(Protocol):
    """A side effect fed every processed frame; returns False to stop the session."""

    def handle(self, result: FrameResult) -> bool: ...


@dataclass(frozen=True)
class CoachStep:
    """The coach's answer for one frame."""

    analysis: FrameAnalysis
    cue: Cue | None
    banner: Cue | None
    in_fault: frozenset[str] = frozenset()


class Coach:
    """The pure middle of the app: analysis, then the cue engine. No model, no I/O.

    `step(t, image, pose)` serves a live frame, a video frame, and a replay of recorded
    landmarks (`image` None) alike.
    """

    def __init__(self, analyzer: FrameAnalyzer, engine: CueEngine) -> None:
        self.analyzer = analyzer
        self.engine = engine

    def step(self, t: float, image, raw: Pose | None) -> CoachStep:
        """Analyse one frame's pose (None: nobody found) and decide whether to speak."""
        return self.decide(t, self.analyzer.update(t, image, raw))

    def use_model(self, model: str) -> None:
        """The live ladder changed the pose model: the trunk lean takes that model's correction
        (`estimator.lean_correction_deg`), so that a step down does not move the lean."""
        from realtime.models.estimator import lean_correction_deg

        posture = self.analyzer.posture
        if posture.lean_correction_deg != 0.0:  # 0: landmarks that are no model's (the demo)
            posture.lean_correction_deg = lean_correction_deg(model)

    def replay(self, t: float, raw: Pose | None, scene: Scene) -> CoachStep:
        """The same for a recorded frame: its pose and what its image showed of the scene."""
        return self.decide(t, self.analyzer.analyse(t, raw, scene))

    def decide(self, t: float, analysis: FrameAnalysis) -> CoachStep:
        """The cue engine's turn, once the frame is analysed: every stride that ended on it is judged."""
        baseline = self.analyzer.calibration.baseline if self.analyzer.calibration.ready else None
        cue = self.engine.update(t, list(analysis.strides), baseline, active=analysis.running)
        return CoachStep(analysis, cue, self.engine.banner(t), self.engine.in_fault)

    def session_extras(self) -> dict:
        """What the analysis learned over the whole session, for summary.json."""
        a = self.analyzer
        baseline = a.calibration.summary()
        running = [s.as_row() for s in a.strides]  # strides are measured only while running
        return {
            "baseline": baseline,
            "good_form": good_form(running, self.engine.rules, baseline),
            "setup": a.setup.session_summary(),
            "camera_roll_deg": a.camera_roll_deg(),
            "implausible_frames": {"count": sum(a.implausible.values()), "reasons": dict(sorted(a.implausible.items()))},
            "rib_cage": rib_cage_summary(a.strides, a.calibration.baseline if a.calibration.ready else None),
            "feedback": self.engine.schedule,
            "rules": rules_table(self.engine.rules),
            "lean_band": list(lean_band(self.engine.rules)),
        }


@dataclass(frozen=True)
class Estimated:
    """A frame with the model's raw pose: what the pose thread hands to the coach."""

    frame: Frame
    raw: Pose | None
    pose_ms: float
    pose_done_at: float
    mode: str = ""  # the live mode's label ("" at the top of the ladder, and off the live loop)
    model: str | None = None  # the live mode's pose model (None off the live loop)


def estimate_frame(estimator: PoseModel, frame: Frame) -> Estimated:
    """Run the model on one frame: its raw pose, the model's time, when it was done."""
    raw = estimator.estimate(frame.image, frame.t)
    return Estimated(frame, raw, estimator.last_ms, time.monotonic())


class Pipeline:
    """The model plus the coach: `process(frame) -> FrameResult`.

    With `paced` (a live camera), the model is the ladder of `pace.PacedModels`, which steps
    down when it cannot keep pace and may pass over frames (`estimate` then gives None).
    """

    def __init__(self, estimator: PoseModel | None, coach: Coach, paced: PacedModels | None = None) -> None:
        self.estimator = estimator
        self.coach = coach
        self.paced = paced

    def estimate(self, frame: Frame) -> Estimated | None:
        """The model's part: the frame's raw pose (may run on the pose thread); None for a
        frame the live mode passes over."""
        if self.paced is None:
            return estimate_frame(self.estimator, frame)
        raw, ran = self.paced.estimate_frame(frame.image, frame.t, frame.index)
        if not ran:
            return None
        mode = self.paced.mode
        return Estimated(frame, raw, self.paced.last_ms, time.monotonic(), self.paced.label, mode.model)

    def decide(self, estimated: Estimated) -> FrameResult:
        """The coach's part: analysis and cue for an estimated frame."""
        if estimated.model is not None:
            self.coach.use_model(estimated.model)
        frame = estimated.frame
        step = self.coach.step(frame.t, frame.image, estimated.raw)
        timing = FrameTiming(frame.captured_at, estimated.pose_done_at, time.monotonic())
        return FrameResult(frame, step.analysis, step.cue, step.banner, estimated.pose_ms, estimated.raw, timing,
                           in_fault=step.in_fault, mode=estimated.mode)

    def process(self, frame: Frame) -> FrameResult:
        """Run the plain estimator on one frame, then the coach (not for a paced pipeline, which
        has none: its frames go through `estimate`, then `decide`)."""
        return self.decide(estimate_frame(self.estimator, frame))

    def session_extras(self) -> dict:
        """See `Coach.session_extras`; a paced live session adds its modes (`live_pace`)."""
        extras = self.coach.session_extras()
        if self.paced is not None:
            extras["live_pace"] = self.paced.governor.summary()
        return extras

    def close(self) -> None:
        """Release the paced models (a plain estimator is its owner's to close)."""
        if self.paced is not None:
            self.paced.close()


def run_session(
    frames: Iterable[Frame],
    pipeline: Pipeline,
    record: SessionRecord,
    outputs: Iterable[Output] = (),
    duration_s: float | None = None,
    on_frame: Callable[[FrameResult], None] | None = None,
) -> SessionRecord:
    """Process frames until the source ends, `duration_s` passes or an output says stop.

    The model runs one frame ahead on its own thread (`EstimateAhead`); the coach, the
    record and the outputs run here, in frame order (`run_estimated`).
    """
    ahead = EstimateAhead(frames, pipeline.estimate)
    try:
        return run_estimated(ahead, pipeline, record, outputs, duration_s, on_frame, ahead.waiting)
    finally:
        ahead.close()


def run_estimated(
    estimated_frames: Iterable[Estimated],
    pipeline: Pipeline,
    record: SessionRecord,
    outputs: Iterable[Output] = (),
    duration_s: float | None = None,
    on_frame: Callable[[FrameResult], None] | None = None,
    newer_waiting: Callable[[], bool] = lambda: False,
) -> SessionRecord:
    """The one session loop, over frames the model has already seen: the coach decides, the
    record keeps the frame, every output handles it. Used by `run_session` (run, demo,
    analyze --record) and by the kiosk, which runs one session per runner over its camera's
    stream. Stops when the frames end, `duration_s` passes or an output says stop; the
    frames not taken stay in `estimated_frames`.
    """
    outputs = list(outputs)
    start = time.perf_counter()
    first_t: float | None = None
    try:
        for estimated in estimated_frames:
            frame = estimated.frame
            first_t = frame.t if first_t is None else first_t
            if duration_s is not None and frame.t - first_t >= duration_s:
                break
            result = pipeline.decide(estimated)
            if newer_waiting():
                result = replace(result, superseded=True)
            record.add(result.row(), result.cue, result.analysis.strides)
            if record.landmarks is not None:
                record.landmarks.add(frame.t, frame.index, result.raw, result.analysis.scene, result.pose_ms)
            if on_frame is not None:
                on_frame(result)
            carry_on = all([out.handle(result) for out in outputs])
            if result.timing is not None:
                record.add_timing(result.timing.latency_ms)
            if not carry_on:
                break
    finally:
        record.wall_s = time.perf_counter() - start
        record.extras = pipeline.session_extras()
    return record


def replay_frame(coach: Coach, record: SessionRecord, logged: LoggedFrame) -> None:
    """One recorded frame through the coach, into the record."""
    step = coach.replay(logged.t, logged.pose, logged.scene)
    record.add(frame_row(logged.frame_index, step.analysis, step.cue, logged.pose_ms), step.cue, step.analysis.strides)


def replay_session(stream: LandmarkStream, coach: Coach, record: SessionRecord) -> SessionRecord:
    """Re-run a recorded landmark stream through the analysis and the cues (no model, no images)."""
    start = time.perf_counter()
    try:
        for logged in stream:
            replay_frame(coach, record, logged)
    finally:
        record.wall_s = time.perf_counter() - start
        record.extras = coach.session_extras()
    return record
