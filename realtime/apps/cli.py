"""`ribsdown` on the command line: `run` (live) and `analyze` (a recorded video), each with
`--model lite|full|heavy`; `models list|install` for the pose models."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn, Sequence

from realtime.apps.arguments import positive_float, roll_setting, unit_float
from realtime.apps.assemble import (
    build_coach,
    build_pipeline,
    estimator_config,
    finish,
    new_record,
    resolve_out_dir,
    rules_override,
    run_live,
)
from realtime.apps.examples import add_examples
from realtime.core import native_stderr
from realtime.core.errors import UserError
from realtime.models.pose_models import MODELS

#: The pose model `run` uses when `--model` is not given.
RUN_MODEL = "full"
#: The pose model `analyze` uses when `--model` is not given.
ANALYZE_MODEL = "full"

if TYPE_CHECKING:  # the heavy modules (cv2, mediapipe) load after the log settings
    from cues.rules import RuleSet


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (what was wrong, where to read more), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} — see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = OneLineParser(prog="ribsdown", description="Real-time running-form coach.")
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
    add_analysis_options(run, RUN_MODEL)
    run.add_argument(
        "--pace", choices=("auto", "off"), default="auto",
        help="a live camera: when the model cannot keep up, step down (to each lighter model, then "
        "the lite one on every other frame; the back outline stays on) and back up when it can "
        "(auto, default); off: always the chosen model on every frame it can take",
    )
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
    add_analysis_options(analyze, ANALYZE_MODEL)
    analyze.add_argument(
        "--mine", action="store_true",
        help="the video is of you: the session joins your trend in `history` and the report's "
        "'Across your sessions' (a video is otherwise kept apart as someone else's)",
    )
    analyze.add_argument("--out", type=Path, metavar="DIR", help="folder for summary.json and frames.csv")
    analyze.add_argument(
        "--jobs", type=int, metavar="N",
        help="processes running the model (default: one per core; a short video uses one); "
        "the results are the same for any N",
    )
    analyze.set_defaults(func=command_analyze)

    from realtime.apps import demo, history_cli, models_cli
    from realtime.sources import cameras  # demo and cameras are light: cv2 loads only when a command runs

    demo.add_parser(sub)
    cameras.add_parser(sub)
    history_cli.add_parsers(sub)
    models_cli.add_parser(sub)
    add_examples(parser)
    return parser


def add_analysis_options(parser: argparse.ArgumentParser, default_model: str) -> None:
    """Options shared by `run` and `analyze` (`default_model`: the command's `--model` default)."""
    parser.add_argument(
        "--model", choices=tuple(MODELS), default=default_model,
        help="the pose model: " + "; ".join(f"{name} ({m.size / 1e6:.1f} MB, {m.about})" for name, m in MODELS.items())
        + f" (default {default_model}); `ribsdown models list` shows which are installed",
    )
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
        help="also save the annotated video as session.mkv in the session folder (off by default)",
    )
    parser.add_argument(
        "--camera-roll", type=roll_setting, default=None, metavar="auto|DEGREES",
        help="camera tilt: 'auto' measures it from the room's vertical lines (default); "
        "a number sets it, e.g. 0 for a camera levelled with a spirit level",
    )


def command_run(args: argparse.Namespace) -> int:
    """The live app: source → model → analysis → voice and screen."""
    from cues.rules import load_rules
    from realtime.core.errors import SourceError
    from realtime.outputs.screen import use_headless_video
    from realtime.sources.capture import open_source

    if args.headless:
        use_headless_video()
    camera_by_default = args.source is None
    if camera_by_default:
        args.source = "0"
    if args.kiosk:
        from realtime.apps.kiosk import command_kiosk

        return command_kiosk(args)
    rules = load_rules(rules_override(args.rules))
    try:
        source = open_source(args.source, realtime=args.realtime)
    except SourceError:
        if not camera_by_default:  # the user named this source: theirs to fix (exit 2)
            raise
        return demo_instead(args)
    with source:
        out_dir = resolve_out_dir(args.out)  # claimed once the inputs are known to be good
        record = run_live(source, build_pipeline(rules, source, args), args, out_dir)
    return finish(record, out_dir)


def demo_instead(args: argparse.Namespace) -> int:
    """`run` with no --source and no camera: say so in one line, then show the demo."""
    from realtime.apps.demo import command_demo

    print(
        "ribsdown: no camera found — starting `ribsdown demo` instead (a synthetic runner, not you); "
        "to coach yourself connect a camera, or use a phone as the camera: `ribsdown run --source URL` "
        "(README, 'Using a phone as the camera')",
        file=sys.stderr,
    )
    return command_demo(args)


def command_analyze(args: argparse.Namespace) -> int:
    """A recorded video through the same pipeline, no window, no voice."""
    from cues.rules import load_rules
    from realtime.apps.progress import ProgressLine
    from realtime.sources.capture import FileSource

    if (args.video is None) == (args.landmarks is None):
        raise UserError("give either a VIDEO or --landmarks FILE to analyse — see `ribsdown analyze --help`")
    rules = load_rules(rules_override(args.rules))
    if args.landmarks is not None:
        return replay_landmarks(args, rules)
    if args.record:
        from realtime.outputs.screen import use_headless_video

        use_headless_video()
        args.headless, args.mute = True, True
    if args.jobs is not None and args.jobs < 1:
        raise UserError(f"--jobs must be 1 or more, got {args.jobs}")
    with FileSource(args.video) as source:
        out_dir = resolve_out_dir(args.out)  # claimed once the inputs are known to be good
        if args.record:
            return finish(run_live(source, build_pipeline(rules, source, args), args, out_dir), out_dir)
        from realtime.pipeline.parallel import analyze_video, default_jobs

        config = estimator_config(args)
        record = new_record(source, args.model, args.mine)
        with ProgressLine(source.frame_count) as bar, terminate_as_interrupt():
            analyze_video(source, build_coach(rules, source.size, args), record, args.jobs or default_jobs(), bar.update,
                          estimator_config=config)
    return finish(record, out_dir)


def replay_landmarks(args: argparse.Namespace, rules: RuleSet) -> int:
    """`analyze --landmarks FILE`: a recorded stream through today's metrics and cues."""
    from realtime.pipeline.loop import replay_session
    from realtime.record.landmarks import load_landmarks
    from realtime.record.session import SessionRecord

    stream = load_landmarks(args.landmarks)
    out_dir = resolve_out_dir(args.out)
    record = SessionRecord(source=f"{stream.source} (replayed from {args.landmarks})", fps=stream.fps,
                           kind="replay", mine=args.mine)
    replay_session(stream, build_coach(rules, stream.image_size, args), record)
    return finish(record, out_dir)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside, SIGTERM (a `kill`, a shutdown, a service manager) stops the work as Ctrl-C does:
    what was analysed is kept and saved, and the worker processes are ended."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    if not args.verbose:
        logging.getLogger("matplotlib").setLevel(logging.WARNING)  # "generated new fontManager" on a first run
    if args.verbose:
        os.environ[native_stderr.SHOW_ENV] = "show"  # MediaPipe's chatter too (workers inherit it)
    try:
        return args.func(args)
    except UserError as err:
        print(f"ribsdown: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C, while the session was being written
        print("ribsdown: stopped (Ctrl-C) — what was already written is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
