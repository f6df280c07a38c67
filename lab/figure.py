"""What is drawn of a runner: the skin and clothes coloured on the body, a loose top as a shell.

Clothes are painted on the body by which bones move each vertex (the skin weights): a
fitted top on the trunk (bare arms), shorts or tights on the legs, shoes on the feet. A loose
top is a second surface: the trunk and upper arms pushed out along their normals and
smoothed (Taubin's smoothing, which keeps the volume), so it hangs over the hollow of the back instead of following it, skinned with the
body's own weights. Every part is labelled for the true silhouette: 1 trunk, legs and head,
2 the arms (so the back's edge can be read without them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import trimesh

from lab.assets import Assets
from lab.body import Skeleton

TRUNK = ("spine01", "spine02", "spine03", "spine04", "spine05", "breast", "clavicle", "shoulder01")
PELVIS = ("root", "pelvis")
THIGH_TOP = ("upperleg01",)
THIGH = ("upperleg01", "upperleg02")
SHANK = ("lowerleg01", "lowerleg02")
FEET = ("foot", "toe")
ARMS = ("upperarm", "lowerarm", "wrist", "metacarpal", "finger")
UPPER_ARM = ("upperarm01",)

SKIN_TONES = {"light": (0.86, 0.69, 0.58), "medium": (0.74, 0.55, 0.42), "tan": (0.62, 0.44, 0.32),
              "dark": (0.38, 0.26, 0.19)}
COLOURS = {"black": (0.07, 0.07, 0.08), "navy": (0.09, 0.13, 0.30), "red": (0.70, 0.10, 0.12),
           "grey": (0.45, 0.46, 0.48), "white": (0.88, 0.88, 0.86), "teal": (0.05, 0.45, 0.45),
           "orange": (0.90, 0.45, 0.10), "pink": (0.85, 0.45, 0.60), "blue": (0.15, 0.35, 0.75)}
HAIR = (0.12, 0.09, 0.07)
EYES = (0.15, 0.12, 0.10)
SHOE_SOLE = (0.92, 0.92, 0.92)
#: The loose top stands this far off the skin (metres), more towards its hem.
SHELL_OFFSET_M = 0.03
SHELL_HEM_EXTRA_M = 0.04
SHELL_SMOOTHING = 30


@dataclass(frozen=True)
class Outfit:
    """top: 'fitted' (bare arms), 'tshirt' (fitted, short sleeves) or 'loose'; bottoms: 'shorts' or
    'tights'; hair: 'short' (painted on the scalp), 'long' (MakeHuman's hair volume) or 'none';
    colours are names of COLOURS, skin of SKIN_TONES."""

    top: str = "fitted"
    bottoms: str = "shorts"
    top_colour: str = "navy"
    bottoms_colour: str = "black"
    shoes_colour: str = "white"
    skin: str = "light"
    hair: str = "short"

    def __post_init__(self) -> None:
        if self.top not in ("fitted", "tshirt", "loose"):
            raise ValueError(f"top must be fitted, tshirt or loose, not {self.top!r}")
        if self.bottoms not in ("shorts", "tights"):
            raise ValueError(f"bottoms must be shorts or tights, not {self.bottoms!r}")
        for name in (self.top_colour, self.bottoms_colour, self.shoes_colour):
            if name not in COLOURS:
                raise ValueError(f"unknown colour {name!r}; one of {', '.join(COLOURS)}")
        if self.skin not in SKIN_TONES:
            raise ValueError(f"unknown skin tone {self.skin!r}; one of {', '.join(SKIN_TONES)}")
        if self.hair not in ("short", "long", "none"):
            raise ValueError(f"hair must be short, long or none, not {self.hair!r}")


@dataclass(frozen=True)
class Part:
    """A drawn surface: `vertices` index the skinned set it is cut from (`source` 'body' or
    'shell'), `faces` index into `vertices`, one RGBA colour per vertex, a silhouette label."""

    name: str
    source: str
    vertices: np.ndarray
    faces: np.ndarray
    colours: np.ndarray
    label: int


def bone_share(skeleton: Skeleton, prefixes: tuple[str, ...]) -> np.ndarray:
    """(V,) the share of each vertex's skin weight on bones whose names start with `prefixes`."""
    cols = [i for i, n in enumerate(skeleton.names) if n.startswith(prefixes)]
    return np.asarray(skeleton.weights[:, cols].sum(axis=1)).ravel()


def paint(skeleton: Skeleton, outfit: Outfit) -> np.ndarray:
    """(V, 4) vertex colours of the body: skin, the fitted clothes and shoes."""
    colour = np.tile(np.r_[SKIN_TONES[outfit.skin], 1.0], (len(skeleton.rest_vertices), 1))
    if outfit.top in ("fitted", "tshirt"):
        covered = TRUNK + (UPPER_ARM if outfit.top == "tshirt" else ())
        colour[bone_share(skeleton, covered) > 0.5, :3] = COLOURS[outfit.top_colour]
    legs = PELVIS + (THIGH_TOP if outfit.bottoms == "shorts" else THIGH + SHANK)
    colour[bone_share(skeleton, legs) > 0.5, :3] = COLOURS[outfit.bottoms_colour]
    feet = bone_share(skeleton, FEET) > 0.4
    colour[feet, :3] = COLOURS[outfit.shoes_colour]
    sole = feet & (skeleton.rest_vertices[:, 1] < 0.025)
    colour[sole, :3] = SHOE_SOLE
    if outfit.hair == "short":
        colour[scalp(skeleton), :3] = HAIR
    return colour


def scalp(skeleton: Skeleton) -> np.ndarray:
    """(V,) the head's skin above the forehead and behind the ears: where short hair grows."""
    rest = skeleton.rest_vertices
    head = bone_share(skeleton, ("head",)) > 0.9
    eyes = (skeleton.head("eye.L") + skeleton.head("eye.R")) / 2
    above_brow = rest[:, 1] > eyes[1] + 0.035
    behind = (rest[:, 2] < eyes[2] - 0.085) & (rest[:, 1] > eyes[1] - 0.045)
    sideburns = (rest[:, 2] < eyes[2] - 0.06) & (rest[:, 1] > eyes[1] + 0.0)
    return head & (above_brow & (rest[:, 2] < eyes[2] - 0.01) | behind | sideburns)


def split_by_label(faces: np.ndarray, is_arm: np.ndarray) -> dict[int, np.ndarray]:
    """Faces by silhouette label: 2 where most of a face's vertices belong to an arm."""
    arm_face = is_arm[faces].sum(axis=1) >= 2
    return {1: faces[~arm_face], 2: faces[arm_face]}


def local_part(name: str, source: str, faces: np.ndarray, colours: np.ndarray, label: int) -> Part:
    """A part cut from a skinned set: its own vertex list and re-indexed faces."""
    used, inverse = np.unique(faces, return_inverse=True)
    return Part(name, source, used, inverse.reshape(faces.shape).astype(np.int32), colours[used], label)


def body_parts(assets: Assets, skeleton: Skeleton, outfit: Outfit) -> list[Part]:
    """The painted body (trunk, legs, head / arms), hair and eyes."""
    colours = paint(skeleton, outfit)
    is_arm = bone_share(skeleton, ARMS) > 0.5
    parts = [local_part(f"body{label}", "body", faces, colours, label)
             for label, faces in split_by_label(assets.faces["body"], is_arm).items()]
    if outfit.hair == "long":
        hair = np.tile(np.r_[HAIR, 1.0], (len(colours), 1))
        parts.append(local_part("hair", "body", assets.faces["helper-hair"], hair, 1))
    eyes = np.tile(np.r_[EYES, 1.0], (len(colours), 1))
    for eye in ("helper-l-eye", "helper-r-eye"):
        parts.append(local_part(eye, "body", assets.faces[eye], eyes, 1))
    return parts


@dataclass(frozen=True)
class Shell:
    """A loose top: rest vertices (n, 3), their skin weights (n, B), and the parts to draw."""

    rest_vertices: np.ndarray
    weights: scipy.sparse.csr_matrix
    parts: list[Part]


def loose_top(assets: Assets, skeleton: Skeleton, outfit: Outfit) -> Shell:
    """The trunk and upper arms' skin pushed out, smoothed, and skinned like the skin beneath."""
    share = bone_share(skeleton, TRUNK + UPPER_ARM + PELVIS)
    hips_y = skeleton.head("upperleg01.L")[1]
    covered = np.zeros(len(share), dtype=bool)
    covered[skeleton.body_vertices] = True
    covered &= (share > 0.5) & (skeleton.rest_vertices[:, 1] > hips_y - 0.02)
    faces = assets.faces["body"]
    faces = faces[covered[faces].all(axis=1)]
    src, inverse = np.unique(faces, return_inverse=True)
    local_faces = inverse.reshape(faces.shape)
    body = trimesh.Trimesh(skeleton.rest_vertices, assets.faces["body"], process=False)
    normals = body.vertex_normals[src]
    rest = skeleton.rest_vertices[src]
    waist_y = skeleton.head("spine03")[1]
    hem = np.clip((waist_y - rest[:, 1]) / max(waist_y - hips_y, 1e-6), 0.0, 1.0)
    pushed = rest + normals * (SHELL_OFFSET_M + SHELL_HEM_EXTRA_M * hem)[:, None]
    shell = trimesh.Trimesh(pushed, local_faces, process=False)
    trimesh.smoothing.filter_taubin(shell, lamb=0.5, nu=0.53, iterations=SHELL_SMOOTHING)
    colours = np.tile(np.r_[COLOURS[outfit.top_colour], 1.0], (len(src), 1))
    is_arm = bone_share(skeleton, ARMS)[src] > 0.5
    parts = [Part(f"shell{label}", "shell", np.arange(len(src)), f, colours, label)
             for label, f in split_by_label(local_faces, is_arm).items()]
    return Shell(np.asarray(shell.vertices), skeleton.weights[src], parts)
