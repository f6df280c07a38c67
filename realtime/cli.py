"""`ribsdown` on the command line: `run` (live) and `analyze` (a recorded video)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from realtime.errors import UserError

if TYPE_CHECKING:  # the heavy modules (cv2, mediapipe) load after the log settings
    from cues.rules import RuleSet
    from realtime.loop import Coach, Pipeline

log = logging.getLogger("ribsdown")

#: How long the end-of-session screen stays up in a window (a key closes it sooner).
END_SCREEN_S = 10.0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="ribsdown", description="Real-time running-form coach.")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="coach live from a camera, a phone stream or a video")
    run.add_argument("--source", help="camera index (0), video PATH or stream URL (default 0; with no camera, the demo)")
    run.add_argument("--realtime", action="store_true", help="play a video file at its own speed, as a camera would")
    run.add_argument("--headless", action="store_true", help="no window (SDL dummy video driver)")
    run.add_argument("--duration", type=positive_float, metavar="SECONDS", help="stop after this long")
    run.add_argument("--mute", action="store_true", help="no voice (the banner still shows)")
    run.add_argument(
        "--kiosk", action="store_true",
        help="gym mode: full screen, sessions start and end by themselves, nothing stored",
    )
    run.add_argument("--volume", type=unit_float, default=1.0, help="voice volume 0..1 (default 1)")
    add_analysis_options(run)
    run.add_argument("--out", type=Path, metavar="DIR", help="folder for summary.json and frames.csv")
    run.add_argument(
        "--screenshot-every", type=positive_float, metavar="SECONDS", help="save the screen as PNG into DIR/screens"
    )
    run.set_defaults(func=command_run)

    analyze = sub.add_parser("analyze", help="analyse a recorded video as fast as the CPU allows")
    analyze.add_argument("video", type=Path, nargs="?", help="the video file")
    analyze.add_argument(
        "--landmarks", type=Path, metavar="FILE",
        help="instead of a video: a session's landmarks.npz, re-run through the metrics and cues without the model",
    )
    add_analysis_options(analyze)
    analyze.add_argument("--out", type=Path, metavar="DIR", help="folder for summary.json and frames.csv")
    analyze.add_argument(
        "--jobs", type=int, metavar="N",
        help="processes running the model (default: one per core; a short video uses one); "
        "the results are the same for any N",
    )
    analyze.set_defaults(func=command_analyze)

    from realtime import cameras, demo  # light modules: cv2 loads only when a command runs

    demo.add_parser(sub)
    cameras.add_parser(sub)
    from realtime import history_cli

    history_cli.add_parsers(sub)
    return parser


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `analyze`."""
    parser.add_argument(
        "--rules", type=Path, metavar="FILE",
        help="cue rules overriding the shipped ones (default: rules.toml in your config folder, if any)",
    )
    parser.add_argument(
        "--feedback", choices=("full", "faded", "summary-only"), default="faded",
        help="how often the coach speaks: every time a fault is due (full), less often as the run "
        "goes on (faded, default), or not at all during the run (summary-only)",
    )
    parser.add_argument(
        "--calibration-s", type=positive_float, default=20.0, metavar="SECONDS",
        help="steady running that sets your own baseline (default 20)",
    )
    parser.add_argument(
        "--record", action="store_true",
        help="also save the annotated video as session.mp4 in the session folder (off by default)",
    )
    parser.add_argument(
        "--camera-roll", type=roll_setting, default=None, metavar="auto|DEGREES",
        help="camera tilt: 'auto' measures it from the room's vertical lines (default); "
        "a number sets it, e.g. 0 for a camera levelled with a spirit level",
    )


