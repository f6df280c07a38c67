"""One spec → `clip.mp4`, `truth.json` and `masks.npz` in a folder: the lab's single assembly.

Per frame: pose the runner (and the passer-by) at t = i / fps, skin them, render colour and
silhouette, composite over the background, add the camera's noise and compression, write
the frame, and read the frame's truth. After the last frame: the events and strides from the
model sampled at `truth.STRIDE_HZ`. Everything is written to temporary names and renamed at
the end, so a folder never holds half a clip.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from lab import truth as truth_mod
from lab.assets import load_assets
from lab.body import BodyShape, Skeleton, shaped_vertices
from lab.figure import Outfit, Part, body_parts, loose_top
from lab.gait import running_gait, walking_gait
from lab.picture import SensorNoise, background, camera_effects, composite
from lab.render import FrameRenderer, Layers, NormalMaker
from lab.runner import Runner
from lab.scene import Camera, body_to_world, make_camera, treadmill
from lab.spec import Spec

FORMAT = "ribsdown-lab-truth/1"
#: Every this many frames the true silhouette is kept in masks.npz (for the mask IoU).
MASK_EVERY = 3
#: The runner's hips stand this far behind the front end of the deck.
HIPS_FROM_FRONT_M = 0.62
#: The passer-by walks this far behind the treadmill, at this speed.
PASSER_Z_M = -1.4
PASSER_SPEED_MPS = 1.3
#: Shutter: a motion-blurred frame averages subframes over this share of the frame time.
SHUTTER = 0.5


@dataclass
class Figure:
    """A posed person's drawable state: its runner, parts, placement in the world, and the
    normal makers of its surfaces ('body', and 'shell' for a loose top)."""

    runner: Runner
    parts: list[Part]
    shell: object | None
    placement: Callable[[float], np.ndarray]
    normals: dict[str, NormalMaker]

    def surfaces(self, t: float) -> tuple[dict, dict, np.ndarray]:
        """World vertices and normals of every surface at t, and the bone transforms."""
        sk = self.runner.skeleton
        _, transforms = self.runner.pose(t)
        place = self.placement(t)
        positions = {"body": sk.skin(transforms, placement=place)}
        if self.shell is not None:
            positions["shell"] = sk.skin(transforms, placement=place, rest=self.shell.rest_vertices,
                                         weights=self.shell.weights)
        return positions, {k: self.normals[k](v) for k, v in positions.items()}, transforms


def make_figure(assets, shape: BodyShape, outfit: Outfit, runner_gait, faults, first_contact_s: float,
                placement: Callable[[float], np.ndarray], lead: str) -> Figure:
    """A person of `shape` in `outfit` moving with `runner_gait`, the `lead` leg landing first."""
    skeleton = Skeleton(assets, shaped_vertices(assets, shape))
    runner = Runner(skeleton, runner_gait, faults, first_contact_s, lead)
    shell = loose_top(assets, skeleton, outfit) if outfit.top == "loose" else None
    parts = body_parts(assets, skeleton, outfit) + ([] if shell is None else shell.parts)
    normals = {"body": NormalMaker(assets.faces["body"], len(skeleton.rest_vertices))}
    if shell is not None:
        normals["shell"] = NormalMaker(np.vstack([p.faces for p in shell.parts]), len(shell.rest_vertices))
    return Figure(runner, parts, shell, placement, normals)


def spec_gait(spec: Spec):
    """The spec's gait: the cadence's defaults with the spec's changes."""
    make = running_gait if spec.activity == "running" else walking_gait
    return make(spec.cadence_spm, **spec.gait)


def spec_camera(spec: Spec) -> Camera:
    """The spec's camera."""
    c = spec.camera
    return make_camera(c.width, c.height, c.hfov_deg, c.distance_m, c.height_m, c.yaw_deg, c.roll_deg)


def front_x(spec: Spec) -> float:
    """Where the deck's front end is: ahead of the runner."""
    return (-1.0 if spec.facing == "left" else 1.0) * HIPS_FROM_FRONT_M


def main_figure(spec: Spec, assets) -> Figure | None:
    """The runner (or walker) on the treadmill, None for an empty scene."""
    if spec.activity == "none":
        return None
    place = body_to_world(spec.facing)
    return make_figure(assets, spec.body, spec.outfit, spec_gait(spec), spec.faults,
                       0.1 + 0.05 * (spec.seed % 5), lambda t: place, near_leg(spec.facing))


def near_leg(facing: str) -> str:
    """The leg nearest the camera (it lands first, so a mirrored spec is the mirror image)."""
    return "left" if facing == "left" else "right"


