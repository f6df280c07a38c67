"""A runner: one body, one gait and its faults, posed at any time t.

The posture is set by segment angles in the sagittal plane (body frame: z forward, y up):

- pelvis pitch P (+ anterior tilt, from the standing rest pose), trunk pitch Q of the rib
  cage (+ forward); the lumbar spine (spine05, spine04, spine03) takes Q − P between them,
  the thoracic bones stay as they are, so the rib cage follows the spine. spine05 (the
  sacrum and lowest lumbar level, whose skin is the back of the pelvis in MakeHuman's
  weights) tips with the pelvis's own tilt; spine04 and spine03 undo it;
- a trunk-lean fault turns pelvis and rib cage together (from the hips), a lumbar extension
  turns the rib cage back alone (a level-lean arch does both: lab/faults.py), an anterior pelvic tilt turns the pelvis alone (the lumbar
  spine extends by as much, the rib cage stays);
- a hip-extension limit: when the thigh goes further behind than the hip allows, the pelvis
  tips forward by the excess and the trunk tips back by `BACK_SHARE` of it ("going through
  the back");
- legs from `GaitModel`, arms swinging against the opposite leg, the head kept level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from scipy.spatial.transform import Rotation

from lab.body import Skeleton, apply, foot_vertices
from lab.faults import LEAN_PER_LUMBAR_DEG, Fault, total
from lab.gait import SIDES, Gait, GaitModel, LegGeometry, LegState

SUFFIX = {"left": ".L", "right": ".R"}
LUMBAR_SHARES = {"spine05": 0.35, "spine04": 0.35, "spine03": 0.30}
NECK_SHARES = {"neck01": 0.3, "neck02": 0.2, "neck03": 0.2, "head": 0.2}
#: Of the pelvis's forward tip that makes up a missing hip extension, the share the trunk
#: tips back (the low back extends: the seed's "going through your back").
BACK_SHARE = 0.8
#: Natural swings at step frequency: the pelvis tips forward most at toe-off, the trunk a little.
PELVIS_SWING_DEG = 2.0
TRUNK_SWING_DEG = 1.0
#: How far out from vertical the upper arms hang (clear of the trunk).
ARM_SPREAD_DEG = 11.0
#: The forearms come in toward the body's midline (degrees out from vertical, in the swing plane).
FOREARM_SPREAD_DEG = 2.0
#: Finger bends at the three joints (fingers, thumb), a loose running fist.
FINGER_BEND_DEG = {False: (45.0, 60.0, 40.0), True: (10.0, 20.0, 15.0)}
#: The latest midstance (share of the stance) an overstrider's foot placement may need.
OVERSTRIDE_MAX_SHARE = 0.8
#: Hip extension the healthy hip allows (no compensation below it).
FREE_HIP_EXTENSION_DEG = 40.0


def rot_x(deg: float) -> np.ndarray:
    """Rotation about the body's left axis (+X): + turns an upward segment's top forward."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about the forward axis (+Z)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def forward_angle_down(vec: np.ndarray) -> float:
    """Forward angle of a downward segment (x, y, z) from vertical, + when its lower end is ahead."""
    return math.degrees(math.atan2(vec[2], -vec[1]))


def forward_angle_up(vec: np.ndarray) -> float:
    """Forward angle of an upward segment from vertical, + when its top is ahead."""
    return math.degrees(math.atan2(vec[2], vec[1]))


def spread_angle(vec: np.ndarray, target_deg: float) -> float:
    """The turn about +Z that makes a downward segment's sideways angle `target_deg` (+ to +X)."""
    return target_deg - math.degrees(math.atan2(vec[0], -vec[1]))


def hanging(spread_deg: float) -> np.ndarray:
    """A unit vector pointing down, tipped `spread_deg` towards +X."""
    return np.array([math.sin(math.radians(spread_deg)), -math.cos(math.radians(spread_deg)), 0.0])


