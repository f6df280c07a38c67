"""`python -m lab score DIR`: each rendered clip through `ribsdown analyze`, scored against its truth.

DIR holds one folder per clip (`clip.mp4`, `truth.json`, optionally `masks.npz`). The app's
outputs go to DIR/NAME/analysis (reused unless --rerun; its log beside it), with the history
and the user's rules kept inside DIR/NAME/xdg. `--replay` scores today's coach on the
landmarks an earlier analysis recorded (`analyze --landmarks`, into DIR/NAME/replay): the
model's output is the same, so a change to the coach is scored in minutes. `--model heavy`
(or lite) analyses with that pose model into DIR/NAME/analysis_heavy (replay_heavy). The
mask IoU pass runs MediaPipe here, after the analysis, one clip at a time. Prints one Markdown table and a summary; the maths is lab/compare.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from lab.compare import (
    TRUTH_FORMAT,
    AppFrames,
    AppOutputs,
    ClipScore,
    IoUStats,
    iou_stats,
    markdown_table,
    mask_iou,
    score_clip,
    score_record,
    summarise,
    summary_block,
    truth_activity,
)
from realtime.apps.cli import ANALYZE_MODEL
from realtime.core.errors import UserError
from realtime.models.pose_models import MODELS

if TYPE_CHECKING:  # mediapipe loads only for the mask IoU pass
    from mediapipe.python.solutions.pose import Pose as MediaPipePose

TRUTH_NAME = "truth.json"
MASKS_NAME = "masks.npz"
ANALYSIS_DIR = "analysis"
REPLAY_DIR = "replay"
LOG_NAME = "analyze.log"
REPLAY_LOG_NAME = "replay.log"
IOU_NAME = "mask_iou.json"
#: The pose model `ribsdown analyze` uses unless --model says otherwise (its folders keep the
#: plain names; another model's get the model's name: analysis_heavy, replay_heavy, ...).
DEFAULT_MODEL = ANALYZE_MODEL


def model_folder(name: str, model: str) -> str:
    """`name` for the default model, `name_model` for another (before a suffix: analyze_heavy.log)."""
    if model == DEFAULT_MODEL:
        return name
    stem, dot, suffix = name.partition(".")
    return f"{stem}_{model}{dot}{suffix}"

# --------------------------------------------------------------------------- inputs


def find_clips(root: Path, only: Sequence[str] | None = None) -> list[Path]:
    """The clip folders of `root` (those holding a truth.json), by name; `only` picks some."""
    if not root.is_dir():
        raise UserError(f"{root} is not a folder — give the folder of rendered clips (one sub-folder per clip)")
    folders = sorted(p.parent for p in root.glob(f"*/{TRUTH_NAME}"))
    if not folders:
        raise UserError(f"no clips in {root}: no sub-folder holds a {TRUTH_NAME} — render some with `python -m lab`")
    if only:
        missing = sorted(set(only) - {f.name for f in folders})
        if missing:
            raise UserError(f"--only: no clip named {', '.join(missing)} in {root}")
        folders = [f for f in folders if f.name in only]
    return folders


def load_truth(folder: Path) -> dict:
    """The clip's truth.json, checked for its format and the blocks the scorer reads."""
    path = folder / TRUTH_NAME
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"cannot read {path}: {err}") from err
    if not isinstance(truth, dict) or truth.get("format") != TRUTH_FORMAT:
        found = truth.get("format") if isinstance(truth, dict) else type(truth).__name__
        raise UserError(f"{path} is not a lab truth file: format {found!r}, expected {TRUTH_FORMAT!r}")
    missing = [key for key in ("video", "runner") if not isinstance(truth.get(key), dict)]
    if missing:
        raise UserError(f"{path} lacks its {' and '.join(missing)} block")
    extra = analyze_args(truth)
    if not isinstance(extra, list) or not all(isinstance(a, str) for a in extra):
        raise UserError(f"{path}: spec.analyze_args must be a list of strings, got {extra!r}")
    video = video_path(folder, truth)
    if not video.is_file():
        raise UserError(f"{video} is missing — the clip's video named in {path}")
    return truth


