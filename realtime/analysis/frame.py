"""The analysis of one frame: camera roll, smoothing, posture, gait, strides, set-up.

`FrameAnalyzer.update(t, image, pose)` is the pure middle of the app (the image is
only sampled for the camera roll and the light, about once a second): the same
code serves `run`, `analyze` and a replay of recorded landmarks (image None).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from realtime.analysis.activity import Activity, ActivityClassifier
from realtime.analysis.calibration import Calibration
from realtime.analysis.camera_roll import RollEstimate, RollTracker, rotate_points
from realtime.analysis.gait import GaitEvent, GaitTracker
from realtime.analysis.passing import PlaceWatch
from realtime.analysis.plausibility import implausible_reason, reason_kind
from realtime.analysis.posture import PostureAnalyzer, PostureSample
from realtime.analysis.rib_cage import (
    STRIDE_METRICS,
    RibCageSample,
    RibCageTracker,
    TrunkOutline,
    rib_cage_from_outline,
)
from realtime.analysis.setup_check import (
    SetupMonitor,
    SetupWarning,
    frame_checks,
    image_brightness,
)
from realtime.analysis.smoothing import PoseSmoother
from realtime.analysis.stride_metrics import MAX_CADENCE_DEVIATION, FrameBuffer, StrideMetrics, measure_stride
from realtime.core.pose import Pose

#: How often the image is sampled for its brightness (s).
BRIGHTNESS_EVERY_S = 0.5


@dataclass(frozen=True)
class AnalyzerConfig:
    """Settings of the analysis that a user may change."""

    calibration_s: float = 20.0
    #: None: estimate the camera roll from the scene; a number: the roll is known (degrees).
    camera_roll_deg: float | None = None
    #: Added to the trunk lean the landmarks give: the pose model's own bias
    #: (realtime/models/estimator.py LEAN_CORRECTION_DEG); 0 for landmarks that are the skeleton.
    lean_correction_deg: float = 0.0


@dataclass(frozen=True)
class Scene:
    """What a frame's image told about the scene (kept so a replay needs no images)."""

    roll: RollEstimate | None
    brightness: float | None


@dataclass(frozen=True)
class FrameAnalysis:
    """What the analysis knows after one frame."""

    t: float
    pose: Pose | None
    posture: PostureSample
    activity: Activity
    events: list[GaitEvent] = field(default_factory=list)
    strides: list[StrideMetrics] = field(default_factory=list)
    cadence_spm: float | None = None
    setup: list[SetupWarning] = field(default_factory=list)
    scene: Scene = field(default_factory=lambda: Scene(None, None))
    calibration_left_s: float | None = None
    #: The back and rib cage read from the outline this frame (None: no mask, or unreadable).
    rib_cage: RibCageSample | None = None

    @property
    def running(self) -> bool:
        """True while the runner is running (running metrics and cues apply)."""
        return self.activity == "running"


def brightness_due(last_t: float | None, t: float) -> bool:
    """True when a frame at `t` is sampled for its brightness, the last sample being at `last_t`."""
    return last_t is None or t - last_t >= BRIGHTNESS_EVERY_S or t < last_t


def person_box(pose: Pose, image_size: tuple[int, int], pad: float = 0.25) -> tuple[int, int, int, int]:
    """A generous bounding box (x0, y0, x1, y1) around the visible landmarks."""
    seen = pose.xy[pose.visibility > 0.3]
    pts = seen if len(seen) else pose.xy
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    dx, dy = (x1 - x0) * pad + 10, (y1 - y0) * pad * 0.5 + 10
    w, h = image_size
    return (int(max(0, x0 - dx)), int(max(0, y0 - dy)), int(min(w, x1 + dx)), int(min(h, y1 + dy)))


def plausible(stride: StrideMetrics, recent_cadence_spm: float | None) -> bool:
    """False for a "stride" made of two (a missed contact) or half of one (a false contact)."""
    if recent_cadence_spm is None:
        return True
    return abs(stride.cadence_spm / recent_cadence_spm - 1.0) <= MAX_CADENCE_DEVIATION


