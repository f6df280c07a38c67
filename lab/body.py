"""A MakeHuman body of a chosen shape, its skeleton, forward kinematics and skinning.

Coordinates: metres, Y up, the body facing +Z with its left side at +X, the soles at y = 0 in
the rest pose. Every bone turns about its own head by a rotation given in these rest axes;
a bone's global transform is its parent's times that turn, so a chain of turns about the same
axis adds up (`Skeleton.pose`). Vertices follow by linear blend skinning.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse

from lab.assets import Assets

#: MakeHuman's macro shape: the race targets mixed in equal parts, age "young" (25 years).
RACES = ("african", "asian", "caucasian")


@dataclass(frozen=True)
class BodyShape:
    """Who runs: stature in metres, and MakeHuman's macro sliders in 0..1.

    sex: 0 female, 1 male; weight and muscle: 0.5 average.
    """

    height_m: float = 1.75
    sex: float = 1.0
    weight: float = 0.5
    muscle: float = 0.5

    def __post_init__(self) -> None:
        if not 1.3 <= self.height_m <= 2.2:
            raise ValueError(f"height_m {self.height_m} is outside 1.3..2.2 m")
        for name in ("sex", "weight", "muscle"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} {value} is outside 0..1")


def slider_weights(value: float, low: str, mid: str, high: str) -> dict[str, float]:
    """MakeHuman's two-part slider: 0 = all `low`, 0.5 = all `mid`, 1 = all `high`."""
    if value < 0.5:
        return {low: 1.0 - 2.0 * value, mid: 2.0 * value}
    return {mid: 2.0 - 2.0 * value, high: 2.0 * value - 1.0}


def macro_targets(shape: BodyShape) -> dict[str, float]:
    """The shape targets and their weights for `shape` (MakeHuman's macro modifier)."""
    sexes = {"female": 1.0 - shape.sex, "male": shape.sex}
    muscles = slider_weights(shape.muscle, "minmuscle", "averagemuscle", "maxmuscle")
    weights = slider_weights(shape.weight, "minweight", "averageweight", "maxweight")
    out: dict[str, float] = {}
    for sex, ws in sexes.items():
        if ws <= 0:
            continue
        for race in RACES:
            out[f"macrodetails/{race}-{sex}-young"] = ws / len(RACES)
        for muscle, wm in muscles.items():
            for weight, ww in weights.items():
                if wm * ww > 0:
                    out[f"macrodetails/universal-{sex}-young-{muscle}-{weight}"] = ws * wm * ww
    return out


def shaped_vertices(assets: Assets, shape: BodyShape) -> np.ndarray:
    """The rest mesh morphed to `shape`, scaled to its stature, soles at y = 0."""
    verts = assets.vertices.copy()
    for name, weight in macro_targets(shape).items():
        verts += weight * assets.target(name)
    body = verts[assets.groups["body"]]
    sole, top = body[:, 1].min(), body[:, 1].max()
    verts = (verts - [0.0, sole, 0.0]) * (shape.height_m / (top - sole))
    return verts


def bone_point(spec: dict, verts: np.ndarray, groups: dict[str, np.ndarray]) -> np.ndarray:
    """A bone end from the rig's strategy: a joint cube's centre, a vertex, or a mean of vertices."""
    strategy = spec["strategy"]
    if strategy == "CUBE":
        return verts[groups[spec["cube_name"]]].mean(axis=0)
    if strategy == "VERTEX":
        return verts[spec["vertex_index"]]
    if strategy == "MEAN":
        return verts[spec["vertex_indices"]].mean(axis=0)
    raise ValueError(f"unknown bone strategy {strategy}")


class Skeleton:
    """The rig on one shaped body: bone heads and tails, FK, and skinning.

    heads, tails: (B, 3) rest positions; parents: (B,) parent index or -1.
    """

    def __init__(self, assets: Assets, rest_vertices: np.ndarray) -> None:
        self.names = assets.bones
        self.index = {name: i for i, name in enumerate(self.names)}
        rig = assets.rig
        self.parents = np.array([self.index[rig[b]["parent"]] if rig[b]["parent"] else -1 for b in self.names])
        self.heads = np.array([bone_point(rig[b]["head"], rest_vertices, assets.groups) for b in self.names])
        self.tails = np.array([bone_point(rig[b]["tail"], rest_vertices, assets.groups) for b in self.names])
        self.rest_vertices = rest_vertices
        self.body_vertices = assets.groups["body"]
        self.weights = scipy.sparse.csr_matrix(
            (assets.weight_vals, (assets.weight_rows, assets.weight_cols)),
            shape=(len(rest_vertices), len(self.names)),
        )

    def head(self, bone: str) -> np.ndarray:
        """The rest position of a bone's head."""
        return self.heads[self.index[bone]]

    def pose(self, turns: dict[str, np.ndarray]) -> np.ndarray:
        """Global (B, 4, 4) transforms for per-bone turns (3×3, rest axes, about each head).

        A bone without a turn moves exactly as its parent does.
        """
        out = np.empty((len(self.names), 4, 4))
        local = np.eye(4)
        for i, name in enumerate(self.names):
            parent = self.parents[i]
            turn = turns.get(name)
            if turn is None:
                out[i] = np.eye(4) if parent < 0 else out[parent]
                continue
            local[:3, :3] = turn
            local[:3, 3] = self.heads[i] - turn @ self.heads[i]
            out[i] = local if parent < 0 else out[parent] @ local
        return out

    def skin(self, transforms: np.ndarray, placement: np.ndarray | None = None,
             rest: np.ndarray | None = None, weights: scipy.sparse.csr_matrix | None = None) -> np.ndarray:
        """Skinned (V, 3) vertices for global bone transforms, then the 4×4 `placement`.

        `rest` and `weights` default to the body's; a loose top passes its own.
        """
        rest = self.rest_vertices if rest is None else rest
        weights = self.weights if weights is None else weights
        if placement is not None:
            transforms = placement @ transforms
        blended = (weights @ transforms[:, :3, :].reshape(len(self.names), 12)).reshape(-1, 3, 4)
        return np.einsum("vij,vj->vi", blended[:, :, :3], rest) + blended[:, :, 3]

    @cached_property
    def total_weight(self) -> np.ndarray:
        """(V,) sum of each vertex's skin weights (1 for every drawn vertex)."""
        return np.asarray(self.weights.sum(axis=1)).ravel()


def apply(transform: np.ndarray, point: np.ndarray) -> np.ndarray:
    """A 4×4 transform applied to a (3,) or (N, 3) point."""
    return point @ transform[:3, :3].T + transform[:3, 3]


def foot_vertices(skeleton: Skeleton, side: str) -> np.ndarray:
    """Body vertices (not the helpers') skinned mostly (> 0.5) to one foot and its toes."""
    s = ".L" if side == "left" else ".R"
    cols = [i for i, n in enumerate(skeleton.names) if n == "foot" + s or (n.startswith("toe") and n.endswith(s))]
    share = np.asarray(skeleton.weights[skeleton.body_vertices][:, cols].sum(axis=1)).ravel()
    return skeleton.body_vertices[share > 0.5]
