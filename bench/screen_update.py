"""What drawing one frame costs: the whole screen update, and the camera image's blit.

Runs the model and the coach over the first frames of a clip once, then times
`ScreenOutput.handle` (gauges, replay buffer, overlay, flip) on SDL's dummy video driver, and
the camera image's way onto the canvas: `blit_image` (a full-size copy, a new Surface and
pygame's smoothscale every frame; the screen used it before issue #8) against `ImageBlitter`
(OpenCV straight to the shown size, into a reused buffer that a Surface shares).

    .venv/bin/python bench/screen_update.py [--clip treadmill_side_left.mp4] [--frames 150]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLIPS = ROOT.parent / "shared/data/clips"


def ms(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="treadmill_side_left.mp4")
    ap.add_argument("--frames", type=int, default=150)
    a = ap.parse_args()
    from realtime.apps.cli import quiet_native_logs

    quiet_native_logs()
    import pygame

    from cues.rules import load_rules
    from realtime.apps.assemble import build_pipeline
    from realtime.apps.cli import build_parser
    from realtime.outputs.layers import ScreenOutput
    from realtime.outputs.overlay import fit_image
    from realtime.outputs.screen import Screen
    from realtime.outputs.widgets import ImageBlitter, blit_image
    from realtime.sources.capture import FileSource

    with FileSource(CLIPS / a.clip) as source:
        pipeline = build_pipeline(load_rules(None), source, build_parser().parse_args(["run"]))
        results = [pipeline.process(f) for _, f in zip(range(a.frames), source)]
    screen = Screen()
    screen.open()
    shown = ScreenOutput(screen)
    for r in results[:10]:
        shown.handle(r)
    handle = ms(shown.handle, results[10:])
    canvas = screen.surface
    h, w = results[0].frame.image.shape[:2]
    fit = fit_image((w, h), (int(canvas.get_width() * 0.73), canvas.get_height()))
    rect = pygame.Rect(fit.offset, fit.size)
    images = [r.frame.image for r in results]
    old = ms(lambda im: blit_image(canvas, rect, im), images)
    blitter = ImageBlitter()
    new = ms(lambda im: blitter.blit(canvas, rect, im), images)
    window = canvas.get_size()
    screen.close()
    print(f"\n{a.clip} ({w}x{h}) on a {window[0]}x{window[1]} window, shown at "
          f"{rect.width}x{rect.height}; {len(images)} frames\n")
    print("| step | ms p50 | ms p95 |")
    print("|---|---|---|")
    print(f"| whole screen update (`ScreenOutput.handle`) | {np.median(handle):.2f} | {np.percentile(handle, 95):.2f} |")
    print(f"| camera image: `blit_image` (before) | {np.median(old):.2f} | {np.percentile(old, 95):.2f} |")
    print(f"| camera image: `ImageBlitter` (now) | {np.median(new):.2f} | {np.percentile(new, 95):.2f} |")


if __name__ == "__main__":
    main()
