"""`analyze` on every core: the model runs in worker processes over parts of the video,
and ONE coach follows the stitched landmark stream as it comes in.

MediaPipe in video mode tracks: each frame's landmarks depend on everything the model saw
before, and that dependence never fades — a model started even one frame later gives
landmarks a median 2 px (feet up to 100 px) away from the first one's, 9 s later, and a
warm-up overlap of 2 s or 6 s does not bring them back together (bench/tracking_divergence.py,
README "Speed"). So a part of the video analysed by a model of its own can only agree with
one long pass if the long pass restarts its model at the same frames.

`analyze` therefore restarts the model's tracking every `BLOCK_S` seconds of video (a
restart costs about one detection, 50–100 ms), with any number of jobs, `--jobs 1`
included. A worker process (one model, `spawn`ed) takes a contiguous run of whole blocks,
seeks to its first frame and starts a fresh model there: exactly what the one-process pass
has at that frame. Each worker sends back, for its frames, what `landmarks.npz` keeps: the
raw pose, the model time, and what the image showed of the scene — brightness and a
camera-roll sample, measured on the frames a sequential `FrameAnalyzer.observe` samples
(the schedule depends only on the frame times, so every worker can follow it from frame 0).

The parent stitches the frames in order into one `LandmarkStream`, feeding the roll samples
to the analyzer's own `RollTracker` (same sampling times, same lock after ten confident
samples; the workers are told where it locked and stop measuring), and the whole stream goes
through ONE coach (`replay_session`, about 0.6 ms a frame). The result of `analyze` is then
the same, to the bit, whatever the number of jobs or cores.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from realtime.analysis.camera_roll import RollEstimate, RollTracker
from realtime.analysis.frame import AnalyzerConfig, FrameAnalyzer, Scene, brightness_due
from realtime.record.landmarks import LandmarkStream, LoggedFrame, pose_from_row

if TYPE_CHECKING:
    from realtime.models.estimator import EstimatorConfig

log = logging.getLogger(__name__)

#: The model's tracking restarts every this many seconds of video (the blocks workers share out).
BLOCK_S = 3.0
#: Below this many seconds of video per worker a parallel run does not pay (a worker's start-up,
#: its model's first frames, the seek to its first frame): `analyze` stays in one process.
MIN_SEGMENT_S = 6.0
#: Frames a worker sends at a time (the progress bar moves in such steps).
CHUNK_FRAMES = 30
#: How often the parent checks that its workers are still alive (seconds).
POLL_S = 0.5


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Segment:
    """One worker's frames, `start..stop-1` (`stop` None: to the end of the file)."""

    index: int
    start: int
    stop: int | None


def block_frames(fps: float, block_s: float = BLOCK_S) -> int:
    """Frames between two restarts of the model's tracking."""
    return max(1, round(block_s * fps))


def plan_segments(n_frames: int | None, jobs: int, block: int) -> list[Segment]:
    """Split `n_frames` into at most `jobs` contiguous runs of whole blocks of about equal length.

    The last run reads to the end of the file (a declared frame count may be a little off).
    """
    if not n_frames or jobs <= 1:
        return [Segment(0, 0, None)]
    n_blocks = math.ceil(n_frames / block)
    cuts = sorted({round(n_blocks * k / jobs) * block for k in range(jobs)} | {n_frames})
    cuts = [c for c in cuts if c <= n_frames]
    segments = [Segment(k, a, b) for k, (a, b) in enumerate(itertools.pairwise(cuts)) if b > a]
    last = segments[-1]
    segments[-1] = Segment(last.index, last.start, None)
    return segments