def analyze_args(truth: dict) -> list[str]:
    """The spec's extra `ribsdown analyze` options (none when it names none)."""
    spec = truth.get("spec")
    return (spec.get("analyze_args") if isinstance(spec, dict) else None) or []


def video_path(folder: Path, truth: dict) -> Path:
    """The clip's video, as its truth names it."""
    return folder / truth["video"].get("file", "clip.mp4")


def read_frames_csv(path: Path) -> AppFrames:
    """frames.csv (realtime/record/session.py FRAME_COLUMNS) as columns."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return AppFrames(
        index=np.array([int(r["frame_index"]) for r in rows], dtype=int),
        pose=np.array([r["pose"] == "1" for r in rows], dtype=bool),
        trunk_lean_deg=np.array([float(r["trunk_lean_deg"] or "nan") for r in rows], dtype=float),
        activity=np.array([r["activity"] for r in rows], dtype=str),
    )


def parse_cell(text: str) -> float | str | bool | None:
    """One strides.csv cell: empty → None, True/False → bool, a number → float, else the text."""
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    try:
        return float(text)
    except ValueError:
        return text


def read_strides_csv(path: Path) -> tuple[dict, ...]:
    """strides.csv (realtime/analysis/stride_metrics.py StrideMetrics) as typed rows."""
    with path.open(newline="", encoding="utf-8") as fh:
        return tuple({k: parse_cell(v) for k, v in row.items()} for row in csv.DictReader(fh))


def read_app_outputs(analysis: Path) -> AppOutputs:
    """summary.json, frames.csv and strides.csv of one finished analysis."""
    summary = json.loads((analysis / "summary.json").read_text(encoding="utf-8"))
    return AppOutputs(summary, read_frames_csv(analysis / "frames.csv"), read_strides_csv(analysis / "strides.csv"))


# --------------------------------------------------------------------------- ribsdown analyze


def needs_analysis(analysis: Path, rerun: bool) -> bool:
    """True when analyze must run; then a previous (or unfinished) analysis folder is removed."""
    if (analysis / "summary.json").is_file() and not rerun:
        return False
    if analysis.exists():
        shutil.rmtree(analysis)  # ours: ribsdown refuses an --out that holds a session
    return True


def analyze_command(video: Path, out: Path, extra: Sequence[str], jobs: int | None) -> list[str]:
    """The `ribsdown analyze` command line of this environment's Python."""
    jobs_args = ["--jobs", str(jobs)] if jobs is not None else []
    return [sys.executable, "-m", "realtime.apps.cli", "analyze", str(video), "--out", str(out), *extra, *jobs_args]


def replay_command(landmarks: Path, out: Path, extra: Sequence[str]) -> list[str]:
    """`ribsdown analyze --landmarks`: the model's recorded landmarks through today's coach."""
    return [sys.executable, "-m", "realtime.apps.cli", "analyze", "--landmarks", str(landmarks), "--out", str(out),
            *extra]


def analyze_env(folder: Path) -> dict[str, str]:
    """The environment of the analysis: data and config folders inside the clip's folder."""
    homes = {"XDG_DATA_HOME": folder / "xdg" / "data", "XDG_CONFIG_HOME": folder / "xdg" / "config"}
    for path in homes.values():
        path.mkdir(parents=True, exist_ok=True)
    no_screen = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    return {**os.environ, **no_screen, **{k: str(v) for k, v in homes.items()}}


def run_analyze(folder: Path, truth: dict, jobs: int | None, replay: bool = False,
                model: str = DEFAULT_MODEL) -> str | None:
    """`ribsdown analyze` of the clip into folder/analysis (or, replaying, of its landmarks
    into folder/replay; `model_folder` names them for another model), its output in the
    log; None when it succeeded, else what went wrong."""
    analysis = folder / model_folder(ANALYSIS_DIR, model)
    if replay:
        command = replay_command(analysis / "landmarks.npz", folder / model_folder(REPLAY_DIR, model), analyze_args(truth))
    else:
        model_args = [] if model == DEFAULT_MODEL else ["--model", model]
        command = analyze_command(video_path(folder, truth), analysis, [*analyze_args(truth), *model_args], jobs)
    log = folder / model_folder(REPLAY_LOG_NAME if replay else LOG_NAME, model)
    with log.open("w", encoding="utf-8") as fh:
        done = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, env=analyze_env(folder), check=False)
    if done.returncode == 0:
        return None
    said = [line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("ribsdown")]
    reason = said[-1].split(": ", 1)[-1] if said else f"see {log}"
    return f"ribsdown analyze exited with {done.returncode}: {reason}"


