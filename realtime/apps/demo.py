"""`ribsdown demo`: the whole app driven by the built-in synthetic runner — no camera needed.

- `demo_spec(duration_s)`: good form from the start, an arch from 20 s that ends a few
  seconds after the coach's `ribs_down` line, then good form again (and the praise).
- `SyntheticSource`, `KnownPoseEstimator` (from `realtime.sources.demo_source`): the runner drawn
  on a treadmill as a live camera, and its known poses as the model.
- `add_parser(sub)` / `command_demo(args)`: the subcommand, assembled like `run`.

Importing this module stays light (no cv2, pygame, numpy): the CLI imports it to build
its parser before OpenCV's log level is set.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realtime.sources.demo_source import KnownPoseEstimator, SyntheticSource
    from realtime.sources.synthetic import RunnerSpec

__all__ = ["KnownPoseEstimator", "SyntheticSource", "add_parser", "command_demo", "demo_spec"]

#: Length of a demo without `--duration`, seconds.
DEFAULT_DURATION_S = 60.0
#: The demo's arching episode: starts, and ends, at these times (s).
ARCH_START_S, ARCH_END_S = 20.0, 26.0
#: Calibration of the demo: short enough to be ready before the arch starts.
DEMO_CALIBRATION_S = 15.0


def __getattr__(name: str) -> Any:
    """`SyntheticSource` and `KnownPoseEstimator`, imported (with cv2) on first use."""
    if name in ("SyntheticSource", "KnownPoseEstimator"):
        from realtime.sources import demo_source

        return getattr(demo_source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def demo_spec(duration_s: float = DEFAULT_DURATION_S) -> RunnerSpec:
    """The demo runner: 170 steps/min facing right, +5° lean, arching back to −5° from 20 s to 26 s.

    The coach says `ribs_down` about two near-leg strides into the arch (≈ 22–23 s) and
    the praise six good strides after the recovery (≈ 31 s).
    """
    from realtime.sources.synthetic import RunnerSpec

    return RunnerSpec.running(
        duration_s=duration_s,
        facing="right",
        fps=30.0,
        image_size=(1280, 720),
        body_height_px=470.0,
        deck_y_frac=0.84,
        trunk_lean_deg=5.0,
        arch_start_s=ARCH_START_S,
        arch_end_s=ARCH_END_S,
        arch_ramp_s=1.0,
        arch_delta_deg=-10.0,
        noise_px=1.5,
        seed=7,
    )


# --- the subcommand ------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `ribsdown demo`."""
    from realtime.apps.arguments import positive_float, unit_float

    demo = sub.add_parser("demo", help="see the app coach a built-in synthetic runner — no camera needed")
    demo.add_argument("--headless", action="store_true", help="no window (SDL dummy video driver)")
    demo.add_argument(
        "--duration", type=positive_float, default=DEFAULT_DURATION_S, metavar="SECONDS",
        help=f"how long the demo runs (default {DEFAULT_DURATION_S:g}); the arch starts at {ARCH_START_S:g} s",
    )
    demo.add_argument("--mute", action="store_true", help="no voice (the banner still shows)")
    demo.add_argument("--volume", type=unit_float, default=1.0, help="voice volume 0..1 (default 1)")
    demo.add_argument(
        "--feedback", choices=("full", "faded", "summary-only"), default="faded",
        help="how often the coach speaks (as in `run`)",
    )
    demo.add_argument("--out", type=Path, metavar="DIR", help="folder for summary.json and frames.csv")
    demo.add_argument(
        "--screenshot-every", type=positive_float, metavar="SECONDS", help="save the screen as PNG into DIR/screens"
    )
    demo.set_defaults(func=command_demo)


def command_demo(args: argparse.Namespace) -> int:
    """The live app, with the synthetic runner as the camera and its known poses as the model.

    Also what `ribsdown run` falls back to when there is no camera; `args` may then be
    `run`'s (its `--duration` may be None).
    """
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach, finish, resolve_out_dir, run_live
    from realtime.outputs.screen import use_headless_video
    from realtime.pipeline.loop import Pipeline
    from realtime.sources.demo_source import SyntheticSource

    if args.headless:
        use_headless_video()
    duration = args.duration if args.duration is not None else DEFAULT_DURATION_S
    out_dir = resolve_out_dir(args.out)
    with SyntheticSource(demo_spec(duration)) as source:
        # The demo camera is level by construction: its roll is known, not estimated.
        coach = build_coach(load_rules(), source.size, args, calibration_s=DEMO_CALIBRATION_S, camera_roll_deg=0.0,
                            model_landmarks=False)
        pipeline = Pipeline(source.estimator(), coach)
        record = run_live(source, pipeline, args, out_dir, title="ribsdown demo — synthetic runner")
    return finish(record, out_dir)
