"""The one place that assembles the app: the coach, the pipeline, the outputs of a live
session, and the end of a session (written, added to the history, reported).

`run`, `analyze`, `demo` and the kiosk all build their coach with `build_coach`; the live
commands run through `run_live`; `estimator_config` turns `--model` into the model's settings,
making sure its file is there first. Heavy modules (cv2, mediapipe, pygame) load inside the
functions, after the command line has set the native log levels.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from realtime.core.errors import UserError

if TYPE_CHECKING:
    from cues.rules import RuleSet
    from realtime.models.estimator import EstimatorConfig
    from realtime.pipeline.loop import Coach, Pipeline

log = logging.getLogger("ribsdown")

#: How long the end-of-session screen stays up in a window (a key closes it sooner).
END_SCREEN_S = 10.0


def run_live(source, pipeline: Pipeline, args: argparse.Namespace, out_dir: Path, title: str = "ribsdown"):
    """A session with the screen and the voice (`run`, `demo`, `analyze --record`): the record."""
    from realtime.core.allocator import trimming
    from realtime.core.native_stderr import filtered_stderr
    from realtime.core.paths import voice_dir
    from realtime.outputs.checkpoint import SessionCheckpoint
    from realtime.outputs.layers import ScreenOutput, ScreenshotSchedule, VoiceOutput
    from realtime.outputs.recorder import VIDEO_NAME, VideoRecorder
    from realtime.outputs.screen import Screen
    from realtime.outputs.voice import VoicePlayer

    player = VoicePlayer(voice_dir(), volume=getattr(args, "volume", 1.0), muted=getattr(args, "mute", True))
    player.open()
    screen = Screen(title=title)
    with filtered_stderr():  # SDL's "XDG_RUNTIME_DIR is invalid" on a machine without a desktop (--verbose shows it)
        screen.open()
    recorder = VideoRecorder(out_dir / VIDEO_NAME, source.fps) if getattr(args, "record", False) else None
    every = getattr(args, "screenshot_every", None)
    shots = ScreenshotSchedule(out_dir / "screens", every) if every else None
    record = new_record(source, getattr(args, "model", None), getattr(args, "mine", False))  # the demo has no model
    checkpoint = SessionCheckpoint(record, out_dir)
    try:
        calibration = pipeline.coach.analyzer.calibration
        shown = ScreenOutput(screen, player, shots, on_recalibrate=calibration.reset, recorder=recorder,
                             rules=pipeline.coach.engine.rules)
        with trimming():  # a long session's freed frames go back to the system (realtime/core/allocator.py)
            run_loop(source, pipeline, record, [VoiceOutput(player), shown, checkpoint], getattr(args, "duration", None))
        wait_for_voice(player)
        shown.finish(record, wait_s=0.0 if args.headless else END_SCREEN_S)
    finally:
        checkpoint.close()
        if recorder is not None:
            recorder.close()
        screen.close()
        player.close()
        pipeline.close()
    return record


def build_coach(rules: RuleSet, image_size: tuple[int, int], args: argparse.Namespace,
                calibration_s: float | None = None, camera_roll_deg: float | None = None,
                model_landmarks: bool = True) -> Coach:
    """The analysis and the cue engine, set up from the command line (`run`, `analyze`,
    the kiosk); the demo gives its own calibration time, its known camera roll, and
    landmarks that are its skeleton's (`model_landmarks=False`: no model bias to correct)."""
    from cues.engine import CueEngine
    from realtime.analysis.frame import AnalyzerConfig, FrameAnalyzer
    from realtime.models.estimator import lean_correction_deg
    from realtime.pipeline.loop import Coach

    correction = lean_correction_deg(getattr(args, "model", "full")) if model_landmarks else 0.0
    config = AnalyzerConfig(calibration_s=calibration_s if calibration_s is not None else args.calibration_s,
                            camera_roll_deg=camera_roll_deg if camera_roll_deg is not None else args.camera_roll,
                            lean_correction_deg=correction)
    return Coach(FrameAnalyzer(image_size, config), CueEngine(rules, schedule=args.feedback))


def build_pipeline(rules: RuleSet, source, args: argparse.Namespace) -> Pipeline:
    """The model and the coach for `source`, with these cue rules. A live source (a camera,
    a stream, a video played in real time) gets the paced ladder of models unless `--pace off`."""
    from realtime.models.estimator import PoseEstimator
    from realtime.pipeline.loop import Pipeline

    coach = build_coach(rules, source.size, args)
    if getattr(source, "is_live", False) and getattr(args, "pace", "off") == "auto":
        return Pipeline(None, coach, paced=paced_models(args.model, source.fps))
    return Pipeline(PoseEstimator(estimator_config(args)), coach)


def paced_models(model: str, fps: float):
    """The live ladder from `model` (its file made sure of; the lite rungs only when the lite
    model is installed: a live session never downloads)."""
    from realtime.models.estimator import EstimatorConfig, PoseEstimator
    from realtime.models.pose_models import complexity, ensure_model, is_verified, model_path
    from realtime.pipeline.pace import PacedModels, PaceGovernor, ladder

    ensure_model(model)
    lite = model == "lite" or is_verified("lite", model_path("lite"))

    def make(mode) -> PoseEstimator:
        return PoseEstimator(EstimatorConfig(model_complexity=complexity(mode.model), enable_segmentation=mode.mask))

    return PacedModels(PaceGovernor(ladder(model, lite), fps), make)