def roll_setting(text: str) -> float | None:
    """argparse type: 'auto' (None) or a roll in degrees within ±45."""
    if text.strip().lower() == "auto":
        return None
    value = float(text)
    if abs(value) > 45:
        raise argparse.ArgumentTypeError(f"a camera roll of {text}° is not a side view; give -45..45 or auto")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def unit_float(text: str) -> float:
    """argparse type: a number in [0, 1]."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def command_run(args: argparse.Namespace) -> int:
    """The live app: source → model → analysis → voice and screen."""
    from cues.rules import load_rules
    from realtime.capture import open_source
    from realtime.errors import SourceError
    from realtime.screen import use_headless_video

    if args.headless:
        use_headless_video()
    camera_by_default = args.source is None
    if camera_by_default:
        args.source = "0"
    if args.kiosk:
        from realtime.kiosk import command_kiosk

        return command_kiosk(args)
    out_dir = resolve_out_dir(args.out)
    rules = load_rules(rules_override(args.rules))
    try:
        source = open_source(args.source, realtime=args.realtime)
    except SourceError:
        if not camera_by_default:  # the user named this source: theirs to fix (exit 2)
            raise
        return demo_instead(args)
    with source:
        record = run_live(source, build_pipeline(rules, source, args), args, out_dir)
    return finish(record, out_dir)


def demo_instead(args: argparse.Namespace) -> int:
    """`run` with no --source and no camera: say so in one line, then show the demo."""
    from realtime.demo import command_demo

    print(
        "ribsdown: no camera found — starting `ribsdown demo` instead (a synthetic runner, not you); "
        "to coach yourself connect a camera, or use a phone as the camera: `ribsdown run --source URL` "
        "(README, 'Using a phone as the camera')",
        file=sys.stderr,
    )
    return command_demo(args)


def run_live(source, pipeline: Pipeline, args: argparse.Namespace, out_dir: Path, title: str = "ribsdown"):
    """A session with the screen and the voice (`run`, `demo`, `analyze --record`): the record."""
    from cues.audio import VoicePlayer
    from realtime.outputs import ScreenOutput, ScreenshotSchedule, VoiceOutput
    from realtime.paths import voice_dir
    from realtime.recorder import VIDEO_NAME, VideoRecorder
    from realtime.screen import Screen

    player = VoicePlayer(voice_dir(), volume=getattr(args, "volume", 1.0), muted=getattr(args, "mute", True))
    player.open()
    screen = Screen(title=title)
    screen.open()
    recorder = VideoRecorder(out_dir / VIDEO_NAME, source.fps) if getattr(args, "record", False) else None
    every = getattr(args, "screenshot_every", None)
    shots = ScreenshotSchedule(out_dir / "screens", every) if every else None
    record = new_record(source)
    try:
        calibration = pipeline.coach.analyzer.calibration
        shown = ScreenOutput(screen, player, shots, on_recalibrate=calibration.reset, recorder=recorder,
                             rules=pipeline.coach.engine.rules)
        run_loop(source, pipeline, record, [VoiceOutput(player), shown], getattr(args, "duration", None))
        wait_for_voice(player)
        shown.finish(record, wait_s=0.0 if args.headless else END_SCREEN_S)
    finally:
        if recorder is not None:
            recorder.close()
        screen.close()
        player.close()
    return record


def command_analyze(args: argparse.Namespace) -> int:
    """A recorded video through the same pipeline, no window, no voice."""
    from tqdm import tqdm

    from cues.rules import load_rules
    from realtime.capture import FileSource

    if (args.video is None) == (args.landmarks is None):
        raise UserError("give either a VIDEO or --landmarks FILE to analyse — see `ribsdown analyze --help`")
    out_dir = resolve_out_dir(args.out)
    rules = load_rules(rules_override(args.rules))
    if args.landmarks is not None:
        return replay_landmarks(args, rules, out_dir)
    if args.record:
        from realtime.screen import use_headless_video

        use_headless_video()
        args.headless, args.mute = True, True
    if args.jobs is not None and args.jobs < 1:
        raise UserError(f"--jobs must be 1 or more, got {args.jobs}")
    with FileSource(args.video) as source:
        if args.record:
            return finish(run_live(source, build_pipeline(rules, source, args), args, out_dir), out_dir)
        from realtime.parallel import analyze_video, default_jobs

        record = new_record(source)
        with tqdm(total=source.frame_count, unit="frame", desc="analysing", disable=None) as bar:
            analyze_video(source, build_coach(rules, source.size, args), record, args.jobs or default_jobs(), bar.update)
    return finish(record, out_dir)


def replay_landmarks(args: argparse.Namespace, rules: RuleSet, out_dir: Path) -> int:
    """`analyze --landmarks FILE`: a recorded stream through today's metrics and cues."""
    from realtime.landmarks import load_landmarks
    from realtime.loop import replay_session
    from realtime.session import SessionRecord

    stream = load_landmarks(args.landmarks)
    record = SessionRecord(source=f"{stream.source} (replayed from {args.landmarks})", fps=stream.fps)
    replay_session(stream, build_coach(rules, stream.image_size, args), record)
    return finish(record, out_dir)