def passer_by(spec: Spec, assets) -> Figure:
    """Someone walking past behind the treadmill, across the whole view during the clip."""
    start = -3.5
    speed = 7.0 / spec.duration_s if spec.duration_s > 0 else PASSER_SPEED_MPS
    gait = walking_gait(110.0, speed_mps=speed)

    def place(t: float) -> np.ndarray:
        out = body_to_world("right")
        out[:3, 3] = [start + speed * t, 0.0, PASSER_Z_M]
        return out

    shape = BodyShape(height_m=1.66, sex=0.0, weight=0.6, muscle=0.4)
    outfit = Outfit(top="loose", bottoms="tights", top_colour="red", bottoms_colour="grey", skin="tan")
    return make_figure(assets, shape, outfit, gait, (), 0.2, place, "left")


def render_clip(spec: Spec, out_dir: Path, progress: Callable[[int], None] | None = None) -> dict:
    """Render `spec` into `out_dir` (which must not hold a clip); returns the truth."""
    import imageio_ffmpeg

    assets = load_assets()
    camera = spec_camera(spec)
    runner = main_figure(spec, assets)
    figures = [f for f in (runner, passer_by(spec, assets) if spec.second_person else None) if f is not None]
    room = treadmill(front_x(spec), spec.console)
    renderer = FrameRenderer(camera, room, spec.lighting)
    backdrop = background(spec.background, camera, 1.0 if spec.lighting != "dim" else 0.55)
    grain = SensorNoise(spec.noise, camera.height, camera.width, spec.seed)
    reader = truth_mod.LandmarkReader(runner.runner.skeleton) if runner else None
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_video = out_dir / "clip.tmp.mp4"
    writer = imageio_ffmpeg.write_frames(
        str(tmp_video), (camera.width, camera.height), fps=spec.fps, codec="libx264", pix_fmt_in="bgr24",
        output_params=["-crf", str(spec.crf), "-preset", "veryfast", "-loglevel", "error"], macro_block_size=2)
    writer.send(None)
    rows, masks = [], {}
    try:
        for i in range(spec.frames):
            t = i / spec.fps
            image, layers, transforms = draw_frame(renderer, figures, backdrop, spec, t)
            writer.send(camera_effects(image, grain, spec.jpeg_quality))
            rows.append(frame_truth(runner, reader, camera, spec, t, transforms, layers))
            labels = layers.labels
            if i % MASK_EVERY == 0:  # the runner's own silhouette (a passer-by is label 3)
                masks[i] = np.packbits(np.isin(labels, (1, 2)).ravel())
            if progress:
                progress(1)
    finally:
        writer.close()
        renderer.close()
    truth = assemble_truth(spec, camera, runner, reader, rows)
    write_outputs(out_dir, tmp_video, truth, masks, (camera.height, camera.width))
    return truth


