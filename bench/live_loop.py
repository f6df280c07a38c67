"""The live loop against a camera that does not wait (issue #8, parts 2 and 3; part 4 with --memory).

The camera is emulated from a real clip, the way a USB webcam delivers 720p: JPEG frames
(MJPEG) arrive at `--fps` on the wall clock into the driver's queue of 4 buffers, which drops
new frames while it is full; `read()` takes the oldest and decodes it in the caller's thread,
as `cv2.VideoCapture.read()` does. Two loops run against it, with the same model, coach and
screen drawing (ScreenOutput on SDL's dummy video driver):

- ribsdown: `run_session` with a capture thread that drains the camera and keeps only the
  newest frame (realtime/sources/capture.py), the model and the coach, then the screen;
- naive webcam demo: read -> model -> coach -> draw, all in one thread;
- `ribsdown-nomask` (with `--loops`): the ribsdown loop with the model's segmentation mask
  off (no back outline, no outline way): what the mask costs live.

Latency is capture (the frame's arrival) -> the frame with its overlay on screen.

    .venv/bin/python bench/live_loop.py [--fps 30,60] [--seconds 60] [--rounds 1]
    .venv/bin/python bench/live_loop.py --memory --seconds 600 --fps 30   # part 4, RSS over time
    .venv/bin/python bench/live_loop.py --fps 30 --loops ribsdown,ribsdown-nomask --rounds 3  # the mask's cost
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"


class MjpegCamera:
    """A webcam emulated from a clip: JPEG frames at `fps` into a driver queue of `buffers`."""

    def __init__(self, clip: Path, fps: float, buffers: int = 4, max_frames: int = 360) -> None:
        import cv2

        self.fps = fps
        self.buffers = buffers
        cap = cv2.VideoCapture(str(clip))
        self._jpegs: list[bytes] = []
        while len(self._jpegs) < max_frames:
            ok, image = cap.read()
            if not ok:
                break
            self._jpegs.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
            self.size = (image.shape[1], image.shape[0])
        cap.release()
        self._queue: deque[tuple[bytes, float, int]] = deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.produced = 0
        self.dropped = 0
        self.t0 = 0.0
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)

    def start(self) -> None:
        self.t0 = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        k = 0
        while not self._stop.is_set():
            due = self.t0 + k / self.fps
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            with self._cond:
                self.produced += 1
                if len(self._queue) >= self.buffers:
                    self.dropped += 1  # no free buffer: the driver drops the new frame
                else:
                    self._queue.append((self._jpegs[k % len(self._jpegs)], time.monotonic(), k, due))
                    self._cond.notify_all()
            k += 1

    def read(self):
        """(image, arrival time, index, the driver's time stamp in ms) of the oldest queued
        frame, decoded here; None when stopped. The stamp is the frame's due time (when the
        sensor delivered it), as V4L2 stamps its buffers."""
        import cv2

        with self._cond:
            while not self._queue:
                if self._stop.is_set():
                    return None
                self._cond.wait(0.2)
            jpeg, arrived, k, due = self._queue.popleft()
        return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), arrived, k, due * 1000.0

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(2.0)


def camera_source(cam: MjpegCamera):
    """The camera as a ribsdown live source: a capture thread keeping only the newest frame."""
    from realtime.sources.capture import Frame, _NewestFrameReader, _ThreadedSource
    from realtime.sources.frame_clock import FrameClock

    class EmulatedCamera(_ThreadedSource):
        is_live = True

        def __init__(self) -> None:
            self.name, self.fps, self.size = "emulated MJPEG camera", cam.fps, cam.size
            self._reader = _NewestFrameReader(self._produce, lambda: None, self.name)
            self._clock = FrameClock()  # as realtime/sources/capture.py's live producer times frames

        def _produce(self):
            got = cam.read()
            if got is None:
                return None
            image, arrived, k, stamp_ms = got
            return Frame(image, self._clock.t(stamp_ms, arrived), k, arrived)

    return EmulatedCamera()


def setup(cam: MjpegCamera, mask: bool = True, pace: str = "off"):
    """The app's pipeline and screen: `pace` "auto" is `ribsdown run` on a camera (the paced
    ladder of models, `build_pipeline`); "off" the chosen model on every frame, with or without
    the segmentation mask."""
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach, build_pipeline
    from realtime.apps.cli import build_parser
    from realtime.models.estimator import EstimatorConfig, PoseEstimator
    from realtime.outputs.layers import ScreenOutput
    from realtime.outputs.screen import Screen
    from realtime.pipeline.loop import Pipeline

    args = build_parser().parse_args(["run", "--pace", pace])
    screen = Screen()
    screen.open()
    if pace == "auto":
        pipeline = build_pipeline(load_rules(None), camera_source(cam), args)
    else:
        estimator = PoseEstimator(EstimatorConfig(enable_segmentation=mask))
        pipeline = Pipeline(estimator, build_coach(load_rules(None), cam.size, args))
    return pipeline, ScreenOutput(screen), screen


def run_ribsdown(cam: MjpegCamera, seconds: float, sampler=None, mask: bool = True, pace: str = "auto") -> dict:
    from realtime.core.allocator import trimming
    from realtime.outputs.checkpoint import SessionCheckpoint
    from realtime.pipeline.loop import run_session
    from realtime.record.landmarks import LandmarkLog
    from realtime.record.session import SessionRecord

    pipeline, shown, screen = setup(cam, mask, pace)
    source = camera_source(cam)
    record = SessionRecord(source=source.name, fps=cam.fps, landmarks=LandmarkLog(cam.size, cam.fps, source.name))
    warm_up(pipeline, cam)
    folder = tempfile.TemporaryDirectory(prefix="ribsdown-live-")
    checkpoint = SessionCheckpoint(record, Path(folder.name))  # `run` saves the session as it goes
    outputs = [shown, checkpoint] if sampler is None else [shown, checkpoint, sampler]
    cam.start()
    try:
        with trimming():  # as `ribsdown run` does around its session
            run_session(source, pipeline, record, outputs, duration_s=seconds)
        # every frame the camera made and the model did not run on: dropped by the driver or the
        # capture thread, or passed over by the every-other-frame mode (which leaves no row)
        dropped = max(source.frames_dropped + cam.dropped, cam.produced - len(record.rows))
    finally:
        checkpoint.close()
        folder.cleanup()
        source.close()
        cam.stop()
        screen.close()
        pipeline.close()
    out = stats(record.rows, list(record.latency_ms), [r.pose_ms for r in record.rows], dropped)
    summary = record.summary()
    out["cues"] = [(c["id"], round(c["t"], 2)) for c in summary["cues"]]
    out["cadence"] = summary.get("cadence_spm")
    out["pace"] = pipeline.session_extras().get("live_pace")
    return out


def run_naive(cam: MjpegCamera, seconds: float) -> dict:
    from realtime.pipeline.loop import FrameResult, FrameTiming
    from realtime.sources.capture import Frame

    pipeline, shown, screen = setup(cam)
    warm_up(pipeline, cam)
    rows, latency, pose_ms = [], [], []
    dropped = 0
    cam.start()
    try:
        while True:
            got = cam.read()
            if got is None:
                break
            image, arrived, k, _ = got
            t = arrived - cam.t0  # the naive demo times frames by when it reads them
            if t >= seconds:
                dropped = cam.dropped
                break
            raw = pipeline.estimator.estimate(image, t)
            done = time.monotonic()
            step = pipeline.coach.step(t, image, raw)
            timing = FrameTiming(arrived, done, time.monotonic())
            shown.handle(FrameResult(Frame(image, t, k, arrived), step.analysis, step.cue, step.banner,
                                     pipeline.estimator.last_ms, raw, timing, in_fault=step.in_fault))
            rows.append(k)
            latency.append(timing.latency_ms)
            pose_ms.append(pipeline.estimator.last_ms)
    finally:
        cam.stop()
        screen.close()
    return stats(rows, latency, pose_ms, dropped)


def analyze_reference(clip: Path) -> tuple[list[tuple[str, float]], float]:
    """(cues as (id, t), cadence) of `ribsdown analyze CLIP`, its own process."""
    import json
    import subprocess
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="ribsdown_ref_")) / "s"
    subprocess.run([sys.executable, "-m", "realtime.apps.cli", "analyze", str(clip), "--out", str(out)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "XDG_DATA_HOME": str(out.parent / "data")})
    summary = json.loads((out / "summary.json").read_text())
    return [(c["id"], round(c["t"], 2)) for c in summary["cues"]], summary["cadence_spm"]


def warm_up(pipeline, cam: MjpegCamera) -> None:
    """The model's first frame builds its delegates (about 0.1 s): not part of the run."""
    import cv2

    image = cv2.imdecode(np.frombuffer(cam._jpegs[0], np.uint8), cv2.IMREAD_COLOR)
    if pipeline.paced is not None:
        pipeline.paced.warm_up(image)
    else:
        pipeline.estimator.estimate(image, 0.0)
        pipeline.estimator.reset()


