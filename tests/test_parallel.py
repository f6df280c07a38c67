"""`analyze` on every core (realtime/pipeline/parallel.py); the live loop's timing, drawing
and memory.

The parallel model pass must give what one process gives: the same scene samples as
`FrameAnalyzer.observe`, the frames back in order, and on a real clip the same cadence,
trunk lean and cues as `--jobs 1` (issue #8: within ±0.3 spm, ±0.3°, ±1 frame; by design
the landmark streams are identical). Speed is measured in bench/, never asserted here.
"""

from __future__ import annotations

import itertools
import json
import math

import cv2
import numpy as np
import pytest

from realtime.analysis.camera_roll import RollEstimate, RollTracker
from realtime.analysis import camera_roll
from realtime.analysis.frame import FrameAnalyzer
from realtime.analysis import frame as analysis
from realtime.analysis.rib_cage import PACKED_SIZE
from realtime.core.pose import N_LANDMARKS
from realtime.pipeline.parallel import (
    Chunk,
    SceneSampling,
    Segment,
    Stitcher,
    analyze_landmarks,
    block_frames,
    open_at,
    plan_segments,
    workers_for,
)
from tests.cli import run_cli

ARCHED = "treadmill_side_left_then_arched.mp4"  # 24 s, 720 frames at 30 fps
FPS = 30.0


# --- the plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("n_frames, jobs", [(720, 2), (1080, 2), (1080, 3), (18000, 2), (18000, 8), (125, 4)])
def test_segments_are_contiguous_runs_of_whole_blocks(n_frames, jobs):
    block = block_frames(FPS)
    segs = plan_segments(n_frames, jobs, block)
    assert 1 <= len(segs) <= jobs
    assert segs[0].start == 0 and segs[-1].stop is None
    for a, b in itertools.pairwise(segs):
        assert a.stop == b.start and a.stop % block == 0
    lengths = [(s.stop if s.stop is not None else n_frames) - s.start for s in segs]
    assert sum(lengths) == n_frames
    assert max(lengths) - min(lengths) <= block + n_frames % block  # as even as whole blocks allow


def test_one_process_for_short_videos_and_one_job():
    assert workers_for(360, 30.0, 2) == 2  # 12 s: two workers of 6 s
    assert workers_for(300, 30.0, 2) == 0  # 10 s: one process
    assert workers_for(47, 29.97, 8) == 0
    assert workers_for(18000, 30.0, 1) == 0
    assert workers_for(None, 30.0, 4) == 0  # no declared length: one process reads to the end
    assert workers_for(18000, 30.0, 4) == 4
    assert plan_segments(720, 1, 120) == [Segment(0, 0, None)]


# --- the scene samples follow FrameAnalyzer.observe ---------------------------------------


@pytest.mark.parametrize("fps", [30.0, 29.97, 25.0, 24.0, 60.0])
@pytest.mark.parametrize("confident", [True, False])
def test_scene_sampling_matches_the_analyzer(monkeypatch, fps, confident):
    """Brightness: the very frames `observe` samples; roll: a superset of them (the tracker
    locks after ten confident samples, which only the parent can know)."""
    seen = {"brightness": [], "roll": []}
    t_now = {"t": 0.0}

    def fake_brightness(image, max_side=160):
        seen["brightness"].append(t_now["t"])
        return 100.0

    def fake_roll(image, exclude=None, params=None):
        seen["roll"].append(t_now["t"])
        return RollEstimate(1.0, 0.9 if confident else 0.1, 5)

    monkeypatch.setattr(analysis, "image_brightness", fake_brightness)
    monkeypatch.setattr(camera_roll, "estimate_roll", fake_roll)
    analyzer = FrameAnalyzer((64, 48))
    sampling = SceneSampling(analyzer.roll.interval_s, None)
    image = np.zeros((48, 64, 3), np.uint8)
    want_b, may_roll = [], []
    for i in range(int(fps * 40)):
        t = i / fps
        t_now["t"] = t
        analyzer.observe(t, image, None)
        b, r = sampling.step(t)
        if b:
            want_b.append(t)
        if r:
            may_roll.append(t)
    assert seen["brightness"] == want_b
    assert set(seen["roll"]) <= set(may_roll)
    if not confident:  # never locks: every candidate is sampled
        assert seen["roll"] == may_roll
    else:
        assert len(seen["roll"]) == 10