def draw_frame(renderer: FrameRenderer, figures: list[Figure], backdrop: np.ndarray, spec: Spec,
               t: float) -> tuple[np.ndarray, Layers, np.ndarray | None]:
    """The composited BGR frame at t (motion blur: subframes averaged), the layers of the middle
    subframe (its silhouettes), and the runner's bone transforms at t."""
    subframes = spec.motion_blur
    offsets = [0.0] if subframes == 1 else np.linspace(-0.5, 0.5, subframes) * SHUTTER / spec.fps
    acc = None
    middle = None
    transforms = None
    for dt in offsets:
        parts, positions, normals = [], {}, {}
        for k, fig in enumerate(figures):
            pos, nor, tr = fig.surfaces(t + dt)
            if k == 0 and dt == offsets[len(offsets) // 2]:
                transforms = tr
            for part in fig.parts:
                key = f"{k}:{part.source}"
                positions[key], normals[key] = pos[part.source], nor[part.source]
                label = part.label if (k == 0 and spec.activity != "none") else 3
                parts.append(replace(part, source=key, label=label))
        renderer.set_runner(parts, positions, normals)
        layers = renderer.render()
        image = composite(layers.rgba, backdrop).astype(np.float32)
        acc = image if acc is None else acc + image
        if dt == offsets[len(offsets) // 2]:
            middle = layers
    return (acc / len(offsets)).astype(np.uint8), middle, transforms


def frame_truth(figure: Figure | None, reader, camera: Camera, spec: Spec, t: float,
                transforms: np.ndarray | None, layers: Layers) -> dict:
    """One frame's truth (see truth.py), or an empty row when nobody is on the treadmill."""
    if figure is None or transforms is None:
        return {"t": t, "activity": "none"}
    runner = figure.runner
    posture = runner.posture(t)
    body_lm = reader.read(transforms)
    world = body_lm @ figure.placement(t)[:3, :3].T + figure.placement(t)[:3, 3]
    xy = camera.project(world)
    row = {"t": t, "activity": spec.activity, "landmarks_world": world, "landmarks_xy": xy}
    row.update(truth_mod.frame_angles(runner, posture, transforms, body_lm))
    row["outline"] = truth_mod.outline_truth(layers.trunk, xy, t, spec.facing)
    row["in_silhouette"] = on_silhouette(xy, layers.labels)
    row["mask_area_px"] = int(np.isin(layers.labels, (1, 2)).sum())
    return row


def on_silhouette(xy: np.ndarray, labels: np.ndarray, radius: int = 2) -> np.ndarray:
    """(33,) whether each landmark's pixel lies on the runner's visible silhouette (±radius)."""
    h, w = labels.shape
    out = np.zeros(len(xy), dtype=bool)
    for k, (x, y) in enumerate(xy):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        xi, yi = int(x), int(y)
        patch = labels[max(yi - radius, 0):min(yi + radius + 1, h), max(xi - radius, 0):min(xi + radius + 1, w)]
        out[k] = bool(np.isin(patch, (1, 2)).any())
    return out


def assemble_truth(spec: Spec, camera: Camera, figure: Figure | None, reader, rows: list[dict]) -> dict:
    """truth.json's content (format `FORMAT`; README "The lab")."""
    c = spec.camera
    out = {
        "format": FORMAT, "name": spec.name, "spec": spec.as_dict(),
        "video": {"file": "clip.mp4", "width": camera.width, "height": camera.height, "fps": spec.fps,
                  "frames": spec.frames, "duration_s": spec.frames / spec.fps},
        "camera": {**camera.as_dict(), "distance_m": c.distance_m, "height_m": c.height_m,
                   "yaw_deg": c.yaw_deg, "roll_deg": c.roll_deg, "hfov_deg": c.hfov_deg},
        "faults": [f.as_dict() for f in spec.faults],
    }
    if figure is None:
        out["runner"] = {"present": False, "activity": "none", "facing": None, "cadence_spm": None,
                         "speed_mps": None, "near_leg": None}
        out["events"], out["strides"] = {}, []
        out["frames"] = {"t": [r["t"] for r in rows], "index": list(range(len(rows))),
                         "activity": ["none"] * len(rows)}
        return out
    runner = figure.runner
    near = near_leg(spec.facing)
    g = runner.gait
    out["runner"] = {"present": True, "activity": spec.activity, "facing": spec.facing, "cadence_spm": g.cadence_spm,
                     "speed_mps": g.speed_mps, "near_leg": near, "height_m": spec.body.height_m,
                     "duty_factor": g.duty, "contact_time_s": g.stance_s}
    out["events"] = {side: dict(zip(("contact", "toe_off"), runner.model.events(side, spec.frames / spec.fps)))
                     for side in ("left", "right")}
    dense = truth_mod.sample_dense(runner, reader, 0.0, spec.frames / spec.fps + 1.0 / truth_mod.STRIDE_HZ)
    out["strides"] = [rounded(s) for s in truth_mod.stride_truth(runner, dense, near, spec.frames / spec.fps)]
    out["frames"] = columns(rows)
    return out


def rounded(d: dict, places: int = 4) -> dict:
    """Floats rounded for the JSON."""
    return {k: (round(v, places) if isinstance(v, float) else v) for k, v in d.items()}


def columns(rows: list[dict]) -> dict:
    """The per-frame rows as columns: scalars, `name.side` pairs as {side: [...]}, landmarks by name."""
    out: dict = {"t": [round(r["t"], 6) for r in rows], "index": list(range(len(rows))),
                 "activity": [r["activity"] for r in rows]}
    keys = [k for k in rows[0] if k not in ("t", "activity", "landmarks_world", "landmarks_xy", "outline", "in_silhouette")]
    for key in keys:
        values = [r.get(key) for r in rows]
        values = [None if v is None or (isinstance(v, float) and not math.isfinite(v)) else round(float(v), 4) for v in values]
        if "." in key:
            name, side = key.split(".")
            out.setdefault(name, {})[side] = values
        else:
            out[key] = values
    names = truth_mod.LANDMARK_NAMES
    out["joints_2d"] = {n: [np.round(r["landmarks_xy"][k], 2).tolist() for r in rows] for k, n in enumerate(names)}
    out["joints_3d"] = {n: [np.round(r["landmarks_world"][k], 4).tolist() for r in rows] for k, n in enumerate(names)}
    out["in_silhouette"] = {n: [int(r["in_silhouette"][k]) for r in rows] for k, n in enumerate(names)}
    out["outline"] = [r["outline"] for r in rows]
    return out


def write_outputs(out_dir: Path, tmp_video: Path, truth: dict, masks: dict[int, np.ndarray], shape) -> None:
    """truth.json and masks.npz beside the video, each renamed into place when complete."""
    tmp_truth = out_dir / "truth.tmp.json"
    tmp_truth.write_text(json.dumps(truth, allow_nan=False, default=float))
    tmp_masks = out_dir / "masks.tmp.npz"
    index = np.array(sorted(masks), dtype=np.int32)
    packed = np.array([masks[i] for i in index], dtype=np.uint8) if len(index) else np.zeros((0, 0), np.uint8)
    with open(tmp_masks, "wb") as f:
        np.savez_compressed(f, index=index, packed=packed, shape=np.array(shape, dtype=np.int32))
    os.replace(tmp_masks, out_dir / "masks.npz")
    os.replace(tmp_truth, out_dir / "truth.json")
    os.replace(tmp_video, out_dir / "clip.mp4")
