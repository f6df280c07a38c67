"""The truth of every frame and stride, defined the way README "What it measures" defines the
app's values, but measured on the posed body instead of on the picture.

- **Landmarks**: the 33 MediaPipe Pose points on the body: joint centres from the rig
  (shoulders, elbows, wrists, hips, knees, ankles: the bones' heads), skin points for the
  rest (nose tip, ears, heel, big-toe tip, knuckles), in world metres and in pixels.
- **Angles** (degrees, body's sagittal plane): trunk lean = mid-hip→mid-shoulder from
  vertical, + forward; thigh = mid-hip→knee, shank = knee→ankle, + when the lower end is
  ahead; pelvic tilt = the pelvis's pitch from the standing rest pose, + anterior;
  thorax–pelvis = pelvis pitch − rib-cage pitch (opens + when the back extends or the pelvis
  tips forward); lumbar extension = the same across the lumbar bones alone; hip extension =
  the thigh behind the pelvis (anatomical, the pelvis's own tilt counted).
- **Strides** with `realtime/analysis/stride_metrics.py`'s definitions (midstance halfway from contact
  to toe-off, the thigh's extension peak from midstance to toe-off + 15 % of the stride, ...),
  read from the model sampled at `STRIDE_HZ`, not from the video's frames.
- **Outline**: the true silhouette's back edge without the arms, read by the app's own
  `realtime.analysis.rib_cage` in the trunk frame of the true hips and shoulders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab.body import Skeleton, apply, foot_vertices
from lab.gait import SIDES
from lab.runner import Posture, Runner, pitch_of
from realtime.analysis.rib_cage import back_side, rib_cage_from_outline, trunk_outline
from realtime.core.pose import N_LANDMARKS, Pose
from realtime.core.pose import Landmark as L

STRIDE_HZ = 120.0
#: Landmarks at a bone's head: MediaPipe index → bone.
BONE_LANDMARKS = {
    L.LEFT_SHOULDER: "upperarm01.L", L.RIGHT_SHOULDER: "upperarm01.R",
    L.LEFT_ELBOW: "lowerarm01.L", L.RIGHT_ELBOW: "lowerarm01.R",
    L.LEFT_WRIST: "wrist.L", L.RIGHT_WRIST: "wrist.R",
    L.LEFT_PINKY: "finger5-1.L", L.RIGHT_PINKY: "finger5-1.R",
    L.LEFT_INDEX: "finger2-1.L", L.RIGHT_INDEX: "finger2-1.R",
    L.LEFT_THUMB: "finger1-2.L", L.RIGHT_THUMB: "finger1-2.R",
    L.LEFT_HIP: "upperleg01.L", L.RIGHT_HIP: "upperleg01.R",
    L.LEFT_KNEE: "lowerleg01.L", L.RIGHT_KNEE: "lowerleg01.R",
    L.LEFT_ANKLE: "foot.L", L.RIGHT_ANKLE: "foot.R",
}
LANDMARK_NAMES = [name.lower() for name in L.__members__]
ARM_LANDMARKS = (L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_PINKY, L.RIGHT_PINKY,
                 L.LEFT_INDEX, L.RIGHT_INDEX, L.LEFT_THUMB, L.RIGHT_THUMB)


def skin_points(skeleton: Skeleton) -> dict[int, np.ndarray]:
    """Landmarks on the skin: MediaPipe index → the rest vertices averaged for it."""
    rest = skeleton.rest_vertices
    body = skeleton.body_vertices
    head = body[np.asarray(skeleton.weights[body][:, skeleton.index["head"]].todense()).ravel() > 0.9]
    out: dict[int, np.ndarray] = {L.NOSE: np.array([head[np.argmax(rest[head, 2])]])}
    eye_y = skeleton.head("head")[1] + 0.07
    for side, sign, ear, eyes in (("L", 1, L.LEFT_EAR, (L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER)),
                                  ("R", -1, L.RIGHT_EAR, (L.RIGHT_EYE_INNER, L.RIGHT_EYE, L.RIGHT_EYE_OUTER))):
        band = head[np.abs(rest[head, 1] - eye_y) < 0.03]
        out[ear] = np.array([band[np.argmax(sign * rest[band, 0])]])
        for k, idx in enumerate(eyes):  # inner, centre, outer along the eye helper
            eye = skeleton.heads[skeleton.index[f"eye.{side}"]]
            near = band[np.argsort(np.linalg.norm(rest[band] - eye - [sign * 0.015 * (k - 1), 0, 0.01], axis=1))[:3]]
            out[idx] = near
    mouth_y = eye_y - 0.075
    front = head[np.abs(rest[head, 1] - mouth_y) < 0.01]
    front = front[rest[front, 2] > rest[front, 2].max() - 0.02]
    out[L.MOUTH_LEFT] = front[[np.argmax(rest[front, 0])]]
    out[L.MOUTH_RIGHT] = front[[np.argmin(rest[front, 0])]]
    for side, heel, toe in (("left", L.LEFT_HEEL, L.LEFT_FOOT_INDEX), ("right", L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)):
        foot = foot_vertices(skeleton, side)
        low = foot[rest[foot, 1] < 0.06]
        out[heel] = np.array([low[np.argmin(rest[low, 2])]])
        out[toe] = np.array([foot[np.argmax(rest[foot, 2])]])
    return out


class LandmarkReader:
    """The 33 landmarks of a posed body, in its body frame (metres)."""

    def __init__(self, skeleton: Skeleton) -> None:
        self.skeleton = skeleton
        self.skin = skin_points(skeleton)
        rows = np.concatenate(list(self.skin.values()))
        self._weights = skeleton.weights[rows]
        self._rest = skeleton.rest_vertices[rows]
        self._spans = np.cumsum([0] + [len(v) for v in self.skin.values()])

    def read(self, transforms: np.ndarray) -> np.ndarray:
        """(33, 3) landmark positions for global bone transforms (body frame)."""
        out = np.full((N_LANDMARKS, 3), np.nan)
        for idx, bone in BONE_LANDMARKS.items():
            b = self.skeleton.index[bone]
            out[idx] = apply(transforms[b], self.skeleton.heads[b])
        points = self.skeleton.skin(transforms, rest=self._rest, weights=self._weights)
        for k, idx in enumerate(self.skin):
            out[idx] = points[self._spans[k]:self._spans[k + 1]].mean(axis=0)
        return out


def forward_deg(vec: np.ndarray, up: bool) -> float:
    """Forward angle of a body-frame segment from vertical (+ forward), for an upward or a
    downward segment."""
    return math.degrees(math.atan2(vec[2], vec[1] if up else -vec[1]))


def frame_angles(runner: Runner, p: Posture, transforms: np.ndarray, lm: np.ndarray) -> dict:
    """The angles of one instant (module doc), from the posed skeleton and its landmarks."""
    sk = runner.skeleton
    hip = (lm[L.LEFT_HIP] + lm[L.RIGHT_HIP]) / 2
    shoulder = (lm[L.LEFT_SHOULDER] + lm[L.RIGHT_SHOULDER]) / 2
    pelvis = pitch_of(transforms[sk.index["root"], :3, :3])
    out = {
        "trunk_lean_deg": forward_deg(shoulder - hip, up=True),
        "pelvic_tilt_deg": pelvis,
        "thorax_pelvis_deg": pelvis - pitch_of(transforms[sk.index["spine01"], :3, :3]),
        "lumbar_extension_deg": pelvis - pitch_of(transforms[sk.index["spine03"], :3, :3]),
        "hip_y_m": float(hip[1]),
    }
    for side, knee, ankle in (("left", L.LEFT_KNEE, L.LEFT_ANKLE), ("right", L.RIGHT_KNEE, L.RIGHT_ANKLE)):
        out[f"thigh_angle_deg.{side}"] = forward_deg(lm[knee] - hip, up=False)
        out[f"shank_angle_deg.{side}"] = forward_deg(lm[ankle] - lm[knee], up=False)
        out[f"hip_extension_deg.{side}"] = -(p.legs[side].thigh_deg - runner.model.legs[side].thigh_rest_deg + p.pelvis_deg)
        out[f"knee_flexion_deg.{side}"] = p.legs[side].knee_flexion_deg
        out[f"contact.{side}"] = int(p.legs[side].stance)
    return out


def truth_pose(xy: np.ndarray, t: float, without_arms: bool = False) -> Pose:
    """A Pose of the true landmarks (pixels), all visible; arms NaN when asked."""
    xy = np.array(xy, dtype=float)
    if without_arms:
        xy[list(ARM_LANDMARKS)] = np.nan
    return Pose(xy=xy, visibility=np.ones(N_LANDMARKS), t=t)


def outline_truth(body_mask: np.ndarray, xy: np.ndarray, t: float, facing: str) -> dict | None:
    """The true back edge (trunk lengths at `rib_cage.LEVELS`, back side) and the app's outline
    values read from it, on the silhouette without the arms; None when it cannot be read."""
    pose = truth_pose(xy, t, without_arms=True)
    outline = trunk_outline(body_mask.astype(np.float32), pose)
    if outline is None:
        return None
    back = outline.right if back_side(facing) > 0 else outline.left
    sample = rib_cage_from_outline(outline, facing)
    values = {} if sample is None else {
        "thorax_pelvis_deg": sample.thorax_pelvis_deg, "pelvic_deg": sample.pelvic_deg,
        "lumbar_arch": sample.lumbar_arch, "rib_flare": sample.rib_flare}
    return {"back_edge": [None if not math.isfinite(v) else round(float(v), 5) for v in back], **values}


@dataclass(frozen=True)
class DenseTruth:
    """The model sampled finely: times (N,) and the per-instant angles, plus landmarks."""

    t: np.ndarray
    values: dict[str, np.ndarray]
    landmarks: np.ndarray  # (N, 33, 3) body frame


def sample_dense(runner: Runner, reader: LandmarkReader, t0: float, t1: float, hz: float = STRIDE_HZ) -> DenseTruth:
    """The angles and landmarks from t0 to t1 at `hz`."""
    ts = np.arange(t0, t1, 1.0 / hz)
    rows, lms = [], []
    for t in ts:
        p, transforms = runner.pose(float(t))
        lm = reader.read(transforms)
        rows.append(frame_angles(runner, p, transforms, lm))
        lms.append(lm)
    values = {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}
    return DenseTruth(ts, values, np.array(lms))


def stride_truth(runner: Runner, dense: DenseTruth, near: str, t_end: float) -> list[dict]:
    """Every stride that starts and ends inside [0, t_end], in strides.csv's definitions."""
    g = runner.gait
    out = []
    for side in SIDES:
        contacts, _ = runner.model.events(side, t_end)
        for t_c in contacts:
            t_next = t_c + g.stride_s
            if t_next > min(t_end, dense.t[-1]):
                continue
            out.append(one_stride(dense, side, side == near, t_c, t_c + g.stance_s, t_next))
    return sorted(out, key=lambda s: s["t_contact"])


