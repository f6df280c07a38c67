"""Drawing frames with pyrender on Mesa's EGL (no display needed).

One `FrameRenderer` per clip: the treadmill is built once; each frame the runner's parts are
replaced with their new vertices. The light is computed per vertex here (Lambert: a key and a
fill light and a sky-like ambient; Gouraud-interpolated by pyrender's flat pass), because
pyrender's PBR fragment shader costs about 65 ms a 720p frame on Mesa's software rasteriser
against 5 ms for the flat pass, and a body of 19,000 vertices shades smoothly per vertex.
Three passes a frame: the colour image (RGBA, so the background shows where nothing was
drawn), the true silhouette (pyrender's segmentation pass, the treadmill drawn black so it
hides what it hides), and the body's silhouette without the arms (for the back's edge).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import trimesh

from lab.figure import Part
from lab.scene import Camera

#: Light presets: (key intensity, fill intensity, ambient, key light offset from the camera (x, y, z) m).
LIGHTING = {
    "bright": (0.62, 0.22, 0.40, (-1.2, 2.0, 0.0)),
    "dim": (0.34, 0.12, 0.22, (-1.2, 2.0, 0.0)),
    "side": (0.75, 0.08, 0.22, (-2.8, 1.2, -2.0)),
}


def use_egl() -> None:
    """Select Mesa's headless EGL for PyOpenGL (before pyrender is imported); a user's setting wins."""
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")


@dataclass(frozen=True)
class Lights:
    """Directional lights (unit vectors pointing from the light into the scene) and an ambient."""

    key: np.ndarray
    key_level: float
    fill: np.ndarray
    fill_level: float
    ambient: float

    def shade(self, albedo: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """(n, 4) float32 lit RGBA in 0..1 for (n, 3) albedos in 0..1 and (n, 3) unit normals."""
        lambert = (self.key_level * np.clip(normals @ -self.key, 0.0, None)
                   + self.fill_level * np.clip(normals @ -self.fill, 0.0, None))
        sky = self.ambient * (0.8 + 0.2 * normals[:, 1])
        rgb = np.clip(albedo * (lambert + sky)[:, None] * 1.15, 0.0, 1.0)
        return np.concatenate([rgb, np.ones((len(rgb), 1))], axis=1).astype(np.float32)


def lights_for(camera: Camera, lighting: str) -> Lights:
    """The preset's lights, placed relative to the camera."""
    if lighting not in LIGHTING:
        raise ValueError(f"lighting must be one of {', '.join(LIGHTING)}, not {lighting!r}")
    key, fill, ambient, offset = LIGHTING[lighting]
    eye = camera.pose[:3, 3]
    target = np.array([0.0, 1.0, 0.0])
    key_dir = target - (eye + np.asarray(offset))
    fill_dir = target - eye
    return Lights(key_dir / np.linalg.norm(key_dir), key, fill_dir / np.linalg.norm(fill_dir), fill, ambient)


@dataclass
class Layers:
    """One drawn frame: `rgba` (H, W, 4) uint8, `labels` (H, W) uint8 of what is seen (0 none,
    1 the runner's body, 2 their arms, 3 anyone else), and `trunk` (H, W) bool: the runner's
    body as if the arms were not there (its outline is whole where an arm crosses it)."""

    rgba: np.ndarray
    labels: np.ndarray
    trunk: np.ndarray