def build_coach(rules: RuleSet, image_size: tuple[int, int], args: argparse.Namespace) -> Coach:
    """The analysis and the cue engine, set up from the command line."""
    from cues.engine import CueEngine
    from realtime.analysis import AnalyzerConfig, FrameAnalyzer
    from realtime.loop import Coach

    config = AnalyzerConfig(calibration_s=args.calibration_s, camera_roll_deg=args.camera_roll)
    return Coach(FrameAnalyzer(image_size, config), CueEngine(rules, schedule=args.feedback))


def build_pipeline(rules: RuleSet, source, args: argparse.Namespace) -> Pipeline:
    """The model and the coach for `source`, with these cue rules."""
    from realtime.estimator import PoseEstimator
    from realtime.loop import Pipeline

    return Pipeline(PoseEstimator(), build_coach(rules, source.size, args))


def new_record(source):
    """An empty session record for `source`, keeping its landmark stream."""
    from realtime.landmarks import LandmarkLog
    from realtime.session import SessionRecord

    return SessionRecord(source=source.name, fps=source.fps, landmarks=LandmarkLog(source.size, source.fps, source.name))


def run_loop(source, pipeline, record, outputs, duration, on_frame=None) -> None:
    """Run the session; Ctrl-C ends it cleanly and keeps what was recorded."""
    from realtime.loop import run_session

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
    from realtime.paths import user_rules_path

    if requested is not None:
        return requested
    mine = user_rules_path()
    if mine.is_file():
        log.info("using your cue rules from %s", mine)
        return mine
    return None


def resolve_out_dir(requested: Path | None) -> Path:
    """Check the output folder before any work starts."""
    from realtime.paths import user_data_dir
    from realtime.session import prepare_out_dir

    return prepare_out_dir(requested, user_data_dir())


def finish(record, out_dir: Path) -> int:
    """Write the session and say where it went."""
    record.write(out_dir)
    summary = record.summary()
    lean = summary["trunk_lean_deg"]
    lean_text = f"trunk lean median {lean['median']:+.1f}°" if lean else "no runner found"
    print(f"{summary['frames']} frames, {lean_text}, {len(summary['cues'])} cue(s)")
    for warning in summary.get("setup", []):
        print(f"set-up: {warning['text']}")
    print(f"session saved to {out_dir}")
    save_to_history(out_dir)
    return 0


def save_to_history(out_dir: Path) -> None:
    """Add the session to the history and write its report; a store problem only warns."""
    from realtime.history_cli import record_session

    try:
        print(f"report: {record_session(out_dir)}")
    except UserError as err:
        log.warning("the session is saved, but not added to the history: %s", err)


def quiet_native_logs() -> None:
    """Keep OpenCV's, FFmpeg's and MediaPipe's native chatter off the user's terminal.

    Set before cv2 and mediapipe are imported; a user's own settings win.
    """
    os.environ.setdefault("OPENCV_LOG_LEVEL", "FATAL")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ribsdown` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="ribsdown: %(levelname)s: %(message)s" if args.verbose else "ribsdown: %(message)s",
    )
    quiet_native_logs()
    try:
        return args.func(args)
    except UserError as err:
        print(f"ribsdown: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
