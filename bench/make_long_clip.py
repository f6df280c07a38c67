"""A long clip for the benchmarks: the treadmill clip played N times in a row, in /tmp.

Never put the result in the repository (the clips are not ours to redistribute there).

With PyAV installed (`pip install av`, in any environment — ribsdown does not need it) the
H.264 packets are copied N times with shifted time stamps: no re-encoding, so the long clip
decodes and seeks exactly like the original (720x1280, 30 fps, a keyframe about every 9 s).
Without PyAV the frames are re-encoded with OpenCV's MPEG-4 part 2 writer (cheaper to decode,
a keyframe every 12 frames): say which in the results.

    python bench/make_long_clip.py [--times 3] [--out /tmp/ribsdown_bench/treadmill_36s.mp4]
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared/data/clips/treadmill_side_left.mp4"


def remux(src: Path, dst: Path, times: int) -> None:
    """Copy the video packets of `src` `times` times into `dst` (PyAV, no re-encoding)."""
    import av

    with av.open(str(dst), "w") as out:
        ostream = None
        offset = 0
        for _ in range(times):
            with av.open(str(src)) as inp:
                istream = inp.streams.video[0]
                if ostream is None:
                    ostream = out.add_stream_from_template(istream)
                last = 0
                for packet in inp.demux(istream):
                    if packet.dts is None:
                        continue
                    packet.pts += offset
                    packet.dts += offset
                    last = max(last, packet.pts + (packet.duration or 0))
                    packet.stream = ostream
                    out.mux(packet)
                offset = last


def reencode(src: Path, dst: Path, times: int) -> None:
    """Decode `src` and write its frames `times` times (OpenCV, MPEG-4 part 2)."""
    import cv2

    writer = None
    for _ in range(times):
        cap = cv2.VideoCapture(str(src))
        fps = cap.get(cv2.CAP_PROP_FPS)
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if writer is None:
                h, w = image.shape[:2]
                writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(image)
        cap.release()
    writer.release()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=CLIP, help="the clip to repeat (default the shared treadmill clip)")
    ap.add_argument("--times", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("/tmp/ribsdown_bench/treadmill_36s.mp4"))
    a = ap.parse_args()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        remux(a.clip, a.out, a.times)
        how = "H.264 packets copied (PyAV)"
    except ImportError:
        reencode(a.clip, a.out, a.times)
        how = "re-encoded as MPEG-4 part 2 (OpenCV; install PyAV to copy the H.264 stream instead)"
    print(f"{a.out}: {a.clip.name} x{a.times}, {how}")


if __name__ == "__main__":
    main()