def one_stride(d: DenseTruth, side: str, near: bool, t_c: float, t_off: float, t_next: float) -> dict:
    """One stride's values (module doc)."""
    T = t_next - t_c
    t_mid = (t_c + t_off) / 2
    at = lambda key, t: float(np.interp(t, d.t, d.values[key]))  # noqa: E731
    span = (d.t >= t_c) & (d.t <= t_next)
    late = (d.t >= t_mid) & (d.t <= t_off)
    around_off = (d.t >= t_mid) & (d.t <= t_off + 0.15 * T)
    lean = d.values["trunk_lean_deg"]
    thigh = d.values[f"thigh_angle_deg.{side}"]
    lean_mid = at("trunk_lean_deg", t_mid)
    lm = d.landmarks
    hip = (lm[:, L.LEFT_HIP] + lm[:, L.RIGHT_HIP]) / 2
    knee_i, ankle_i, heel_i = ((L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL) if side == "left"
                               else (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL))
    near_knee, near_ankle = knee_i, ankle_i
    leg_len = float(np.median(np.linalg.norm(lm[span, near_knee] - hip[span], axis=1)
                              + np.linalg.norm(lm[span, near_ankle] - lm[span, near_knee], axis=1)))
    heel_ahead = float(np.interp(t_c, d.t, lm[:, heel_i, 2] - hip[:, 2]))
    coupling = np.polyfit(thigh[late], lean[late], 1)[0] if late.sum() >= 3 and np.ptp(thigh[late]) > 0 else None
    median = lambda key: float(np.median(d.values[key][span]))  # noqa: E731
    return {
        "leg": side, "near": near, "t_contact": round(t_c, 4), "t_toe_off": round(t_off, 4),
        "t_next_contact": round(t_next, 4), "cadence_spm": 120.0 / T, "contact_time_s": t_off - t_c,
        "trunk_lean_midstance_deg": lean_mid,
        "thigh_extension_deg": float(thigh[around_off].min()),
        "trunk_back_excursion_deg": max(0.0, lean_mid - float(lean[late].min())),
        "extension_coupling": None if coupling is None else float(coupling),
        "shank_angle_contact_deg": at(f"shank_angle_deg.{side}", t_c),
        "foot_ahead_of_hip": heel_ahead / leg_len,
        "vertical_oscillation": float(np.ptp(d.values["hip_y_m"][span])) / leg_len,
        "hip_extension_deg": float(d.values[f"hip_extension_deg.{side}"][span].max()),
        "thorax_pelvis_deg": median("thorax_pelvis_deg"), "pelvic_tilt_deg": median("pelvic_tilt_deg"),
        "lumbar_extension_deg": median("lumbar_extension_deg"),
    }
