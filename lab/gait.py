"""A treadmill gait in the sagittal plane: when each foot is down, and where every leg segment is.

Pure maths, time passed in. The body frame: z forward, y up, metres, the belt's top at
y = 0, the hips' midpoint at z = 0 (a treadmill runner stays in place). Angles in degrees:

- a leg segment's *forward angle* (thigh hip→knee, shank knee→ankle) from the downward
  vertical, + when its lower end is ahead (README's thigh angle); knee flexion = thigh − shank;
- foot pitch: + toes up, 0 flat on the belt.

**Stance** rolls the foot on the belt without slipping: a rearfoot strike lands on the heel
(pitch +), the foot goes flat, the heel rises and the foot pivots on the ball (pitch −) to
toe-off; the point in contact moves backwards at the belt's speed. The hips are lowest at
midstance when running and highest when walking (the inverted pendulum), and the leg
reaches the foot by two-link inverse kinematics.
**Swing** interpolates the thigh, the knee and the ankle from toe-off to the next contact
with cubic Hermite splines matched to the stance values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy.interpolate import CubicHermiteSpline, PchipInterpolator

Activity = Literal["running", "walking"]
GRAVITY = 9.81
#: The toes straighten over this share of the swing after toe-off.
TOE_RELAX_SHARE = 0.3
#: The hips at midstance stay at least this much below their landing and toe-off heights.
MIDSTANCE_DIP_M = 0.01
#: The soft minimum's scale where two feet are down in a walk (the hips' kink is rounded).
WALK_SOFTNESS_M = 0.01
SIDES = ("left", "right")


@dataclass(frozen=True)
class Gait:
    """How one person moves on the belt (defaults from `running_gait` / `walking_gait`).

    cadence_spm: steps a minute (both feet); speed_mps: belt speed; duty: the share of a
    stride each foot is down (running < 0.5: a flight phase; walking > 0.5: double support);
    knee_contact_deg, knee_midstance_deg, knee_toe_off_deg: knee flexion as the foot lands,
    passes under the hip and leaves (they set the hips' height, so their rise and fall);
    midstance_share: when in the stance the flat foot's ankle passes under the hip (later =
    the foot lands further ahead).
    """

    activity: Activity
    cadence_spm: float
    speed_mps: float
    duty: float
    knee_contact_deg: float
    knee_midstance_deg: float
    knee_toe_off_deg: float
    midstance_share: float
    swing_thigh_max_deg: float
    swing_knee_max_deg: float
    foot_pitch_contact_deg: float
    foot_pitch_toe_off_deg: float
    arm_swing_deg: float
    arm_mean_deg: float
    elbow_deg: float
    elbow_swing_deg: float
    trunk_lean_deg: float
    step_width_m: float = 0.10

    def __post_init__(self) -> None:
        if self.activity not in ("running", "walking"):
            raise ValueError(f"activity must be running or walking, not {self.activity!r}")
        if not 60 <= self.cadence_spm <= 230:
            raise ValueError(f"cadence {self.cadence_spm} steps/min is outside 60..230")
        if not 0.2 <= self.duty <= 0.75:
            raise ValueError(f"duty factor {self.duty} is outside 0.2..0.75")
        if (self.activity == "running") != (self.duty < 0.5):
            raise ValueError("running needs a duty factor under 0.5 (a flight phase), walking over 0.5")

    @property
    def stride_s(self) -> float:
        """One stride (two steps), seconds."""
        return 120.0 / self.cadence_spm

    @property
    def stance_s(self) -> float:
        """How long each foot is down, seconds."""
        return self.duty * self.stride_s


def running_gait(cadence_spm: float = 170.0, **changes: float) -> Gait:
    """A recreational runner's gait at `cadence_spm` (110–200): step length grows with cadence.

    Step length 0.70 m at 110 to 1.24 m at 200 steps/min (1.3–4.1 m/s); duty factor 0.40 at
    110 falling to 0.30 at 200; knee 16° at contact, 42° at midstance, 22° at toe-off
    (Novacheck 1998); swing knee 95 → 120°.
    """
    c = float(cadence_spm)
    x = np.clip((c - 110.0) / 90.0, 0.0, 1.0)
    step = 0.70 + 0.54 * x
    base = Gait(
        activity="running", cadence_spm=c, speed_mps=step * c / 60.0, duty=0.40 - 0.10 * x,
        knee_contact_deg=16.0, knee_midstance_deg=42.0, knee_toe_off_deg=22.0, midstance_share=0.30,
        swing_thigh_max_deg=32.0 + 16.0 * x, swing_knee_max_deg=95.0 + 25.0 * x,
        foot_pitch_contact_deg=8.0, foot_pitch_toe_off_deg=-36.0,
        arm_swing_deg=20.0 + 8.0 * x, arm_mean_deg=-12.0, elbow_deg=82.0, elbow_swing_deg=12.0,
        trunk_lean_deg=6.0,
    )
    return replace(base, **changes)


def walking_gait(cadence_spm: float = 115.0, **changes: float) -> Gait:
    """A brisk treadmill walk at `cadence_spm` (90–130): double support, near-straight knees.

    Step length 0.55 m at 90 to 0.69 m at 130 steps/min; knee 4° at heel strike, 9° at
    midstance, 36° at toe-off (pre-swing).
    """
    c = float(cadence_spm)
    x = np.clip((c - 90.0) / 40.0, 0.0, 1.0)
    step = 0.55 + 0.14 * x
    base = Gait(
        activity="walking", cadence_spm=c, speed_mps=step * c / 60.0, duty=0.62,
        knee_contact_deg=5.0, knee_midstance_deg=5.0, knee_toe_off_deg=36.0, midstance_share=0.40,
        swing_thigh_max_deg=24.0, swing_knee_max_deg=62.0,
        foot_pitch_contact_deg=14.0, foot_pitch_toe_off_deg=-40.0,
        arm_swing_deg=14.0, arm_mean_deg=0.0, elbow_deg=22.0, elbow_swing_deg=8.0,
        trunk_lean_deg=3.0, step_width_m=0.12,
    )
    return replace(base, **changes)


@dataclass(frozen=True)
class LegGeometry:
    """One leg of one body, in the body frame of the rest pose (sagittal (z, y) pairs).

    thigh, shank: lengths; thigh_rest_deg, shank_rest_deg: their forward angles at rest;
    ankle_from_heel, ankle_from_ball: the ankle relative to the heel and ball points of the
    flat foot on the floor; ball_from_heel: the ball's distance ahead of the heel.
    """

    thigh: float
    shank: float
    thigh_rest_deg: float
    shank_rest_deg: float
    ankle_from_heel: tuple[float, float]
    ankle_from_ball: tuple[float, float]
    ball_from_heel: float


@dataclass(frozen=True)
class LegState:
    """One leg at one instant: forward angles, foot pitch, ankle (z, y), and contact."""

    thigh_deg: float
    shank_deg: float
    foot_pitch_deg: float
    ankle: tuple[float, float]
    stance: bool
    phase: float  # 0 at contact, stance until `duty`, 1 at the next contact
    toe_bend_deg: float = 0.0  # the toes bent up at their base (they stay flat as the heel rises)

    @property
    def knee_flexion_deg(self) -> float:
        """Flexion at the knee: 0 straight."""
        return self.thigh_deg - self.shank_deg


def smoothstep(x: float | np.ndarray) -> float | np.ndarray:
    """0 below 0, 1 above 1, a smooth cubic between."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def rotate(vec: tuple[float, float], pitch_deg: float) -> np.ndarray:
    """A (z, y) vector of the foot turned toes-up by `pitch_deg`."""
    c, s = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    z, y = vec
    return np.array([z * c - y * s, z * s + y * c])