def test_no_roll_samples_when_the_roll_is_given():
    sampling = SceneSampling(1.0, 0.0)
    assert not any(sampling.step(i / FPS)[1] for i in range(300))


# --- stitching -----------------------------------------------------------------------------


def chunk(first: int, n: int, roll: dict | None = None, brightness: dict | None = None) -> Chunk:
    xy = np.tile(np.arange(first, first + n, dtype=float)[:, None, None], (1, N_LANDMARKS, 2))
    outline = np.full((n, PACKED_SIZE), np.nan, dtype=np.float32)
    return Chunk(0, first, np.ones(n, bool), xy, np.ones((n, N_LANDMARKS)), np.full(n, 20.0), outline,
                 brightness or {}, roll or {})


def test_stitcher_puts_chunks_in_order_and_replays_the_roll_tracker():
    tracker = RollTracker()
    stitcher = Stitcher(FPS, tracker, None)
    samples = {i: (0.5 * k, 0.9, 7) for k, i in enumerate(range(0, 900, 30))}
    chunks = [chunk(a, 30, {i: samples[i] for i in samples if a <= i < a + 30}, {a: float(a)}) for a in range(0, 900, 30)]
    for c in chunks[1::2] + chunks[::2]:  # every other chunk arrives early
        stitcher.add(c)
    assert [f.frame_index for f in stitcher.frames] == list(range(900))
    assert stitcher.leftover() == 0
    assert all(f.pose.xy[0, 0] == f.frame_index and f.t == f.frame_index / FPS for f in stitcher.frames)
    assert stitcher.frames[45].scene.brightness == 30.0
    # the same tracker fed directly, frame by frame, gives the same estimates (and locks after ten)
    direct = RollTracker()
    for f in stitcher.frames:
        if direct.due(f.t):
            direct.add(f.t, RollEstimate(*samples[f.frame_index]))
        assert f.scene.roll == direct.estimate
    assert direct.locked and stitcher.frames[-1].scene.roll.roll_deg == pytest.approx(np.median([0.5 * k for k in range(10)]))


def test_stitcher_stops_at_a_gap():
    stitcher = Stitcher(FPS, RollTracker(), 0.0)
    stitcher.add(chunk(0, 30))
    stitcher.add(chunk(60, 30))
    assert stitcher.next_index == 30 and stitcher.leftover() == 30


# --- on the real clips ---------------------------------------------------------------------


def test_seeking_lands_on_the_decoded_frame(clips_dir):
    path = str(clips_dir / ARCHED)
    cap = cv2.VideoCapture(path)
    frames = []
    while len(frames) < 560:
        ok, image = cap.read()
        assert ok
        frames.append(image)
    cap.release()
    for start in (0, 1, 119, 120, 299, 360, 555):
        cap, image = open_at(path, start, FPS)
        cap.release()
        assert np.array_equal(image, frames[start]), start


@pytest.fixture(scope="module")
def arched_by_jobs(clips_dir, tmp_path_factory):
    """`ribsdown analyze` of the arched clip with --jobs 1 and --jobs 2: {jobs: session folder}."""
    folders = {}
    for jobs in (1, 2):
        out = tmp_path_factory.mktemp(f"arched_jobs{jobs}") / "session"
        result = run_cli("analyze", clips_dir / ARCHED, "--jobs", jobs, "--out", out)
        assert result.returncode == 0, result.stderr
        folders[jobs] = out
    return folders