def estimator_config(args: argparse.Namespace) -> EstimatorConfig:
    """The settings of the pose model `--model` names, once its file is in place (MediaPipe's
    own download is tried if it is missing; a UserError saying how to install it if that fails)."""
    from realtime.models.estimator import EstimatorConfig
    from realtime.models.pose_models import complexity, ensure_model

    ensure_model(args.model)
    return EstimatorConfig(model_complexity=complexity(args.model))


def new_record(source, model: str | None = None, mine: bool = False):
    """An empty session record for `source`, keeping its landmark stream; `model` is the
    pose model's name (`--model`) for summary.json; `mine`: the user says a video is theirs."""
    from realtime.record.kinds import is_mine, kind_of_source
    from realtime.record.landmarks import LandmarkLog
    from realtime.record.session import SessionRecord
    from realtime.sources.capture import PacedFileSource
    from realtime.sources.demo_source import SyntheticSource

    live = getattr(source, "is_live", False) and not isinstance(source, PacedFileSource)
    kind = kind_of_source(live, isinstance(source, SyntheticSource))
    return SessionRecord(source=source.name, fps=source.fps, model=model, kind=kind, mine=is_mine(kind, mine),
                         landmarks=LandmarkLog(source.size, source.fps, source.name))


def run_loop(source, pipeline, record, outputs, duration, on_frame=None) -> None:
    """Run the session; Ctrl-C ends it cleanly and keeps what was recorded."""
    from realtime.pipeline.loop import run_session

    try:
        run_session(source, pipeline, record, outputs, duration, on_frame)
    except KeyboardInterrupt:
        log.warning("stopped (Ctrl-C); saving what was recorded")
    record.frames_dropped = source.frames_dropped


def wait_for_voice(player, limit_s: float = 5.0) -> None:
    """Let a voice line that is still playing finish before closing the mixer."""
    deadline = time.monotonic() + limit_s
    while player.busy() and time.monotonic() < deadline:
        time.sleep(0.05)


def rules_override(requested: Path | None) -> Path | None:
    """`--rules FILE`, else the user's own rules.toml when there is one."""
    from realtime.core.paths import user_rules_path

    if requested is not None:
        return requested
    mine = user_rules_path()
    if mine.is_file():
        log.info("using your cue rules from %s", mine)
        return mine
    return None


def resolve_out_dir(requested: Path | None) -> Path:
    """The session's folder, checked and claimed (`prepare_out_dir`) before any work starts, and
    noted for the history (a session that never finishes still enters it: `SessionStore.catch_up`)."""
    from realtime.core.paths import user_data_dir
    from realtime.record.session import prepare_out_dir
    from realtime.record.store import default_db_path, remember_folder

    folder = prepare_out_dir(requested, user_data_dir())
    remember_folder(default_db_path(), folder)
    return folder


def finish(record, out_dir: Path) -> int:
    """Write the session and say where it went."""
    from realtime.record.session import release_out_dir

    try:
        write_session(record, out_dir)
    finally:
        release_out_dir(out_dir)
    summary = record.summary()
    lean = summary["trunk_lean_deg"]
    lean_text = f"trunk lean median {lean['median']:+.1f}°" if lean else "no runner found"
    print(f"{summary['frames']} frames, {lean_text}, {len(summary['cues'])} cue(s)")
    for warning in summary.get("setup", []):
        print(f"set-up: {warning['text']}")
    print(f"session saved to {out_dir}")
    save_to_history(out_dir)
    return 0


def write_session(record, out_dir: Path) -> None:
    """Write the session's files; when they do not fit (a disk filled during the run), the
    session without its landmark stream (landmarks.npz, by far the largest file), so what was
    measured is kept and readable; one clear line if even that cannot be written."""
    import dataclasses

    try:
        record.write(out_dir)
        return
    except OSError as err:
        if record.landmarks is None:
            raise _not_saved(out_dir, err) from err
        log.warning("the landmark stream could not be saved in %s (%s); saving the session without it",
                    out_dir, err.strerror)
    try:
        dataclasses.replace(record, landmarks=None).write(out_dir)
    except OSError as err:
        raise _not_saved(out_dir, err) from err


def _not_saved(out_dir: Path, err: OSError) -> UserError:
    return UserError(f"could not save the session in {out_dir}: {err.strerror} — free some space or "
                     "make the folder writable, then analyse again")


def report_without_history(out_dir: Path) -> None:
    """Write the session's report without the trend across sessions, and note the folder for
    the history to add later (`SessionStore.catch_up`)."""
    from realtime.record.store import default_db_path, remember_folder
    from realtime.report.page import write_report

    remember_folder(default_db_path(), out_dir)
    try:
        print(f"report: {write_report(out_dir)}")
    except UserError as err:
        log.warning("no report either: %s", err)


def save_to_history(out_dir: Path) -> None:
    """Add the session to the history and write its report; a store problem only warns."""
    from realtime.apps.history_cli import record_session

    try:
        print(f"report: {record_session(out_dir)}")
    except (UserError, sqlite3.Error) as err:
        log.warning("the session is saved in %s, but not added to the history yet (%s); it will be "
                    "added once the history can be written", out_dir, err)
        report_without_history(out_dir)