def two_link(target: np.ndarray, thigh: float, shank: float) -> tuple[float, float, bool]:
    """Forward angles (thigh, shank) that put the ankle at `target` (z, y) from the hip.

    The knee bends forwards. Returns (thigh_deg, shank_deg, reached); out of reach, the leg
    points straight at the target.
    """
    dist = float(np.hypot(*target))
    direction = math.degrees(math.atan2(target[0], -target[1]))
    reach = thigh + shank
    if dist >= reach:
        return direction, direction, False
    cos_knee = (thigh**2 + shank**2 - dist**2) / (2 * thigh * shank)
    knee = 180.0 - math.degrees(math.acos(np.clip(cos_knee, -1.0, 1.0)))
    cos_hip = (thigh**2 + dist**2 - shank**2) / (2 * thigh * dist)
    at_hip = math.degrees(math.acos(np.clip(cos_hip, -1.0, 1.0)))
    return direction + at_hip, direction + at_hip - knee, True


class GaitModel:
    """The legs of `gait` on a body with `legs` (one `LegGeometry` per side), as functions of t.

    `first_contact_s`: when the `lead` foot first lands; the other lands half a stride later.
    `hip_offsets`: the hip joints' (z, y) from the hips' midpoint. `stride_changes(t)` may
    give, per stride, a replacement midstance share (an overstride fault decides it at contact).
    """

    def __init__(self, gait: Gait, legs: dict[str, LegGeometry], hip_offsets: dict[str, tuple[float, float]],
                 first_contact_s: float = 0.1, midstance_share_at=None, lead: str = "left") -> None:
        self.gait = gait
        self.legs = legs
        self.hip_offsets = {k: np.asarray(v, dtype=float) for k, v in hip_offsets.items()}
        self.first_contact_s = first_contact_s
        self.lead = lead
        self._share_at = midstance_share_at or (lambda t: gait.midstance_share)
        self._pitch = self._stance_pitch_curve()

    # --- timing -------------------------------------------------------------------------------

    def contact_time(self, side: str, t: float) -> float:
        """The latest contact of `side` at or before t (may be before 0)."""
        offset = self.first_contact_s + (0.0 if side == self.lead else self.gait.stride_s / 2)
        return offset + math.floor((t - offset) / self.gait.stride_s) * self.gait.stride_s

    def events(self, side: str, t_end: float) -> tuple[list[float], list[float]]:
        """Contacts and toe-offs of `side` within [0, t_end]."""
        period = self.gait.stride_s
        first = self.contact_time(side, 0.0)
        contacts = [first + k * period for k in range(int(t_end / period) + 3)]
        toe_offs = [c + self.gait.stance_s for c in contacts]
        keep = lambda xs: [round(x, 6) for x in xs if 0.0 <= x <= t_end]  # noqa: E731
        return keep(contacts), keep(toe_offs)

    # --- the hips -----------------------------------------------------------------------------

    def hip_height(self, t: float) -> float:
        """Height of the hips' midpoint, from the step that t falls in.

        Running: keyframes per step, the knee bent `knee_contact_deg` over the landing foot,
        `knee_midstance_deg` over the foot under the hip, `knee_toe_off_deg` over the foot
        leaving, and the apex of a ballistic flight; a monotone cubic through them.
        Walking: see `_walking_hip` (highest at midstance).
        """
        g = self.gait
        if g.activity == "walking":
            return self._walking_hip(t)
        side = max(SIDES, key=lambda s: self.contact_time(s, t))
        return float(self._running_step(side, round(self.contact_time(side, t), 9))(t))

    @lru_cache(maxsize=64)
    def _running_step(self, side: str, t_c: float) -> PchipInterpolator:
        """The hips through one running step: a monotone cubic through the landing, midstance,
        toe-off and flight-apex heights, from the last apex to the next midstance (so each
        step joins the next smoothly). The midstance is kept the lowest point."""
        g = self.gait
        other = "right" if side == "left" else "left"
        step = g.stride_s / 2
        times, heights = [], []
        for k, leg in ((-1, other), (0, side), (1, other)):
            t0 = t_c + k * step
            share = self._share_at(t0)
            h_c = self._hip_over_foot(leg, 0.0, share, g.knee_contact_deg)
            h_off = self._hip_over_foot(leg, g.stance_s, share, g.knee_toe_off_deg)
            h_mid = min(self._hip_over_foot(leg, share * g.stance_s, share, g.knee_midstance_deg),
                        h_c - MIDSTANCE_DIP_M, h_off - MIDSTANCE_DIP_M)
            flight = step - g.stance_s
            apex = max(h_off, h_c) + GRAVITY * flight**2 / 8  # a ballistic flight's rise
            times += [t0, t0 + share * g.stance_s, t0 + g.stance_s, t0 + g.stance_s + flight / 2]
            heights += [h_c, h_mid, h_off, apex]
        return PchipInterpolator(times, heights)

    def _walking_hip(self, t: float) -> float:
        """Walking: as high as the feet on the belt allow with the knees bent `knee_midstance_deg`
        (the compass gait of an inverted pendulum), a soft minimum over the feet down."""
        g = self.gait
        heights = []
        for side in SIDES:
            t_c = self.contact_time(side, t)
            if t - t_c <= g.stance_s:
                heights.append(self._hip_over_foot(side, t - t_c, self._share_at(t_c), g.knee_midstance_deg))
        h = np.array(heights)
        return float(-WALK_SOFTNESS_M * np.log(np.exp(-(h - h.min()) / WALK_SOFTNESS_M).sum()) + h.min())

    def _hip_over_foot(self, side: str, s: float, share: float, knee_deg: float) -> float:
        """The hips' height that bends the knee `knee_deg` over the stance foot `s` into stance."""
        leg = self.legs[side]
        ankle = self._stance_ankle(side, s, share)
        k = math.radians(180.0 - knee_deg)
        dist = math.sqrt(leg.thigh**2 + leg.shank**2 - 2 * leg.thigh * leg.shank * math.cos(k))
        ahead = ankle[0] - self.hip_offsets[side][0]
        if abs(ahead) >= dist:
            raise ValueError(f"the {side} foot lands {ahead:+.2f} m from the hip: out of the leg's reach")
        return float(ankle[1] + math.sqrt(dist**2 - ahead**2) - self.hip_offsets[side][1])

    # --- stance -------------------------------------------------------------------------------

    def _stance_pitch_curve(self) -> PchipInterpolator:
        """Foot pitch over the stance (0..1): strike, flat foot, heel rise, toe-off."""
        g = self.gait
        c, o = g.foot_pitch_contact_deg, g.foot_pitch_toe_off_deg
        if c > 0:  # rearfoot strike: heel, then flat
            knots = [0.0, 0.18, 0.42 if g.activity == "running" else 0.55, 1.0]
            return PchipInterpolator(knots, [c, 0.0, 0.0, o])
        return PchipInterpolator([0.0, 0.3, 1.0], [c, min(c, 0.0) * 0.3, o])

    def _stance_ankle(self, side: str, s: float, share: float) -> np.ndarray:
        """Ankle (z, y) `s` seconds into the stance, the foot rolling on the moving belt."""
        g, leg = self.gait, self.legs[side]
        pitch = float(self._pitch(np.clip(s / g.stance_s, 0.0, 1.0)))
        heel_z = self._heel_at_contact(side, share) - g.speed_mps * s
        if pitch >= 0:
            return np.array([heel_z, 0.0]) + rotate(leg.ankle_from_heel, pitch)
        return np.array([heel_z + leg.ball_from_heel, 0.0]) + rotate(leg.ankle_from_ball, pitch)

    def _heel_at_contact(self, side: str, share: float) -> float:
        """Where the heel lands, so the flat foot's ankle passes under the hip at `share` of stance."""
        g, leg = self.gait, self.legs[side]
        return self.hip_offsets[side][0] - leg.ankle_from_heel[0] + g.speed_mps * share * g.stance_s

    def shank_at_contact(self, side: str, share: float) -> float:
        """The shank's forward angle as the foot lands, were the midstance at `share` of the stance."""
        g, leg = self.gait, self.legs[side]
        ankle = self._stance_ankle(side, 0.0, share)
        hip = np.array([0.0, self._hip_over_foot(side, 0.0, share, g.knee_contact_deg)]) + self.hip_offsets[side]
        return two_link(ankle - hip, leg.thigh, leg.shank)[1]

    # --- one leg at one time ------------------------------------------------------------------

    def leg(self, side: str, t: float, hip: np.ndarray) -> LegState:
        """The leg's state at t with its hip joint at `hip` (z, y)."""
        g = self.gait
        t_contact = self.contact_time(side, t)
        phase = (t - t_contact) / g.stride_s
        share = self._share_at(t_contact)
        if phase < g.duty:
            return self._stance_state(side, t - t_contact, hip, share, phase)
        return self._swing_state(side, t, t_contact, hip, phase)

    def _stance_state(self, side: str, s: float, hip: np.ndarray, share: float, phase: float) -> LegState:
        leg = self.legs[side]
        ankle = self._stance_ankle(side, s, share)
        thigh, shank, _ = two_link(ankle - hip, leg.thigh, leg.shank)
        pitch = float(self._pitch(np.clip(s / self.gait.stance_s, 0.0, 1.0)))
        return LegState(thigh, shank, pitch, (float(ankle[0]), float(ankle[1])), True, phase, max(-pitch, 0.0))

    def _swing_state(self, side: str, t: float, t_contact: float, hip: np.ndarray, phase: float) -> LegState:
        """Hermite splines in the angles from this toe-off to the next contact."""
        g, leg = self.gait, self.legs[side]
        thigh_spline, knee_spline, dorsi_spline, toes_off = self._swing_splines(side, round(t_contact, 9))
        t_off = t_contact + g.stance_s
        u = (t - t_off) / (g.stride_s - g.stance_s)
        thigh, knee = float(thigh_spline(u)), float(knee_spline(u))
        shank = thigh - knee
        rad_t, rad_s = math.radians(thigh), math.radians(shank)
        ankle = hip + leg.thigh * np.array([math.sin(rad_t), -math.cos(rad_t)]) + leg.shank * np.array([math.sin(rad_s), -math.cos(rad_s)])
        toes = toes_off * (1.0 - float(smoothstep(u / TOE_RELAX_SHARE)))
        return LegState(thigh, shank, float(dorsi_spline(u)) - shank, (float(ankle[0]), float(ankle[1])), False, phase, toes)

    @lru_cache(maxsize=64)
    def _swing_splines(self, side: str, t_contact: float) -> tuple:
        """(thigh, knee, ankle dorsiflexion) splines over the swing's 0..1 and the toes' bend at toe-off."""
        g = self.gait
        t_off = t_contact + g.stance_s
        t_next = t_contact + g.stride_s
        dt = 1e-3
        share, share_next = self._share_at(t_contact), self._share_at(t_next)
        off = self._stance_state(side, g.stance_s, self._hip_at(side, t_off), share, g.duty)
        off_prev = self._stance_state(side, g.stance_s - dt, self._hip_at(side, t_off - dt), share, g.duty)
        nxt = self._stance_state(side, 0.0, self._hip_at(side, t_next), share_next, 0.0)
        nxt_after = self._stance_state(side, dt, self._hip_at(side, t_next + dt), share_next, 0.0)
        span = t_next - t_off
        d_off = (off.thigh_deg - off_prev.thigh_deg) / dt * span
        d_next = (nxt_after.thigh_deg - nxt.thigh_deg) / dt * span
        thigh_peak = max(g.swing_thigh_max_deg, nxt.thigh_deg + 4.0)
        thigh = CubicHermiteSpline([0.0, 0.72, 1.0], [off.thigh_deg, thigh_peak, nxt.thigh_deg],
                                   [max(d_off, 0.0), 0.0, min(d_next, 0.0)])
        knee = CubicHermiteSpline([0.0, 0.38, 1.0], [off.knee_flexion_deg, g.swing_knee_max_deg, nxt.knee_flexion_deg],
                                  [0.0, 0.0, 0.0])
        ankle_off = off.foot_pitch_deg + off.shank_deg
        ankle_next = nxt.foot_pitch_deg + nxt.shank_deg
        dorsi = PchipInterpolator([0.0, 0.5, 1.0], [ankle_off, 0.5 * (ankle_off + ankle_next) + 8.0, ankle_next])
        return thigh, knee, dorsi, off.toe_bend_deg

    def _hip_at(self, side: str, t: float) -> np.ndarray:
        """The hip joint (z, y) at t, the pelvis level (its pitch barely moves the joints)."""
        return np.array([0.0, self.hip_height(t)]) + self.hip_offsets[side]