class SceneSampling:
    """Which frames a sequential `FrameAnalyzer.observe` samples, frame after frame from the first.

    `step(t)` -> (brightness sampled, roll may be sampled). Brightness: exactly (its rule
    depends on the frame times only). Roll: every frame the tracker would sample if it never
    locked — a superset; the parent's tracker uses what it needs. Never, when the roll is given.
    """

    def __init__(self, roll_interval_s: float, camera_roll_deg: float | None) -> None:
        self._roll = None if camera_roll_deg is not None else RollTracker(interval_s=roll_interval_s, lock_after=None)
        self._last_brightness_t: float | None = None

    def step(self, t: float) -> tuple[bool, bool]:
        """The next frame, at `t`: is it sampled for the brightness, for the roll?"""
        bright = brightness_due(self._last_brightness_t, t)
        if bright:
            self._last_brightness_t = t
        roll = self._roll is not None and self._roll.due(t)
        if roll:
            self._roll.add(t, _PLACEHOLDER)
        return bright, roll


_PLACEHOLDER = RollEstimate.empty()


@dataclass(frozen=True)
class SegmentJob:
    """Everything a worker needs (pickled into the spawned process)."""

    path: str
    fps: float
    image_size: tuple[int, int]
    segment: Segment
    block: int  # frames between restarts of the model's tracking
    roll_interval_s: float
    camera_roll_deg: float | None
    estimator_config: EstimatorConfig | None = None


@dataclass
class Chunk:
    """Consecutive frames of one segment, as arrays (cheap to pickle)."""

    segment: int
    first: int  # frame index of row 0
    has_pose: np.ndarray  # (n,) bool
    xy: np.ndarray  # (n, 33, 2) px
    visibility: np.ndarray  # (n, 33)
    pose_ms: np.ndarray  # (n,)
    outline: np.ndarray  # (n, PACKED_SIZE) float32 packed trunk outlines, NaN rows where none
    brightness: dict[int, float]  # frame index -> mean luma, for the sampled frames
    roll: dict[int, tuple[float, float, int]]  # frame index -> roll sample (deg, confidence, lines)


def open_at(path: str, start: int, fps: float):
    """A `cv2.VideoCapture` whose next `read()` gives frame `start`.

    Seeks, then checks the frame's time stamp; when the seek did not land exactly (a
    variable frame rate, an odd file) it decodes from the start and skips instead.
    Returns (capture, first image or None at the end of the file).
    """
    import cv2

    from realtime.sources.capture import open_video_file

    cap = open_video_file(path)
    if start == 0:
        ok, image = cap.read()
        return cap, image if ok else None
    ok, _ = cap.read()
    t0_ms = cap.get(cv2.CAP_PROP_POS_MSEC) if ok else 0.0
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    ok, image = cap.read()
    if ok and abs(cap.get(cv2.CAP_PROP_POS_MSEC) - t0_ms - start * 1000.0 / fps) < 500.0 / fps:
        return cap, image
    log.debug("%s: seeking to frame %d was not exact; decoding from the start", path, start)
    cap.release()
    cap = open_video_file(path)
    for _ in range(start):
        if not cap.grab():
            return cap, None
    ok, image = cap.read()
    return cap, image if ok else None