# --------------------------------------------------------------------------- mask IoU


def unpack_mask(packed_row: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """One masks.npz row (`np.packbits` of an H×W bool mask) → `(H, W)` bool."""
    return np.unpackbits(packed_row, count=shape[0] * shape[1]).reshape(shape).astype(bool)


def predicted_mask(result: object, shape: tuple[int, int]) -> np.ndarray:
    """MediaPipe's segmentation mask > 0.5 as `(H, W)` bool (all False when it found nobody)."""
    import cv2

    mask = getattr(result, "segmentation_mask", None)
    if mask is None:
        return np.zeros(shape, bool)
    if mask.shape[:2] != shape:
        mask = cv2.resize(mask, shape[::-1], interpolation=cv2.INTER_LINEAR)
    return mask > 0.5


def load_masks(path: Path) -> tuple[dict[int, int], np.ndarray, tuple[int, int]]:
    """masks.npz: (frame index → row, the packed rows, (H, W))."""
    try:
        with np.load(path) as data:
            index, packed, shape = data["index"], data["packed"], tuple(int(v) for v in data["shape"])
    except (OSError, ValueError, KeyError) as err:
        raise UserError(f"cannot read {path} (index, packed, shape): {err}") from err
    return {int(i): row for row, i in enumerate(index)}, packed, shape


def video_frames(video: Path, count: int) -> Iterator[np.ndarray]:
    """The first `count` frames of the video (BGR, in order; fewer when it ends sooner)."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise UserError(f"cannot open {video} for the mask IoU pass")
    try:
        for _ in range(count):
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def segmentation_model(model: str = DEFAULT_MODEL) -> MediaPipePose:
    """MediaPipe Pose (the pose model `model`) with realtime/models/estimator.py's settings, in
    video (tracking) mode, mask on."""
    import mediapipe as mp

    from realtime.models.estimator import EstimatorConfig
    from realtime.models.pose_models import complexity

    cfg = EstimatorConfig(model_complexity=complexity(model))
    return mp.solutions.pose.Pose(
        static_image_mode=False, model_complexity=cfg.model_complexity, smooth_landmarks=True,
        enable_segmentation=True, smooth_segmentation=cfg.smooth_segmentation,
        min_detection_confidence=cfg.min_detection_confidence, min_tracking_confidence=cfg.min_tracking_confidence,
    )


def segmentation_ious(video: Path, masks: Path, model: str = DEFAULT_MODEL) -> list[float]:
    """IoU of MediaPipe's mask (the pose model `model`) with the true one on each frame masks.npz
    lists. The model sees every frame in order up to the last one listed, since it tracks."""
    import cv2

    row_of, packed, shape = load_masks(masks)
    ious = []
    with segmentation_model(model) as pose:
        for i, frame in enumerate(video_frames(video, max(row_of, default=-1) + 1)):
            if frame.shape[:2] != shape:
                size = f"{frame.shape[1]}×{frame.shape[0]}"
                raise UserError(f"{masks}: the masks are {shape[1]}×{shape[0]}, the video {size}")
            result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if i in row_of:
                ious.append(mask_iou(predicted_mask(result, shape), unpack_mask(packed[row_of[i]], shape)))
    return ious


def clip_iou(folder: Path, truth: dict, rerun: bool, model: str = DEFAULT_MODEL) -> IoUStats | None:
    """The clip's mask IoU with the pose model `model` (None without masks.npz), kept in
    folder/mask_iou.json (`model_folder` names it for another model) for reuse."""
    masks, cache = folder / MASKS_NAME, folder / model_folder(IOU_NAME, model)
    if not masks.is_file():
        return None
    if cache.is_file() and not rerun:
        return IoUStats(**json.loads(cache.read_text(encoding="utf-8")))
    progress(f"{folder.name}: mask IoU (MediaPipe)")
    stats = iou_stats(segmentation_ious(video_path(folder, truth), masks, model))
    cache.write_text(json.dumps(asdict(stats)) + "\n", encoding="utf-8")
    return stats


# --------------------------------------------------------------------------- one clip


def score_folder(folder: Path, truth: dict, args: argparse.Namespace) -> ClipScore:
    """Analyse the clip (unless its analysis is reused), measure the masks, score it."""
    analysis = folder / model_folder(ANALYSIS_DIR, args.model)
    if needs_analysis(analysis, args.rerun):
        progress(f"{folder.name}: ribsdown analyze --model {args.model}")
        failed = run_analyze(folder, truth, args.jobs, model=args.model)
    elif args.replay:
        analysis = folder / model_folder(REPLAY_DIR, args.model)
        needs_analysis(analysis, rerun=True)
        failed = run_analyze(folder, truth, args.jobs, replay=True, model=args.model)
    else:
        failed = None
    if failed:
        progress(f"{folder.name}: {failed}")
        return ClipScore(folder.name, truth_activity(truth), not truth.get("faults"), error=failed)
    iou = clip_iou(folder, truth, args.rerun, args.model) if args.iou else None
    return score_clip(folder.name, truth, read_app_outputs(analysis), iou)


def progress(text: str) -> None:
    """One progress line on stderr."""
    print(f"lab score: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- command line


def jobs_count(text: str) -> int:
    """argparse type: a number of processes, 1 or more."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The options of `python -m lab score`."""
    parser = argparse.ArgumentParser(
        prog="python -m lab score",
        description="Run `ribsdown analyze` on each rendered clip of DIR and score it against its truth.",
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="the rendered clips, one sub-folder each")
    parser.add_argument("--jobs", type=jobs_count, metavar="N", help="passed to `ribsdown analyze --jobs`")
    parser.add_argument("--rerun", action="store_true", help="analyse again (and redo the mask IoU) even if done")
    parser.add_argument("--replay", action="store_true",
                        help="score today's coach on the landmarks an earlier analysis recorded (no model: seconds "
                        "a clip), into DIR/NAME/replay")
    parser.add_argument("--model", choices=tuple(MODELS), default=DEFAULT_MODEL,
                        help="the pose model of `ribsdown analyze` (default full); another model's outputs go to "
                        "DIR/NAME/analysis_MODEL and replay_MODEL")
    parser.add_argument("--only", type=lambda s: [n for n in s.split(",") if n], metavar="NAME[,NAME]",
                        help="score only these clips")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table and summary here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every per-clip figure here")
    parser.add_argument("--iou", action=argparse.BooleanOptionalAction, default=True,
                        help="mask IoU of MediaPipe's segmentation against masks.npz (default on)")
    return parser


def write_file(path: Path, text: str) -> None:
    """Write a report file; a path that cannot be written is the user's to fix."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror or err}") from err


def score_all(args: argparse.Namespace) -> int:
    """Score every chosen clip, print and write the report; 1 when an analysis failed."""
    folders = find_clips(args.dir, args.only)
    truths = [load_truth(folder) for folder in folders]  # every truth checked before any work
    scores = [score_folder(folder, truth, args) for folder, truth in zip(folders, truths)]
    summary = summarise(scores)
    report = markdown_table(scores) + "\n\n" + summary_block(summary) + "\n"
    print(report, end="")
    if args.markdown:
        write_file(args.markdown, report)
    if args.json:
        document = {"format": "ribsdown-lab-score/1", "clips": [score_record(s) for s in scores], "summary": summary}
        write_file(args.json, json.dumps(document, indent=2) + "\n")
    return 1 if summary["failed"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m lab score`; bad input: one line on stderr, exit status 2."""
    from realtime.apps.cli import quiet_native_logs

    args = build_parser().parse_args(argv)
    quiet_native_logs()
    try:
        return score_all(args)
    except UserError as err:
        print(f"lab score: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