class FrameAnalyzer:
    """All per-frame and per-stride analysis; `update` once per frame, in time order."""

    def __init__(self, image_size: tuple[int, int], config: AnalyzerConfig | None = None) -> None:
        self.image_size = image_size
        self.config = config or AnalyzerConfig()
        self.roll = RollTracker()
        self.smoother = PoseSmoother()
        self.posture = PostureAnalyzer(lean_correction_deg=self.config.lean_correction_deg)
        self.activity = ActivityClassifier()
        self.calibration = Calibration(duration_s=self.config.calibration_s)
        self.setup = SetupMonitor()
        self.place = PlaceWatch()
        self.buffer = FrameBuffer()
        self.gait: GaitTracker | None = None
        self.strides: list[StrideMetrics] = []
        self.rib_cage = RibCageTracker()
        self._outlines_seen = False
        self._brightness: float | None = None
        self._brightness_t: float | None = None
        self._last_roll: RollEstimate | None = None
        #: Frames whose pose was no plausible upright runner (`plausibility`), or a person
        #: walking past (`passing`), by kind of reason.
        self.implausible: dict[str, int] = {}

    def update(self, t: float, image_bgr: np.ndarray | None, raw: Pose | None) -> FrameAnalysis:
        """Analyse one frame: `image_bgr` may be None (replay), `raw` None (nobody found)."""
        return self.analyse(t, raw, self.observe(t, image_bgr, raw))

    def observe(self, t: float, image: np.ndarray | None, raw: Pose | None) -> Scene:
        """What the image tells about the scene now: camera roll and light (sampled now and then)."""
        if self.config.camera_roll_deg is not None:
            roll: RollEstimate | None = RollEstimate(self.config.camera_roll_deg, 1.0, 0)
        elif image is None:
            roll = self.roll.estimate
        else:
            exclude = person_box(raw, self.image_size) if raw is not None else None
            roll = self.roll.update(t, image, exclude)
        if image is not None and brightness_due(self._brightness_t, t):
            self._brightness, self._brightness_t = image_brightness(image), t
        return Scene(roll, self._brightness)

    def analyse(self, t: float, raw: Pose | None, scene: Scene) -> FrameAnalysis:
        """The analysis of one frame's pose given what the scene showed (a replay passes it in)."""
        self._last_roll = scene.roll
        levelled = self._plausible(t, self._level(raw, scene.roll))
        raw = raw if levelled is not None else None  # nor its outline: nobody is in view
        pose = self.smoother.update(t, levelled)
        sample = self.posture.update(t, pose)
        self.buffer.push(t, pose, sample.trunk_lean_deg)
        rib_cage = self._rib_cage(t, raw, sample)
        events = self._gait(t, pose, sample)
        cadence = self.gait.cadence_spm if self.gait else None
        horizon = self.activity.params.horizon_s
        phases = self.gait.hip_phases(horizon) if self.gait else []
        age = self.gait.last_midstance_age_s if self.gait else None
        activity = self.activity.update(t, pose, phases, age)
        strides = self._strides(events, sample, activity == "running")
        self.calibration.update(t, strides[-1] if strides else None, activity == "running")
        setup = self.setup.update(t, frame_checks(pose, self.image_size), scene.brightness, scene.roll)
        left = None if self.calibration.ready else self.calibration.remaining_s
        return FrameAnalysis(t, pose, sample, activity, events, strides, cadence, setup, scene, left, rib_cage)

    def camera_roll_deg(self) -> float | None:
        """The roll the angles were last corrected for: given, or confidently estimated."""
        if self.config.camera_roll_deg is not None:
            return self.config.camera_roll_deg
        roll = self._last_roll
        confident = roll is not None and roll.confidence >= self.roll.min_confidence
        return round(roll.roll_deg, 2) if confident else None

    def _level(self, raw: Pose | None, roll: RollEstimate | None) -> Pose | None:
        """Undo a confidently measured camera roll."""
        if raw is None or roll is None:
            return raw
        if roll.confidence < self.roll.min_confidence:
            return raw
        centre = (self.image_size[0] / 2.0, self.image_size[1] / 2.0)
        return raw.with_xy(rotate_points(raw.xy, roll.roll_deg, centre))

    def _plausible(self, t: float, pose: Pose | None) -> Pose | None:
        """The pose when it is a plausible upright runner who stays in place, else None
        (counted by reason; the first half second in view is not, see `passing`)."""
        reason = implausible_reason(pose) if pose is not None else None
        placement = self.place.update(t, pose if reason is None else None)
        if pose is None or (reason is None and placement == "settling"):
            return None
        if reason is None and placement == "in_place":
            return pose
        key = reason_kind(reason) if reason is not None else placement
        self.implausible[key] = self.implausible.get(key, 0) + 1
        return None

    def _rib_cage(self, t: float, raw: Pose | None, sample: PostureSample) -> RibCageSample | None:
        """The back and rib cage from the raw pose's outline (the outline is in its pixels)."""
        outline = raw.outline if raw is not None else None
        self._outlines_seen = self._outlines_seen or outline is not None
        rib = None
        if outline is not None and sample.facing is not None:
            rib = rib_cage_from_outline(TrunkOutline.unpack(outline), sample.facing)
        self.rib_cage.update(t, rib)
        return rib

    def _with_rib_cage(self, m: StrideMetrics) -> StrideMetrics:
        """The stride's rib-cage medians merged in (left None when no outline was ever read)."""
        if not self._outlines_seen:
            return m
        values = self.rib_cage.stride_values(m.t_contact, m.t_next_contact)
        return replace(m, **{name: values[name] for name in STRIDE_METRICS})

    def _gait(self, t: float, pose: Pose | None, sample: PostureSample) -> list[GaitEvent]:
        if sample.facing is None:
            return []
        if self.gait is None or self.gait.facing != sample.facing:
            self.gait = GaitTracker(sample.facing)
        return self.gait.update(t, pose)

    def _strides(self, events: list[GaitEvent], sample: PostureSample, running: bool) -> list[StrideMetrics]:
        if not running or sample.facing is None:
            return []
        done = [measure_stride(e.stride, self.buffer, sample.facing) for e in events if e.stride is not None]
        cadence = self.gait.cadence_spm if self.gait else None
        done = [self._with_rib_cage(m) for m in done if m is not None and plausible(m, cadence)]
        self.strides.extend(done)
        return done