class _Prefetch:
    """Decodes ahead on a thread (at most `depth` frames), so decoding overlaps the model."""

    def __init__(self, cap, first, depth: int = 4) -> None:
        self._cap = cap
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        if first is not None:
            self._queue.put(first)
            self._thread: threading.Thread | None = threading.Thread(target=self._run, name="ribsdown-decode",
                                                                     daemon=True)
            self._thread.start()
        else:
            self._queue.put(None)
            self._thread = None

    def _run(self) -> None:
        image = None
        try:
            while not self._stop.is_set():
                ok, image = self._cap.read()
                image = image if ok else None
                self._put(image)
                if image is None:
                    return
        except Exception:  # a decoder error ends the video here, as in the one-process loop
            log.exception("decoding failed")
            self._put(None)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def next(self):
        """The next image, or None at the end of the file."""
        return self._queue.get()

    def close(self) -> None:
        """Stop the thread and release the file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._cap.release()


def run_segment(job: SegmentJob, send: Callable[[Chunk], None], locked_at=None) -> None:
    """Run the model over one segment, sending its frames in chunks of `CHUNK_FRAMES`.

    The model's tracking restarts at every block boundary (`job.block`). `locked_at`: a
    shared integer, the frame where the parent's roll tracker locked (-1: not yet); roll
    samples after it are not measured.
    """
    from realtime.analysis.camera_roll import estimate_roll
    from realtime.analysis.frame import person_box
    from realtime.analysis.rib_cage import PACKED_SIZE
    from realtime.analysis.setup_check import image_brightness
    from realtime.core.pose import N_LANDMARKS
    from realtime.models.estimator import PoseEstimator

    seg = job.segment
    sampling = SceneSampling(job.roll_interval_s, job.camera_roll_deg)
    for i in range(seg.start):
        sampling.step(i / job.fps)
    frames = _Prefetch(*open_at(job.path, seg.start, job.fps))
    estimator = PoseEstimator(job.estimator_config)
    rows: list[tuple] = []
    bright: dict[int, float] = {}
    roll: dict[int, tuple[float, float, int]] = {}
    first = seg.start
    no_xy, no_vis = np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS)
    no_outline = np.full(PACKED_SIZE, np.nan, dtype=np.float32)

    def flush() -> None:
        nonlocal rows, bright, roll, first
        if rows:
            has, xy, vis, ms, outline = zip(*rows)
            send(Chunk(seg.index, first, np.array(has, dtype=bool), np.stack(xy), np.stack(vis),
                       np.array(ms, dtype=float), np.stack(outline).astype(np.float32), bright, roll))
            first += len(rows)
        rows, bright, roll = [], {}, {}

    try:
        i = seg.start
        while (seg.stop is None or i < seg.stop) and (image := frames.next()) is not None:
            if i > seg.start and i % job.block == 0:
                estimator.reset()
            t = i / job.fps
            raw = estimator.estimate(image, t)
            sample_brightness, sample_roll = sampling.step(t)
            if sample_brightness:
                bright[i] = image_brightness(image)
            if sample_roll and (locked_at is None or not 0 <= locked_at.value < i):
                sample = estimate_roll(image, person_box(raw, job.image_size) if raw is not None else None)
                roll[i] = (sample.roll_deg, sample.confidence, sample.n_lines)
            if raw is None:
                rows.append((False, no_xy, no_vis, estimator.last_ms, no_outline))
            else:
                outline = no_outline if raw.outline is None else raw.outline
                rows.append((True, raw.xy, raw.visibility, estimator.last_ms, outline))
            if len(rows) >= CHUNK_FRAMES:
                flush()
            i += 1
        flush()
    finally:
        frames.close()
        estimator.close()


def _worker_main(job: SegmentJob, out, locked_at) -> None:
    """The worker process: run one segment, report chunks, then "done" (or the error)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        run_segment(job, lambda chunk: out.put(("chunk", job.segment.index, chunk)), locked_at)
        out.put(("done", job.segment.index, None))
    except BaseException:  # noqa: BLE001 — reported to the parent, which raises it
        out.put(("error", job.segment.index, traceback.format_exc()))


class WorkerError(RuntimeError):
    """A worker process failed; the message carries its traceback."""