def aim(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The least turn (3×3) that points the direction `rest` along `target`."""
    a, b = rest / np.linalg.norm(rest), target / np.linalg.norm(target)
    axis = np.cross(a, b)
    angle = math.atan2(np.linalg.norm(axis), float(np.dot(a, b)))
    if angle < 1e-9:
        return np.eye(3)
    return Rotation.from_rotvec(axis / np.linalg.norm(axis) * angle).as_matrix()


def pitch_of(rotation: np.ndarray) -> float:
    """Sagittal pitch of a rotation (how far it tips the up axis forward), degrees."""
    return math.degrees(math.atan2(rotation[2, 1], rotation[1, 1]))


@dataclass(frozen=True)
class Posture:
    """Pelvis and trunk pitch and the legs at one instant (degrees; see the module doc)."""

    t: float
    pelvis_deg: float
    trunk_deg: float
    tilt_deg: float  # the pelvis's own anterior tilt within pelvis_deg (not a lean from the hips)
    hip_y: float
    legs: dict[str, LegState]
    arm_deg: dict[str, float]
    elbow_deg: dict[str, float]


class Runner:
    """`skeleton` moving with `gait` and `faults`; `pose(t)` gives bone turns and the placement.

    `lead`: the leg that lands first, at `first_contact_s`.
    """

    def __init__(self, skeleton: Skeleton, gait: Gait, faults: tuple[Fault, ...] = (),
                 first_contact_s: float = 0.1, lead: str = "left") -> None:
        self.skeleton = skeleton
        self.gait = gait
        self.faults = faults
        self.mid_hip_rest = (skeleton.head("upperleg01.L") + skeleton.head("upperleg01.R")) / 2
        self.leg_spread = {side: self._leg_spread(side) for side in SIDES}
        legs = {side: self._leg_geometry(side) for side in SIDES}
        hips = {side: tuple((skeleton.head("upperleg01" + SUFFIX[side]) - self.mid_hip_rest)[[2, 1]]) for side in SIDES}
        self.model = GaitModel(gait, legs, hips, first_contact_s, self._midstance_share_at, lead)
        shoulder = (skeleton.head("upperarm01.L") + skeleton.head("upperarm01.R")) / 2
        self.trunk_rest_deg = forward_angle_up(shoulder - self.mid_hip_rest)

    # --- geometry of this body ----------------------------------------------------------------

    def _bone_vec(self, a: str, b: str) -> np.ndarray:
        return self.skeleton.head(b) - self.skeleton.head(a)

    def _leg_spread(self, side: str) -> float:
        """Hip ad/abduction that puts the ankle under the hip, step_width apart from the other."""
        s = SUFFIX[side]
        sign = 1.0 if side == "left" else -1.0
        hip = self.skeleton.head("upperleg01" + s)
        leg = self._bone_vec("upperleg01" + s, "foot" + s)
        target_x = sign * self.gait.step_width_m / 2 - hip[0]
        target = math.degrees(math.atan2(target_x, math.sqrt(max(leg[0] ** 2 + leg[1] ** 2 - target_x**2, 1e-9))))
        return spread_angle(leg, target)

    def _leg_geometry(self, side: str) -> LegGeometry:
        s = SUFFIX[side]
        spread = rot_z(self.leg_spread[side])
        thigh = spread @ self._bone_vec("upperleg01" + s, "lowerleg01" + s)
        shank = spread @ self._bone_vec("lowerleg01" + s, "foot" + s)
        ankle = self.skeleton.head("foot" + s)
        heel_z, ball_z = self.foot_points[side]
        return LegGeometry(
            thigh=float(np.hypot(thigh[1], thigh[2])), shank=float(np.hypot(shank[1], shank[2])),
            thigh_rest_deg=forward_angle_down(thigh), shank_rest_deg=forward_angle_down(shank),
            ankle_from_heel=(float(ankle[2] - heel_z), float(ankle[1])),
            ankle_from_ball=(float(ankle[2] - ball_z), float(ankle[1])),
            ball_from_heel=float(ball_z - heel_z),
        )

    @cached_property
    def foot_points(self) -> dict[str, tuple[float, float]]:
        """(heel z, ball z) of each flat foot at rest: the sole's back end and the toes' base."""
        out = {}
        for side in SIDES:
            s = SUFFIX[side]
            verts = self.skeleton.rest_vertices[foot_vertices(self.skeleton, side)]
            ball = np.mean([self.skeleton.head(f"toe{k}-1{s}")[2] for k in range(1, 6)])
            out[side] = (float(verts[:, 2].min()), float(ball))
        return out

    # --- faults that act per stride -----------------------------------------------------------

    def _midstance_share_at(self, t_contact: float) -> float:
        """Overstride: the foot lands further ahead, its shank tipped forward by the fault's size
        more than this runner's own; decided once per stride, at its contact."""
        extra = total(self.faults, "overstride", t_contact)
        if extra <= 0:
            return self.gait.midstance_share
        return self._share_for_shank(round(extra, 6))

    @lru_cache(maxsize=128)
    def _share_for_shank(self, extra_deg: float) -> float:
        """The midstance share at which the landing shank is `extra_deg` more forward (bisection)."""
        model, base = self.model, self.gait.midstance_share
        target = model.shank_at_contact("left", base) + extra_deg
        low, high = base, OVERSTRIDE_MAX_SHARE
        if model.shank_at_contact("left", high) < target:
            raise ValueError(f"an overstride of {extra_deg:g}° is beyond this runner's reach")
        for _ in range(30):
            mid = (low + high) / 2
            low, high = (mid, high) if model.shank_at_contact("left", mid) < target else (low, mid)
        return (low + high) / 2

    # --- posture at t ---------------------------------------------------------------------------

    def posture(self, t: float) -> Posture:
        """Segment angles at t, faults applied, the hip-extension limit resolved."""
        g = self.gait
        step = g.stride_s / 2
        toe_off_phase = 2 * math.pi * (t - self.model.contact_time("left", t) - g.stance_s) / step
        level_arch = total(self.faults, "level_lean_arch", t)
        lean_fault = total(self.faults, "trunk_lean", t) + LEAN_PER_LUMBAR_DEG * level_arch
        tilt = PELVIS_SWING_DEG * math.cos(toe_off_phase) + total(self.faults, "anterior_pelvic_tilt", t)
        trunk = (g.trunk_lean_deg - self.trunk_rest_deg + TRUNK_SWING_DEG * math.cos(toe_off_phase + math.pi)
                 + lean_fault - total(self.faults, "lumbar_extension", t) - level_arch)
        hip_y = self.model.hip_height(t)
        legs = {side: self.model.leg(side, t, self._hip(side, hip_y)) for side in SIDES}
        limit = self._hip_limit(t)
        if limit is not None:
            excess = max(self._hip_extension(legs[side], lean_fault + tilt, side) - limit for side in SIDES)
            if excess > 0:
                tilt += excess
                trunk -= BACK_SHARE * excess
        arms, elbows = self._arms(t)
        return Posture(t, lean_fault + tilt, trunk, tilt, hip_y, legs, arms, elbows)

    def _hip(self, side: str, hip_y: float) -> np.ndarray:
        return np.array([0.0, hip_y]) + self.model.hip_offsets[side]

    def _hip_limit(self, t: float) -> float | None:
        """The hip extension allowed at t (None: free)."""
        faults = [f for f in self.faults if f.kind == "hip_extension_limit"]
        if not faults:
            return None
        levels = [FREE_HIP_EXTENSION_DEG - (FREE_HIP_EXTENSION_DEG - f.magnitude) * f.level(t) for f in faults]
        return min(levels)

    def _hip_extension(self, leg: LegState, pelvis_deg: float, side: str) -> float:
        """The hip's anatomical extension: the thigh behind the pelvis, degrees."""
        rest = self.model.legs[side].thigh_rest_deg
        return -(leg.thigh_deg - rest + pelvis_deg)

    def _arms(self, t: float) -> tuple[dict[str, float], dict[str, float]]:
        """Each arm swings forward as the opposite leg does (relative to the trunk)."""
        g = self.gait
        arms, elbows = {}, {}
        for side, other in (("left", "right"), ("right", "left")):
            phase = 2 * math.pi * (t - self.model.contact_time(other, t) + 0.05 * g.stride_s) / g.stride_s
            arms[side] = g.arm_mean_deg + g.arm_swing_deg * math.cos(phase)
            elbows[side] = g.elbow_deg + g.elbow_swing_deg * math.cos(phase)
        return arms, elbows

    # --- bones ---------------------------------------------------------------------------------

    def turns(self, p: Posture) -> dict[str, np.ndarray]:
        """Per-bone turns (rest axes) for a posture."""
        turns = {"root": rot_x(p.pelvis_deg)}
        bend = p.trunk_deg - p.pelvis_deg + p.tilt_deg  # the lumbar bend a level pelvis would need
        for bone, share in LUMBAR_SHARES.items():
            # the tilt is undone above spine05, which tips with the pelvis it sits on
            undo = 0.0 if bone == "spine05" else p.tilt_deg / (len(LUMBAR_SHARES) - 1)
            turns[bone] = rot_x(share * bend - undo)
        for bone, share in NECK_SHARES.items():
            turns[bone] = rot_x(-share * p.trunk_deg)
        for side in SIDES:
            turns.update(self._leg_turns(side, p.legs[side], p.pelvis_deg))
            turns.update(self._arm_turns(side, p.arm_deg[side], p.elbow_deg[side], p.trunk_deg))
        return turns

    def _leg_turns(self, side: str, leg: LegState, pelvis_deg: float) -> dict[str, np.ndarray]:
        s = SUFFIX[side]
        geo = self.model.legs[side]
        spread = rot_z(self.leg_spread[side])
        thigh = geo.thigh_rest_deg - leg.thigh_deg  # rotations about +X turn a downward segment back
        shank = geo.shank_rest_deg - leg.shank_deg
        turns = {
            "upperleg01" + s: rot_x(thigh - pelvis_deg) @ spread,
            "lowerleg01" + s: spread.T @ rot_x(shank - thigh) @ spread,
            "foot" + s: spread.T @ rot_x(-leg.foot_pitch_deg - shank),  # + pitch (toes up) is −X
        }
        toes = rot_x(-leg.toe_bend_deg)
        turns.update({f"toe{k}-1{s}": toes for k in range(1, 6)})
        return turns

    def _arm_turns(self, side: str, arm_deg: float, elbow_deg: float, trunk_deg: float) -> dict[str, np.ndarray]:
        """Aim the upper arm `arm_deg` forward of the trunk (spread out to the side) and the
        forearm `elbow_deg` further forward, each by the least turn from its rest direction."""
        s = SUFFIX[side]
        sign = 1.0 if side == "left" else -1.0
        trunk = rot_x(trunk_deg)  # the rib cage's global turn; clavicle and shoulder follow it
        upper_dir = rot_x(-arm_deg) @ hanging(sign * ARM_SPREAD_DEG)
        fore_dir = rot_x(-(arm_deg + elbow_deg)) @ hanging(sign * FOREARM_SPREAD_DEG)
        upper = aim(self._bone_vec("upperarm01" + s, "lowerarm01" + s), upper_dir)
        upper_global = trunk @ upper
        fore = aim(upper_global @ self._bone_vec("lowerarm01" + s, "wrist" + s), trunk @ fore_dir)
        turns = {"upperarm01" + s: upper, "lowerarm01" + s: upper_global.T @ fore @ upper_global}
        turns.update(self.finger_curl[side])
        return turns

    @cached_property
    def finger_curl(self) -> dict[str, dict[str, np.ndarray]]:
        """Loose fists: every finger bone bent toward the palm (the thumb less)."""
        out: dict[str, dict[str, np.ndarray]] = {}
        for side in SIDES:
            s = SUFFIX[side]
            across = self.skeleton.head("finger5-1" + s) - self.skeleton.head("finger2-1" + s)
            axis = across / np.linalg.norm(across) * (1.0 if side == "left" else -1.0)
            out[side] = {}
            for finger in range(1, 6):
                for joint, bend in zip((1, 2, 3), FINGER_BEND_DEG[finger == 1]):
                    name = f"finger{finger}-{joint}{s}"
                    out[side][name] = Rotation.from_rotvec(math.radians(bend) * axis).as_matrix()
        return out

    def placement(self, p: Posture, turns_global: np.ndarray) -> np.ndarray:
        """The body-frame translation that puts the hips' midpoint at (0, hip_y, 0)."""
        mid = (apply(turns_global[self.skeleton.index["upperleg01.L"]], self.skeleton.head("upperleg01.L"))
               + apply(turns_global[self.skeleton.index["upperleg01.R"]], self.skeleton.head("upperleg01.R"))) / 2
        out = np.eye(4)
        out[:3, 3] = np.array([0.0, p.hip_y, 0.0]) - mid
        return out

    def pose(self, t: float) -> tuple[Posture, np.ndarray]:
        """(posture, (B, 4, 4) global bone transforms in the body frame) at t."""
        p = self.posture(t)
        transforms = self.skeleton.pose(self.turns(p))
        return p, self.placement(p, transforms) @ transforms