def test_parallel_analyze_agrees_with_jobs_1(arched_by_jobs):
    one, two = (json.loads((arched_by_jobs[j] / "summary.json").read_text()) for j in (1, 2))
    assert two["frames"] == one["frames"] == 720
    assert two["cadence_spm"] == pytest.approx(one["cadence_spm"], abs=0.3)
    assert two["trunk_lean_deg"]["median"] == pytest.approx(one["trunk_lean_deg"]["median"], abs=0.3)
    assert [c["id"] for c in two["cues"]] == [c["id"] for c in one["cues"]]
    assert "ribs_down" in [c["id"] for c in one["cues"]]
    for a, b in zip(one["cues"], two["cues"]):
        assert abs(a["t"] - b["t"]) <= 1.0 / FPS + 1e-6
    assert two["camera_roll_deg"] == one["camera_roll_deg"]


def test_parallel_landmark_stream_is_the_one_process_stream(arched_by_jobs):
    """By design (the model restarts its tracking at the same frames), not just within tolerance."""
    with np.load(arched_by_jobs[1] / "landmarks.npz") as a, np.load(arched_by_jobs[2] / "landmarks.npz") as b:
        for key in ("t", "frame_index", "has_pose", "xy", "visibility", "roll", "brightness"):
            assert np.array_equal(a[key], b[key], equal_nan=True), key