class Stitcher:
    """Puts the workers' chunks back in frame order and rebuilds each frame's scene.

    The scene is what a sequential `FrameAnalyzer.observe` would have returned: the latest
    brightness sample, and the roll tracker's estimate after feeding it the roll samples at
    the times it would itself have sampled.
    """

    def __init__(self, fps: float, tracker: RollTracker, camera_roll_deg: float | None, locked_at=None,
                 on_frame: Callable[[LoggedFrame], None] | None = None) -> None:
        self.fps = fps
        self.on_frame = on_frame  # told each frame as it is stitched, in order
        self.tracker = tracker
        self.fixed_roll = None if camera_roll_deg is None else RollEstimate(camera_roll_deg, 1.0, 0)
        self.locked_at = locked_at
        self.frames: list[LoggedFrame] = []
        self._pending: dict[int, Chunk] = {}  # by first frame index
        self._brightness: float | None = None

    @property
    def next_index(self) -> int:
        """The next frame the stream needs."""
        return len(self.frames)

    def add(self, chunk: Chunk) -> None:
        """Take a chunk; stitch every frame that is now in order."""
        self._pending[chunk.first] = chunk
        while (ready := self._pending.pop(self.next_index, None)) is not None:
            self._stitch(ready)

    def _stitch(self, c: Chunk) -> None:
        for k in range(len(c.has_pose)):
            i = c.first + k
            t = i / self.fps
            if i in c.brightness:
                self._brightness = c.brightness[i]
            roll = self.fixed_roll if self.fixed_roll is not None else self._roll(i, t, c.roll)
            pose = pose_from_row(c.has_pose[k], c.xy[k], c.visibility[k], t, c.outline[k])
            frame = LoggedFrame(t, i, pose, Scene(roll, self._brightness), float(c.pose_ms[k]))
            self.frames.append(frame)
            if self.on_frame is not None:
                self.on_frame(frame)

    def _roll(self, i: int, t: float, samples: dict[int, tuple[float, float, int]]) -> RollEstimate | None:
        tracker = self.tracker
        if tracker.due(t):
            if i not in samples:
                raise WorkerError(f"frame {i} should have been sampled for the camera roll, and was not")
            deg, conf, lines = samples[i]
            tracker.add(t, RollEstimate(deg, conf, lines))
            if tracker.locked and self.locked_at is not None:
                self.locked_at.value = i
        return tracker.estimate

    def leftover(self) -> int:
        """Frames received but not stitched (a gap before them)."""
        return sum(len(c.has_pose) for c in self._pending.values())