class FrameRenderer:
    """Renders the runner's parts with the room's meshes through one `camera`."""

    def __init__(self, camera: Camera, room: list[trimesh.Trimesh], lighting: str = "bright") -> None:
        use_egl()
        import pyrender  # EGL must be chosen before this import

        self._pr = pyrender
        self.lights = lights_for(camera, lighting)
        self.scene = pyrender.Scene(bg_color=[0, 0, 0, 0])
        self.camera = camera
        cam = pyrender.IntrinsicsCamera(camera.focal_px, camera.focal_px, camera.width / 2, camera.height / 2,
                                        znear=0.05, zfar=30.0)
        self.scene.add(cam, pose=camera.pose)
        self.room_nodes = [self.scene.add(pyrender.Mesh.from_trimesh(self._lit_box(m), smooth=False)) for m in room]
        self._runner_nodes: list = []
        self._labels: dict = {}
        self._renderer = pyrender.OffscreenRenderer(camera.width, camera.height)
        inner = self._renderer._renderer
        inner._read_main_framebuffer = colour_only_read(inner)

    def _lit_box(self, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
        """A room mesh with its faces lit (flat shading: one normal per face)."""
        flat = mesh.copy()
        flat.unmerge_vertices()
        normals = np.repeat(flat.face_normals, 3, axis=0)
        albedo = flat.visual.vertex_colors[:, :3] / 255.0
        flat.visual.vertex_colors = (self.lights.shade(albedo, normals) * 255).astype(np.uint8)
        return flat

    def set_runner(self, parts: list[Part], positions: dict[str, np.ndarray], normals: dict[str, np.ndarray]) -> None:
        """Replace the runner's meshes: each part's vertices cut from `positions[part.source]`."""
        pr = self._pr
        for node in self._runner_nodes:
            self.scene.remove_node(node)
        self._runner_nodes, self._labels = [], {}
        for part in parts:
            n = normals[part.source][part.vertices]
            material = pr.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], doubleSided=part.source.endswith("shell"))
            prim = pr.Primitive(positions=positions[part.source][part.vertices],
                                color_0=self.lights.shade(part.colours[:, :3], n), indices=part.faces, material=material)
            node = self.scene.add(pr.Mesh([prim]))
            self._runner_nodes.append(node)
            self._labels[node] = (part.label,) * 3

    def render(self) -> Layers:
        """The colour image and the silhouette labels of the current scene."""
        flags = self._pr.RenderFlags
        rgba, _ = self._renderer.render(self.scene, flags=flags.RGBA | flags.FLAT)
        hiding = {node: (0, 0, 0) for node in self.room_nodes}
        seg, _ = self._renderer.render(self.scene, flags=flags.SEG, seg_node_map={**self._labels, **hiding})
        no_arms = {node: ((1,) * 3 if label[0] == 1 else (0,) * 3) for node, label in self._labels.items() if label[0] != 2}
        trunk, _ = self._renderer.render(self.scene, flags=flags.SEG, seg_node_map={**no_arms, **hiding})
        return Layers(rgba=np.ascontiguousarray(rgba), labels=np.ascontiguousarray(seg[:, :, 0]),
                      trunk=trunk[:, :, 0] > 0)

    def close(self) -> None:
        """Free the GL context."""
        self._renderer.delete()


def colour_only_read(renderer):
    """A replacement for one pyrender Renderer's framebuffer read that returns (colour, None).

    pyrender 0.1.45 converts the whole depth buffer to metres in numpy on every read (about
    30 ms a pass at 720p) though the lab uses none of it: this does the same colour blit and
    read as its `_read_main_framebuffer`, without the depth.
    """
    from OpenGL import GL
    from pyrender.constants import RenderFlags

    def read(scene, flags):
        width, height = renderer._main_fb_dims
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb_ms)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._main_fb)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb)
        channels, fmt = (4, GL.GL_RGBA) if flags & RenderFlags.RGBA else (3, GL.GL_RGB)
        buf = GL.glReadPixels(0, 0, width, height, fmt, GL.GL_UNSIGNED_BYTE)
        colour = np.frombuffer(buf, dtype=np.uint8).reshape((height, width, channels))
        return np.flip(colour, axis=0), None

    return read


class NormalMaker:
    """Smooth vertex normals of one triangle mesh, its vertex–face incidence built once."""

    def __init__(self, faces: np.ndarray, n_vertices: int) -> None:
        self.faces = faces
        self.n_vertices = n_vertices
        self._sparse = trimesh.geometry.index_sparse(n_vertices, faces)

    def __call__(self, vertices: np.ndarray) -> np.ndarray:
        """(V, 3) unit normals for (V, 3) vertices."""
        tri = vertices[self.faces]
        face_normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        face_normals /= np.maximum(np.linalg.norm(face_normals, axis=1, keepdims=True), 1e-12)
        return trimesh.geometry.mean_vertex_normals(self.n_vertices, self.faces, face_normals, sparse=self._sparse)