def stats(rows, latency, pose_ms, dropped: int) -> dict:
    produced = len(rows) + dropped
    return {
        "produced": produced,
        "processed": len(rows),
        "drawn": len(latency),  # processed and shown with their overlay
        "dropped": dropped,
        "processed_pct": 100.0 * len(latency) / produced if produced else 0.0,
        "latency_p50": float(np.median(latency)),
        "latency_p95": float(np.percentile(latency, 95)),
        "pose_p50": float(np.median(pose_ms)),
        "pose_p95": float(np.percentile(pose_ms, 95)),
    }


class BusyLoad:
    """`n` plain busy-loop processes (`while True: pass`), started on entry, killed on exit:
    another program keeping cores busy, as a laptop playing a video does."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._procs: list = []

    def __enter__(self) -> "BusyLoad":
        import subprocess

        self._procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.n)]
        time.sleep(0.5 if self.n else 0.0)  # let the scheduler see them
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            proc.kill()
            proc.wait()


class MemorySampler:
    """An output that samples the process's resident memory every `every_s` seconds."""

    def __init__(self, every_s: float = 10.0) -> None:
        self.every_s = every_s
        self.samples: list[tuple[float, float, float]] = []  # (s since start, RSS MB, peak RSS MB)
        self._start = time.monotonic()
        self._next = 0.0

    def handle(self, result) -> bool:
        now = time.monotonic() - self._start
        if now >= self._next:
            self.samples.append((now, *rss_mb()))
            self._next += self.every_s
        return True