def workers_for(n_frames: int | None, fps: float, jobs: int) -> int:
    """How many worker processes pay for this video: none (one process) for a short one."""
    if jobs <= 1 or not n_frames or fps <= 0:
        return 0
    workers = min(jobs, int(n_frames / fps // MIN_SEGMENT_S))
    return workers if workers >= 2 else 0


def analyze_landmarks(
    path: str | Path,
    jobs: int,
    *,
    fps: float,
    image_size: tuple[int, int],
    n_frames: int | None,
    config: AnalyzerConfig | None = None,
    block_s: float = BLOCK_S,
    estimator_config: EstimatorConfig | None = None,
    source_name: str | None = None,
    on_frames: Callable[[int], None] | None = None,
    on_frame: Callable[[LoggedFrame], None] | None = None,
) -> LandmarkStream:
    """The landmark stream of a video file: the model's pass, on `jobs` processes.

    `fps`, `image_size` and `n_frames` (the declared frame count, None if unknown) are the
    file's, as `FileSource` reads them; `config` the analysis settings (the camera roll).
    A short video (`workers_for`) is done in this process, by the same code. `on_frames(n)`
    is told as frames arrive. Ctrl-C stops the model and returns the frames done in order.
    """
    config = config or AnalyzerConfig()
    tracker = FrameAnalyzer(image_size, config).roll  # the tracker a one-process analysis uses
    block = block_frames(fps, block_s)
    workers = workers_for(n_frames, fps, jobs)
    segments = plan_segments(n_frames, workers, block)

    def job(seg: Segment) -> SegmentJob:
        return SegmentJob(str(path), fps, image_size, seg, block, tracker.interval_s, config.camera_roll_deg,
                          estimator_config)

    stitcher = Stitcher(fps, tracker, config.camera_roll_deg, on_frame=on_frame)
    try:
        if len(segments) == 1:
            stitcher.locked_at = SimpleNamespace(value=-1)

            def take(chunk: Chunk) -> None:
                stitcher.add(chunk)
                if on_frames is not None:
                    on_frames(len(chunk.has_pose))

            run_segment(job(segments[0]), take, stitcher.locked_at)
        else:
            _run_workers([job(seg) for seg in segments], stitcher, on_frames)
    except KeyboardInterrupt:
        log.warning("stopped (Ctrl-C); keeping the %d frames analysed in order so far", stitcher.next_index)
    else:
        if stitcher.leftover():
            log.warning("%s: frames after %d were analysed but a gap before them was not; analysed up to there",
                        path, stitcher.next_index)
        _warn_if_short(path, stitcher.next_index, n_frames)
    return LandmarkStream(image_size, fps, source_name or str(path), tuple(stitcher.frames))


def _run_workers(jobs: list[SegmentJob], stitcher: Stitcher, on_frames: Callable[[int], None] | None) -> None:
    """One spawned process per job; their chunks go to the stitcher as they come."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    locked_at = ctx.Value("q", -1, lock=False)
    stitcher.locked_at = locked_at
    out = ctx.Queue()
    procs = {}
    try:
        for job in jobs:
            proc = ctx.Process(target=_worker_main, args=(job, out, locked_at),
                               name=f"ribsdown-analyze-{job.segment.index}", daemon=True)
            proc.start()
            procs[job.segment.index] = proc
        _collect(procs, out, stitcher, on_frames)
    finally:
        for proc in procs.values():
            if proc.is_alive():
                proc.terminate()
        for proc in procs.values():
            proc.join(5.0)


def _collect(procs: dict, out, stitcher: Stitcher, on_frames: Callable[[int], None] | None) -> None:
    """Receive the workers' messages until every one is done; a failed worker raises.

    `procs`: segment index -> its process.
    """
    done: set[int] = set()
    while len(done) < len(procs):
        try:
            kind, index, payload = out.get(timeout=POLL_S)
        except queue.Empty:
            dead = [i for i, p in procs.items() if i not in done and not p.is_alive()]
            if not dead:
                continue
            try:  # its last message may still be in the pipe: look once more before calling it a crash
                kind, index, payload = out.get(timeout=POLL_S)
            except queue.Empty:
                raise WorkerError(f"analysis worker {dead[0]} died (exit code {procs[dead[0]].exitcode})") from None
        if kind == "chunk":
            stitcher.add(payload)
            if on_frames is not None:
                on_frames(len(payload.has_pose))
        elif kind == "done":
            done.add(index)
        else:
            raise WorkerError(f"analysis worker {index} failed:\n{payload}")


def _warn_if_short(path, decoded: int, declared: int | None) -> None:
    """The sequential decoder's warning for a file that ends before its declared length."""
    if declared and decoded < declared - max(1, declared // 100):
        log.warning("%s: video ended after %d of %d frames; the file may be truncated — analysed up to there",
                    path, decoded, declared)


def analyze_video(source, coach, record, jobs: int, on_frames: Callable[[int], None] | None = None,
                  block_s: float = BLOCK_S, estimator_config: EstimatorConfig | None = None) -> None:
    """`analyze` of a `FileSource` into `record` (its landmark log included): the model's pass
    on `jobs` processes (with `estimator_config`, default the full model), and `coach` over the
    stitched stream, frame by frame as it is stitched.

    The source is only read for its properties, then closed; the model's pass opens the file.
    """
    from realtime.pipeline.loop import replay_frame

    start = time.perf_counter()
    path, fps, size, declared = source.name, source.fps, source.size, source.frame_count
    source.close()

    def take(frame: LoggedFrame) -> None:  # the coach works while the workers run the model
        if record.landmarks is not None:
            record.landmarks.add(frame.t, frame.frame_index, frame.pose, frame.scene, frame.pose_ms)
        replay_frame(coach, record, frame)

    try:
        analyze_landmarks(path, jobs, fps=fps, image_size=size, n_frames=declared, config=coach.analyzer.config,
                          block_s=block_s, estimator_config=estimator_config, on_frames=on_frames, on_frame=take)
    finally:
        record.wall_s = time.perf_counter() - start
        record.extras = coach.session_extras()