def test_a_truncated_video_is_analysed_up_to_the_break(tmp_path, caplog):
    """15 s of MJPEG cut in half: the first worker stops at the cut, the second finds nothing."""
    whole = tmp_path / "whole.avi"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (160, 120))
    rng = np.random.default_rng(0)
    for _ in range(450):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()
    data = whole.read_bytes()
    broken = tmp_path / "cut.avi"
    broken.write_bytes(data[: len(data) // 2])
    stream = analyze_landmarks(broken, 2, fps=FPS, image_size=(160, 120), n_frames=450)
    n = len(stream.frames)
    assert 100 < n < 450
    assert [f.frame_index for f in stream] == list(range(n))
    assert any(f"video ended after {n} of 450 frames" in r.getMessage() for r in caplog.records)


def test_jobs_must_be_positive(clips_dir, tmp_path):
    result = run_cli("analyze", clips_dir / "run_grass_short.mp4", "--jobs", "0", "--out", tmp_path / "s")
    assert result.returncode == 2 and "--jobs must be 1 or more" in result.stderr


def test_live_run_reports_its_latency(clips_dir, tmp_path):
    out = tmp_path / "live"
    result = run_cli("run", "--source", clips_dir / "treadmill_side_left.mp4", "--realtime", "--headless",
                     "--duration", "5", "--mute", "--out", out)
    assert result.returncode == 0, result.stderr
    timing = json.loads((out / "summary.json").read_text())["timing"]
    assert {"pose_ms_p50", "pose_ms_p95", "loop_fps", "frames_dropped", "latency_ms_p50", "latency_ms_p95"} <= set(timing)
    assert 0 < timing["latency_ms_p50"] <= timing["latency_ms_p95"]
    assert timing["latency_ms_p50"] >= timing["pose_ms_p50"] - 0.01  # capture → screen includes the model
    assert timing["frames_dropped"] >= 0 and not math.isnan(timing["loop_fps"])


def test_analyze_has_no_screen_latency(arched_by_jobs):
    timing = json.loads((arched_by_jobs[2] / "summary.json").read_text())["timing"]
    assert timing["latency_ms_p50"] is None and timing["latency_ms_p95"] is None
    assert timing["pose_ms_p50"] > 0 and timing["loop_fps"] > 0


# --- the live loop: timing, drawing without allocations, flat memory ------------------------


def frame_result(t: float = 1.0, image: np.ndarray | None = None):
    from realtime.analysis.frame import FrameAnalysis
    from realtime.analysis.posture import PostureSample
    from realtime.pipeline.loop import FrameResult, FrameTiming
    from realtime.sources.capture import Frame

    image = np.full((1280, 720, 3), 90, np.uint8) if image is None else image
    analysis = FrameAnalysis(t, None, PostureSample(t, None, None), "absent")
    return FrameResult(Frame(image, t, int(t * 30), 100.0 + t), analysis, None, None, 19.0,
                       timing=FrameTiming(100.0 + t, 100.02 + t, 100.021 + t))


def test_frame_timing_gives_capture_to_screen_latency():
    from realtime.pipeline.loop import FrameTiming

    timing = FrameTiming(captured_at=10.0, pose_done_at=10.02, decided_at=10.021)
    assert timing.latency_ms is None
    timing.shown_at = 10.0305
    assert timing.latency_ms == pytest.approx(30.5)


def test_screen_output_stamps_shown_frames_and_skips_a_minimised_window(screen, monkeypatch):
    from realtime.outputs.layers import ScreenOutput
    from realtime.outputs.screen import Screen

    shown = ScreenOutput(screen)
    result = frame_result(1.0)
    assert shown.handle(result)
    assert result.timing.shown_at is not None and result.timing.latency_ms > 0
    monkeypatch.setattr(Screen, "visible", property(lambda self: False))
    drawn = []
    monkeypatch.setattr(screen, "show", lambda view: drawn.append(view))
    hidden = frame_result(2.0)
    assert shown.handle(hidden)
    assert drawn == [] and hidden.timing.shown_at is None


def test_a_superseded_frame_is_not_drawn_but_still_handled(screen, monkeypatch):
    """The model already has a newer frame: this one's picture would only be late."""
    from dataclasses import replace

    from realtime.outputs.layers import ScreenOutput

    shown = ScreenOutput(screen)
    drawn = []
    monkeypatch.setattr(screen, "show", lambda view: drawn.append(view))
    late = replace(frame_result(1.0), superseded=True)
    assert shown.handle(late)
    assert drawn == [] and late.timing.shown_at is None
    assert len(shown.replay_buffer._frames) == 1  # kept for the instant replay all the same
    fresh = frame_result(1.04)
    assert shown.handle(fresh)
    assert len(drawn) == 1 and fresh.timing.shown_at is not None


def test_run_session_marks_a_frame_superseded_only_when_a_newer_one_waits(monkeypatch):
    """With a slow screen the pose thread gets ahead: those frames are marked, the rest not."""
    import time

    from realtime.pipeline.loop import Estimated, run_session
    from realtime.record.session import SessionRecord

    class Pipeline:
        def estimate(self, frame):
            time.sleep(0.05)  # the model
            return Estimated(frame, None, 1.0, time.monotonic())

        def decide(self, estimated):
            time.sleep(0.02)  # the coach (the pose thread, if free, hands over the next frame meanwhile)
            return frame_result(estimated.frame.t)

        def session_extras(self):
            return {}

    class SlowScreen:
        def __init__(self):
            self.marks = []

        def handle(self, result):
            self.marks.append(result.superseded)
            if len(self.marks) == 3:
                time.sleep(0.3)  # a stall: the (instant) model is done with the next frame by then
            return True

    from realtime.sources.capture import Frame

    frames = [Frame(np.zeros((4, 4, 3), np.uint8), k / 30, k, 0.0) for k in range(6)]
    screen = SlowScreen()
    run_session(frames, Pipeline(), SessionRecord(source="test", fps=30.0), [screen])
    assert screen.marks[3] is True  # waited behind the stall
    assert screen.marks[:3] == [False, False, False]  # the model was the slower one
    assert screen.marks[-1] is False  # the last frame has nothing after it


def test_image_blitter_scales_into_one_reused_buffer(screen):
    import pygame

    from realtime.outputs.widgets import ImageBlitter

    canvas = screen.surface
    rect = pygame.Rect(10, 0, 405, 720)
    blitter = ImageBlitter()
    rng = np.random.default_rng(3)
    first = rng.integers(0, 255, (1280, 720, 3), dtype=np.uint8)
    buffer = blitter.blit(canvas, rect, first)
    again = blitter.blit(canvas, rect, np.full((1280, 720, 3), (10, 20, 200), np.uint8))
    assert again is buffer and again.shape == (720, 405, 3)
    assert canvas.get_at((10 + 200, 300))[:3] == (200, 20, 10)  # BGR in, RGB on screen


def test_replay_buffer_recycles_its_images_and_hands_out_copies():
    from realtime.outputs.replay import ReplayBuffer

    buffer = ReplayBuffer(span_s=1.0)
    frame = np.zeros((1280, 720, 3), np.uint8)
    seen = set()
    for i in range(300):
        frame[:] = i % 250
        buffer.push(i / 30, frame, None, None)
        seen.add(id(buffer._frames[-1].image_bgr))
    assert len(seen) <= 40  # about a second of frames, not one array per frame
    clip = buffer.clip(299 / 30 - 0.1, 299 / 30)
    assert clip and clip[-1].image_bgr.shape == (320, 180, 3) and clip[-1].image_bgr[0, 0, 0] == 299 % 250
    for i in range(300, 340):
        frame[:] = 7
        buffer.push(i / 30, frame, None, None)
    assert clip[-1].image_bgr[0, 0, 0] == 299 % 250  # the clip kept its own copy


@pytest.mark.parametrize("shape", [(1280, 720), (720, 1280), (1080, 1920), (600, 800)])
def test_replay_frames_are_the_pixel_area_average(shape):
    """Halving (powers of two) and the pixel-area resize (other factors) give the same small image."""
    import cv2

    from realtime.outputs.replay import ReplayBuffer

    image = np.random.default_rng(1).integers(0, 256, (*shape, 3), dtype=np.uint8)
    image = cv2.GaussianBlur(image, (0, 0), 3)  # a camera image: no pixel-sized checkerboard
    buffer = ReplayBuffer()
    buffer.push(0.0, image, None, None)
    small = buffer._frames[-1].image_bgr
    assert max(small.shape[:2]) <= buffer.max_side
    area = cv2.resize(image, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - area).max() <= 1


def test_landmark_log_spills_to_a_file_and_reads_back_exactly(tmp_path, monkeypatch):
    from realtime.analysis.frame import Scene
    from realtime.core.pose import Pose
    from realtime.record import landmarks
    from realtime.record.landmarks import LandmarkLog, load_landmarks

    monkeypatch.setattr(landmarks, "CHUNK_FRAMES", 7)
    rng = np.random.default_rng(5)
    log = LandmarkLog((720, 1280), 30.0, "clip.mp4")
    kept = []
    for i in range(30):
        pose = Pose(rng.random((N_LANDMARKS, 2)) * 700, rng.random(N_LANDMARKS), i / 30) if i % 4 else None
        scene = Scene(RollEstimate(rng.normal(), 0.5, 6) if i % 3 else None, float(i) if i % 5 else None)
        log.add(i / 30, i, pose, scene, 19.0 + i)
        kept.append((pose, scene))
    assert len(log) == 30 and log._file is not None  # 4 chunks on disk, 2 frames in memory
    log.save(tmp_path / "landmarks.npz")
    stream = load_landmarks(tmp_path / "landmarks.npz")
    assert [f.frame_index for f in stream] == list(range(30))
    for f, (pose, scene) in zip(stream, kept):
        assert (f.pose is None) == (pose is None) and f.scene == scene and f.pose_ms == 19.0 + f.frame_index
        if pose is not None:
            assert np.array_equal(f.pose.xy, pose.xy) and np.array_equal(f.pose.visibility, pose.visibility)
    log.close()


class FakeProcess:
    def __init__(self, alive: bool, exitcode: int | None = None) -> None:
        self.alive, self.exitcode = alive, exitcode

    def is_alive(self) -> bool:
        return self.alive


def test_a_failing_or_dead_worker_is_reported():
    import queue

    from realtime.pipeline.parallel import WorkerError, _collect

    out: queue.Queue = queue.Queue()
    out.put(("chunk", 0, chunk(0, 30)))
    out.put(("error", 1, "Traceback (most recent call last): ... boom"))
    stitcher = Stitcher(FPS, RollTracker(), 0.0)
    with pytest.raises(WorkerError, match="boom"):
        _collect({0: FakeProcess(True), 1: FakeProcess(True)}, out, stitcher, None)
    assert stitcher.next_index == 30
    with pytest.raises(WorkerError, match="died .exit code -9"):
        _collect({0: FakeProcess(False, -9)}, queue.Queue(), Stitcher(FPS, RollTracker(), 0.0), None)