def trend(samples: list[tuple[float, float, float]]) -> str:
    """Growth robust to the RSS's sample-to-sample swing (the mask's 3.7 MB buffers come and go):
    the least-squares slope after the first minute, and the median of the last minute against
    that of the second."""
    t, rss = np.array([(t, r) for t, r, _ in samples if t >= 60.0]).T
    if len(t) < 3:
        return "too short for a trend"
    slope = np.polyfit(t, rss, 1)[0]
    second, last = np.median(rss[t <= 120.0]), np.median(rss[t >= t[-1] - 60.0])
    return (f"trend after 1 min: {slope * 60:+.2f} MB/min ({slope * (t[-1] - t[0]):+.1f} MB over {t[-1] - t[0]:.0f} s); "
            f"median of the last minute against the second: {last - second:+.1f} MB; sd {rss.std():.1f} MB")


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="treadmill_side_left.mp4")
    ap.add_argument("--fps", default="30,60")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--loops", default="ribsdown,naive", help="of ribsdown, ribsdown-steady, ribsdown-nomask, naive")
    ap.add_argument("--load", type=int, default=0, help="busy-loop processes kept running beside each run (one per core to load)")
    ap.add_argument("--frames", type=int, default=360, help="frames of the clip the camera plays (then it loops)")
    ap.add_argument("--compare-analyze", action="store_true",
                    help="also run `ribsdown analyze` on the clip (quiet machine) and print its cues and cadence")
    ap.add_argument("--memory", action="store_true", help="the ribsdown loop only, RSS sampled every 10 s")
    a = ap.parse_args()
    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    if a.memory:
        fps = float(a.fps.split(",")[0])
        sampler = MemorySampler()
        result = run_ribsdown(MjpegCamera(CLIPS / a.clip, fps, max_frames=a.frames), a.seconds, sampler)
        for t, rss, peak in sampler.samples:
            print(f"{t:7.1f} s  RSS {rss:7.1f} MB  peak {peak:7.1f} MB", flush=True)
        warm = [rss for t, rss, _ in sampler.samples if t >= 60.0] or [sampler.samples[0][1]]
        end, peak = sampler.samples[-1][1], max(p for _, _, p in sampler.samples)
        print(f"\n{a.seconds:.0f} s live at {fps:g} fps: {result['processed']} of {result['produced']} frames "
              f"processed, {result['drawn']} drawn ({result['processed_pct']:.1f} %); RSS after 1 min {warm[0]:.1f} MB, lowest after that "
              f"{min(warm):.1f} MB, highest {max(warm):.1f} MB, at the end {end:.1f} MB; growth from 1 min to the "
              f"end {end - warm[0]:+.1f} MB (from the lowest {end - min(warm):+.1f} MB); peak RSS {peak:.1f} MB")
        print(trend(sampler.samples))
        return
    loops = {"ribsdown": run_ribsdown, "naive": run_naive,
             "ribsdown-steady": lambda cam, seconds: run_ribsdown(cam, seconds, pace="off"),
             "ribsdown-nomask": lambda cam, seconds: run_ribsdown(cam, seconds, mask=False, pace="off")}
    names = {"ribsdown": "ribsdown run (paced: steps down to keep up)",
             "ribsdown-steady": "ribsdown run --pace off (full model + mask on every frame it can take)",
             "naive": "naive demo (one thread)",
             "ribsdown-nomask": "ribsdown --pace off without the segmentation mask (no back outline)"}
    results: dict = {}
    for _ in range(a.rounds):
        for fps in (float(f) for f in a.fps.split(",")):
            for loop in a.loops.split(","):
                cam = MjpegCamera(CLIPS / a.clip, fps, max_frames=a.frames)
                with BusyLoad(a.load):
                    r = loops[loop](cam, a.seconds)
                results.setdefault((fps, loop), []).append(r)
                print(f"{fps:g} fps {loop}: {r}", file=sys.stderr, flush=True)
    if a.compare_analyze:
        cues, cadence = analyze_reference(CLIPS / a.clip)
        print(f"\n`ribsdown analyze {a.clip}`: cues {cues or 'none'}, cadence {cadence:.2f} spm", flush=True)
    load = f", {a.load} busy-loop process(es) beside it" if a.load else ""
    print(f"\n{a.clip} as an emulated MJPEG webcam, {a.seconds:g} s per run, {a.rounds} round(s){load}\n")
    print("| source | loop | frames processed | drawn | dropped | drawn % | latency p50 ms | latency p95 ms | pose p50 ms | "
          "pose p95 ms | cadence spm | cues | modes (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (fps, loop), rs in results.items():
        m = {k: float(np.median([r[k] for r in rs])) for k in rs[0] if isinstance(rs[0][k], (int, float))}
        cadence = np.median([r["cadence"] for r in rs if r.get("cadence")] or [np.nan])
        cues = "; ".join(", ".join(f"{c} {t:.2f} s" for c, t in r.get("cues", [])) or "none" for r in rs)
        modes = "; ".join(str((r.get("pace") or {}).get("modes", "–")) for r in rs)
        print(f"| {fps:g} fps | {names[loop]} | {m['processed']:.0f} of {m['produced']:.0f} | {m['drawn']:.0f} | {m['dropped']:.0f} | "
              f"{m['processed_pct']:.1f} | {m['latency_p50']:.1f} | {m['latency_p95']:.1f} | {m['pose_p50']:.1f} | "
              f"{m['pose_p95']:.1f} | {cadence:.2f} | {cues} | {modes} |")


if __name__ == "__main__":
    main()
