"""A synthetic side-view runner on a treadmill, with known truth.

Used by the tests (gait events, cadence, trunk lean, cue timing) and by `ribsdown demo`.
`generate(spec)` returns one `Pose | None` per frame and a `SyntheticTruth`.

Frames and camera
-----------------
The kinematics live in a sagittal frame in metres: `f` forward (running direction),
`u` up, origin on the treadmill deck under the hip. The image is
`x = cx + sign * s * f`, `y = deck_y - s * u`, with `sign = +1` when facing "right",
`s = body_height_px / body_height_m` and `cx` the image centre.

The camera stands at the runner's side. A runner facing image-right (forward `+x`, up
`-y`) has his right hand towards `forward x up = -z`, i.e. towards a camera looking along
`+z`: **facing "right" shows the runner's RIGHT side (right = near leg), facing "left"
shows the LEFT side.** Near-side landmarks get visibility 0.9–1.0, far-side 0.3–0.6.
In this pure profile view both hips (and both shoulders) project on the same point.

Kinematics (each leg; stride phase `phi` in [0, 1), contact at 0, toe-off at `duty`)
-----------------------------------------------------------------------------------
- Stance: the foot rides the belt at constant speed. It lands on the heel (toe up
  `heel_strike_deg`), rolls flat, then pivots on the toe (heel up `toe_off_foot_deg`);
  its lowest point is on the deck throughout. The knee comes from two-link inverse
  kinematics between hip and ankle. The belt speed is solved so that the heel lands
  `overstride_m` ahead of the hip with the knee flexed `contact_knee_flexion_deg`, and the
  thigh angle at toe-off is exactly `hip_extension_deg` (the extension peak).
- Swing: thigh and shank angles follow cubic Hermite keyframes (the thigh heading for
  `thigh_flexion_peak_deg`, the knee folding to about `knee_flexion_peak_deg` at 40 % of
  swing). From 60 % of swing the heel is steered to its landing spot, forward
  monotonically and down onto the deck at 0.4 m/s, the knee from inverse kinematics; the
  real flexion peak lands within a few degrees of the target (the truth has per-frame
  angles). The swing starts with the toe moving forward and up and ends with the heel at
  rest relative to the hip, so the Zeni et al. (2008) markers are exact: the heel's most
  forward position relative to the hip is the contact, the toe's most backward position
  is the toe-off. Both are kinks (the foot stops dead on the belt), as on a real treadmill.
- Hip: fixed horizontally, bounces `hip_bounce_m` peak to peak twice per stride (lowest
  at mid-stance when running; highest at mid-stance, lowest just after contact, when
  walking).
- Trunk: leans `trunk_lean_deg` (+ forward) with a small oscillation twice per stride,
  plus an optional arching episode (`arch_delta_deg` eased in over `arch_ramp_s` from
  `arch_start_s`, eased out over `arch_ramp_s` from `arch_end_s`).
- Standing: feet flat under the hips, a slow sway, no events.

Only numpy; all randomness comes from `np.random.default_rng(spec.seed)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from realtime.analysis.posture import Facing, direction_sign
from realtime.core.pose import N_LANDMARKS, Pose
from realtime.core.pose import Landmark as L

Mode = Literal["running", "walking", "standing"]
Leg = Literal["left", "right"]
LEGS: tuple[Leg, Leg] = ("left", "right")

# Body proportions as fractions of body height (Winter, Biomechanics of Human Movement).
_THIGH, _SHANK, _TRUNK = 0.245, 0.246, 0.288
_UPPER_ARM, _FOREARM, _HAND = 0.186, 0.146, 0.108
_ANKLE_H, _HEEL_BACK, _TOE_FWD = 0.039, 0.030, 0.120  # foot, relative to the ankle
_NECK = 0.100  # mid-shoulder to ear

# Swing keyframes (fractions of swing) and shaping.
_U_THIGH_PEAK, _U_SHANK_BACK, _U_FOOT_SET = 0.75, 0.40, 0.85
_FOOT_DORSI_MAX = math.radians(30.0)
_U_LAND = 0.6  # from here the heel is steered to its landing spot
_LAND_SPEED = 0.4  # heel's downward speed at contact, m/s
_THIGH_START_SLOPE = 2.5  # Hermite start slope, x (peak - start); <= 3 keeps it monotone
_SHANK_START_RATIO = 0.6  # shank rotates back at this ratio of the thigh's start rate
# Stance foot roll (fractions of stance): heel pivot until _ROLL_FLAT, toe pivot from _ROLL_HEEL_UP.
_ROLL_FLAT, _ROLL_HEEL_UP = 0.15, 0.5
_WALK_HIP_LOW = 0.05  # walking: the hip is lowest just after contact, highest at mid-stance


@dataclass(frozen=True)
class RunnerSpec:
    """Everything the synthetic runner does. Angles in degrees, lengths in metres.

    Use `RunnerSpec.running(...)`, `.walking(...)` or `.standing(...)` for mode
    defaults; any field can be overridden.
    """

    mode: Mode = "running"
    cadence_spm: float = 170.0
    duty_factor: float = 0.37
    fps: float = 30.0
    duration_s: float = 10.0
    facing: Facing = "right"
    trunk_lean_deg: float = 5.0
    lean_oscillation_deg: float = 1.0
    arch_start_s: float | None = None
    arch_end_s: float | None = None
    arch_delta_deg: float = -8.0
    arch_ramp_s: float = 1.0
    hip_extension_deg: float = -20.0
    thigh_flexion_peak_deg: float = 32.0
    knee_flexion_peak_deg: float = 100.0
    contact_knee_flexion_deg: float = 18.0
    overstride_m: float = 0.15
    hip_bounce_m: float = 0.07
    heel_strike_deg: float = 10.0
    toe_off_foot_deg: float = 50.0
    arm_swing_deg: float = 30.0
    elbow_flexion_deg: float = 90.0
    body_height_m: float = 1.75
    body_height_px: float = 600.0
    image_size: tuple[int, int] = (1280, 720)  # (width, height) pixels
    deck_y_frac: float = 0.94  # the treadmill deck's height in the image, fraction from the top
    start_phase: float = 0.13  # right leg's stride phase at t = 0
    noise_px: float = 0.0
    far_noise_scale: float = 1.5
    dropout_fraction: float = 0.0
    dropout_intervals: tuple[tuple[float, float], ...] = ()
    swap_probability: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in ("running", "walking", "standing"):
            raise ValueError(f"mode must be running|walking|standing, got {self.mode!r}")
        if self.facing not in ("left", "right"):
            raise ValueError(f"facing must be 'left' or 'right', got {self.facing!r}")
        if not 0 < self.fps <= 1000:
            raise ValueError(f"fps must be in (0, 1000], got {self.fps}")
        if self.duration_s <= 0:
            raise ValueError(f"duration_s must be > 0, got {self.duration_s}")
        if self.mode != "standing" and not 30 <= self.cadence_spm <= 300:
            raise ValueError(f"cadence_spm must be in [30, 300], got {self.cadence_spm}")
        if not 0.2 <= self.duty_factor <= 0.8:
            raise ValueError(f"duty_factor must be in [0.2, 0.8], got {self.duty_factor}")
        for name in ("dropout_fraction", "swap_probability", "start_phase"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.noise_px < 0 or self.body_height_px <= 0 or self.body_height_m <= 0:
            raise ValueError("noise_px must be >= 0 and body heights > 0")
        if not 0 < self.deck_y_frac <= 1:
            raise ValueError(f"deck_y_frac must be in (0, 1], got {self.deck_y_frac}")
        if (self.arch_start_s is None) != (self.arch_end_s is None):
            raise ValueError("arch_start_s and arch_end_s go together")

    @classmethod
    def running(cls, **overrides: object) -> "RunnerSpec":
        """A runner at 170 spm, duty factor 0.37 (defaults)."""
        return cls(**overrides)  # type: ignore[arg-type]

    @classmethod
    def walking(cls, **overrides: object) -> "RunnerSpec":
        """A walker at 110 spm: duty factor 0.62 (double support), no flight phase."""
        base = dict(
            mode="walking", cadence_spm=110.0, duty_factor=0.62, hip_bounce_m=0.04,
            overstride_m=0.30, hip_extension_deg=-15.0, thigh_flexion_peak_deg=25.0,
            knee_flexion_peak_deg=60.0, contact_knee_flexion_deg=3.0, heel_strike_deg=15.0,
            toe_off_foot_deg=45.0, arm_swing_deg=18.0, elbow_flexion_deg=25.0,
            trunk_lean_deg=2.0, lean_oscillation_deg=0.5,
        )
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]

    @classmethod
    def standing(cls, **overrides: object) -> "RunnerSpec":
        """Standing on the deck: feet still, a slow sway, arms hanging."""
        base = dict(mode="standing", trunk_lean_deg=1.0, lean_oscillation_deg=0.0,
                    arm_swing_deg=0.0, elbow_flexion_deg=10.0)
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]

    @property
    def stride_s(self) -> float:
        """Stride time (two steps), seconds."""
        return 120.0 / self.cadence_spm

    @property
    def px_per_m(self) -> float:
        return self.body_height_px / self.body_height_m

    @property
    def near_leg(self) -> Leg:
        """The leg on the camera's side (see module doc)."""
        return "right" if self.facing == "right" else "left"

    @property
    def deck_y_px(self) -> float:
        return self.deck_y_frac * self.image_size[1]

    def with_(self, **changes: object) -> "RunnerSpec":
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SyntheticTruth:
    """What the generator knows. Arrays are per frame, `(N,)` unless noted.

    Attributes:
        t: frame times, seconds (`i / fps`).
        contacts, toe_offs: per leg, sorted event times in [0, duration) (exact).
        trunk_lean_deg: the clean mid-hip→mid-shoulder lean (+ forward).
        arching: True where the arching episode is more than half in.
        thigh_deg, knee_flexion_deg: per leg, clean angles (convention of docs/design.md).
        in_contact: per leg, foot on the deck.
        foot_low_u_m: per leg, height of the lowest foot point above the deck (0 in contact).
        hip_px: `(N, 2)` clean mid-hip pixels.
        dropped, swapped: frames given as None / with left-right leg labels swapped.
    """

    spec: RunnerSpec
    t: np.ndarray
    contacts: dict[Leg, np.ndarray]
    toe_offs: dict[Leg, np.ndarray]
    trunk_lean_deg: np.ndarray
    arching: np.ndarray
    thigh_deg: dict[Leg, np.ndarray]
    knee_flexion_deg: dict[Leg, np.ndarray]
    in_contact: dict[Leg, np.ndarray]
    foot_low_u_m: dict[Leg, np.ndarray]
    hip_px: np.ndarray
    dropped: np.ndarray
    swapped: np.ndarray
    belt_speed_mps: float = 0.0
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def cadence_spm(self) -> float | None:
        return None if self.spec.mode == "standing" else self.spec.cadence_spm

    @property
    def stride_s(self) -> float | None:
        return None if self.spec.mode == "standing" else self.spec.stride_s

    @property
    def duty_factor(self) -> float | None:
        return None if self.spec.mode == "standing" else self.spec.duty_factor

    @property
    def facing(self) -> Facing:
        return self.spec.facing

    @property
    def near_leg(self) -> Leg:
        return self.spec.near_leg


# --------------------------------------------------------------------------- maths helpers


def _smooth(s: np.ndarray) -> np.ndarray:
    """Smoothstep on [0, 1] (zero slope at both ends)."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _hermite(s: np.ndarray, p0: float, p1: float, m0: float, m1: float = 0.0) -> np.ndarray:
    """Cubic Hermite on s in [0, 1]; slopes m0, m1 in units per unit s."""
    s = np.clip(s, 0.0, 1.0)
    s2, s3 = s * s, s * s * s
    return (p0 * (2 * s3 - 3 * s2 + 1) + m0 * (s3 - 2 * s2 + s)
            + p1 * (-2 * s3 + 3 * s2) + m1 * (s3 - s2))


def _dir(angle: np.ndarray | float) -> np.ndarray:
    """Unit vector `(..., 2)` (f, u) at `angle` rad from straight down, + forward."""
    a = np.asarray(angle, dtype=float)
    return np.stack([np.sin(a), -np.cos(a)], axis=-1)


def _up(angle: np.ndarray | float) -> np.ndarray:
    """Unit vector `(..., 2)` (f, u) at `angle` rad from straight up, + forward."""
    a = np.asarray(angle, dtype=float)
    return np.stack([np.sin(a), np.cos(a)], axis=-1)


def _rot(v: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotate (f, u) vectors `(..., 2)` counter-clockwise (toe up) by `angle` rad."""
    a = np.asarray(angle, dtype=float)
    c, s = np.cos(a), np.sin(a)
    return np.stack([v[..., 0] * c - v[..., 1] * s, v[..., 0] * s + v[..., 1] * c], axis=-1)


def _angle_from_down(v: np.ndarray) -> np.ndarray:
    """Angle (rad) of (f, u) vectors `(..., 2)` from straight down, + forward."""
    return np.arctan2(v[..., 0], -v[..., 1])


def _two_link_ik(hip: np.ndarray, ankle: np.ndarray, lt: float, ls: float) -> np.ndarray:
    """Knee positions `(N, 2)` with the knee ahead of the hip→ankle line (flexion)."""
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=-1)
    if np.any(d > lt + ls + 1e-9):
        raise ValueError(
            "synthetic leg cannot reach the deck: lower overstride_m or hip_bounce_m, "
            "or raise contact_knee_flexion_deg"
        )
    cos_hip = np.clip((lt * lt + d * d - ls * ls) / (2 * lt * d), -1.0, 1.0)
    thigh = _angle_from_down(d_vec) + np.arccos(cos_hip)
    return hip + lt * _dir(thigh)


# --------------------------------------------------------------------------- the gait model


@dataclass(frozen=True)
class _Keys:
    """Solved constants of one gait (metres, radians, seconds)."""

    lt: float
    ls: float
    heel: np.ndarray  # (2,) flat-foot heel relative to the ankle
    toe: np.ndarray  # (2,) flat-foot toe (foot index) relative to the ankle
    stride: float
    duty: float
    h_mean: float
    h_amp: float  # half peak-to-peak
    h_low: float  # phase of the lowest hip: mid-stance (running), just after contact (walking)
    x_contact: float  # heel f at contact
    belt: float  # belt speed, m/s
    psi_c: float
    psi_to: float
    theta_to: float
    sigma_to: float
    theta_c: float
    sigma_c: float
    theta_max: float
    sigma_min: float


def _hip_height(k: _Keys, phase: np.ndarray) -> np.ndarray:
    """Hip height (m) at stride phases: lowest at phase `k.h_low` and half a stride later."""
    return k.h_mean - k.h_amp * np.cos(4 * np.pi * (np.asarray(phase) - k.h_low))


def _solve_gait(spec: RunnerSpec) -> _Keys:
    """Solve hip height, belt speed and the stance end-angles from the spec."""
    h = spec.body_height_m
    lt, ls = _THIGH * h, _SHANK * h
    heel = np.array([-_HEEL_BACK * h, -_ANKLE_H * h])
    toe = np.array([_TOE_FWD * h, -_ANKLE_H * h])
    stride, duty = spec.stride_s, spec.duty_factor
    psi_c = math.radians(spec.heel_strike_deg)
    psi_to = -math.radians(spec.toe_off_foot_deg)
    h_low = _WALK_HIP_LOW if spec.mode == "walking" else duty / 2
    h_amp = spec.hip_bounce_m / 2

    # Contact: heel on the deck `overstride` ahead, knee flexed as asked.
    x_c = spec.overstride_m
    ankle_c = np.array([x_c, 0.0]) + _rot(-heel, psi_c)
    kc = math.radians(spec.contact_knee_flexion_deg)
    reach = math.sqrt(lt * lt + ls * ls + 2 * lt * ls * math.cos(kc))
    if reach <= abs(ankle_c[0]):
        raise ValueError("overstride_m is longer than the leg")
    h_c = ankle_c[1] + math.sqrt(reach * reach - ankle_c[0] ** 2)
    h_mean = h_c + h_amp * math.cos(4 * math.pi * (0 - h_low))
    hip_c = np.array([0.0, h_c])
    knee_c = _two_link_ik(hip_c[None], ankle_c[None], lt, ls)[0]
    theta_c = float(_angle_from_down(knee_c - hip_c))
    sigma_c = float(_angle_from_down(ankle_c - knee_c))

    # Toe-off: thigh at the extension peak, toe on the deck.
    theta_to = math.radians(spec.hip_extension_deg)
    h_to = h_mean - h_amp * math.cos(4 * math.pi * (duty - h_low))
    knee_to = np.array([0.0, h_to]) + lt * _dir(theta_to)
    toe_to_ankle = _rot(-toe, psi_to)  # ankle relative to the toe
    dv = toe_to_ankle[1] - knee_to[1]
    if ls * ls <= dv * dv:
        raise ValueError("hip_extension_deg / toe_off_foot_deg: the toe cannot reach the deck")
    ankle_to_f = knee_to[0] - math.sqrt(ls * ls - dv * dv)
    toe_to_f = ankle_to_f - toe_to_ankle[0]
    sigma_to = float(_angle_from_down(np.array([ankle_to_f, toe_to_ankle[1]]) - knee_to))
    heel_belt_to = toe_to_f - (toe[0] - heel[0])
    belt = (x_c - heel_belt_to) / (duty * stride)
    if belt <= 0:
        raise ValueError("inconsistent stance: the foot would move forward on the belt")

    theta_max = math.radians(spec.thigh_flexion_peak_deg)
    u_back = np.array([_U_SHANK_BACK])
    theta_at_back = float(_theta_swing_raw(u_back, theta_to, theta_max, theta_c)[0])
    sigma_min = theta_at_back - math.radians(spec.knee_flexion_peak_deg)
    return _Keys(lt, ls, heel, toe, stride, duty, h_mean, h_amp, h_low, x_c, belt,
                 psi_c, psi_to, theta_to, sigma_to, theta_c, sigma_c, theta_max, sigma_min)


def _theta_swing_raw(u: np.ndarray, th_to: float, th_max: float, th_c: float) -> np.ndarray:
    m0 = _THIGH_START_SLOPE * (th_max - th_to)
    first = _hermite(u / _U_THIGH_PEAK, th_to, th_max, m0)
    second = _hermite((u - _U_THIGH_PEAK) / (1 - _U_THIGH_PEAK), th_max, th_c, 0.0)
    return np.where(u < _U_THIGH_PEAK, first, second)


def _swing_fk(k: _Keys, u: np.ndarray,
              hip: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Swing by angle keyframes at swing fractions `u` `(N,)`, hips `(N, 2)`:
    knee, ankle `(N, 2)` and foot pitch `(N,)`."""
    t_swing = (1 - k.duty) * k.stride
    theta = _theta_swing_raw(u, k.theta_to, k.theta_max, k.theta_c)
    theta_rate = _THIGH_START_SLOPE * (k.theta_max - k.theta_to) / (_U_THIGH_PEAK * t_swing)
    m_sigma = -_SHANK_START_RATIO * theta_rate * _U_SHANK_BACK * t_swing  # per unit segment
    sigma = np.where(
        u < _U_SHANK_BACK,
        _hermite(u / _U_SHANK_BACK, k.sigma_to, k.sigma_min, m_sigma),
        _hermite((u - _U_SHANK_BACK) / (1 - _U_SHANK_BACK), k.sigma_min, k.sigma_c, 0.0),
    )
    # Foot pitch: held near its toe-off pitch while the knee folds (at most
    # _FOOT_DORSI_MAX dorsiflexed against the shank), then eased to the landing pitch,
    # reached at _U_FOOT_SET and held (toe clearance, heel first).
    psi_mid = max(k.sigma_min + _FOOT_DORSI_MAX, k.psi_to)
    psi = np.where(
        u < _U_SHANK_BACK,
        _hermite(u / _U_SHANK_BACK, k.psi_to, psi_mid, 0.0),
        _hermite((u - _U_SHANK_BACK) / (_U_FOOT_SET - _U_SHANK_BACK), psi_mid, k.psi_c, 0.0),
    )
    knee = hip + k.lt * _dir(theta)
    return knee, knee + k.ls * _dir(sigma), psi


def _swing(k: _Keys, u: np.ndarray, hip: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Swing at fractions `u` `(N,)` with hips `(N, 2)`: knee, ankle `(N, 2)`, foot pitch `(N,)`.

    Angle keyframes until _U_LAND; then the heel is steered in (f, u) to its landing
    spot: forward monotonically (so the contact is its most forward point) and down
    onto the deck at _LAND_SPEED (never below it), the knee from inverse kinematics.
    """
    knee, ankle, psi = _swing_fk(k, u, hip)
    land = u > _U_LAND
    if not np.any(land):
        return knee, ankle, psi
    eps = 1e-6
    u0 = np.array([_U_LAND - eps, _U_LAND])
    hip0 = np.stack([np.zeros(2), _hip_height(k, k.duty + u0 * (1 - k.duty))], axis=-1)
    _, ank0, psi0 = _swing_fk(k, u0, hip0)
    heel0 = ank0 + _rot(np.broadcast_to(k.heel, (2, 2)), psi0)
    span = 1 - _U_LAND
    vel = (heel0[1] - heel0[0]) / eps * span  # per unit of the landing segment
    ahead = k.x_contact - heel0[1, 0]
    if ahead <= 0:
        raise ValueError("overstride_m too small for the swing: raise it or lower the thigh peak")
    s = (u[land] - _U_LAND) / span
    heel_f = _hermite(s, heel0[1, 0], k.x_contact, float(np.clip(vel[0], 0.0, 3 * ahead)))
    drop = -_LAND_SPEED * (1 - k.duty) * k.stride * span
    heel_u = _hermite(s, heel0[1, 1], 0.0, max(float(vel[1]), -3 * heel0[1, 1]), drop)
    heel_to_ankle = _rot(np.broadcast_to(k.heel, (s.size, 2)), psi[land])
    ankle[land] = np.stack([heel_f, heel_u], axis=-1) - heel_to_ankle
    knee[land] = _two_link_ik(hip[land], ankle[land], k.lt, k.ls)
    return knee, ankle, psi


def _leg_points(k: _Keys, phase: np.ndarray) -> dict[str, np.ndarray]:
    """Leg kinematics at stride phases `(N,)`; points `(N, 2)` in (f, u) metres."""
    phase = np.mod(np.asarray(phase, dtype=float), 1.0)
    n = phase.shape[0]
    hip = np.stack([np.zeros(n), _hip_height(k, phase)], axis=-1)  # (N, 2)
    stance = phase < k.duty
    knee = np.zeros((n, 2))
    ankle = np.zeros((n, 2))
    psi = np.zeros(n)

    # Stance: foot rolls heel → flat → toe, riding the belt.
    s = phase[stance] / k.duty
    psi_st = np.where(s < _ROLL_FLAT, k.psi_c * (1 - _smooth(s / _ROLL_FLAT)), 0.0)
    psi_st = np.where(s > _ROLL_HEEL_UP,
                      k.psi_to * _smooth((s - _ROLL_HEEL_UP) / (1 - _ROLL_HEEL_UP)), psi_st)
    heel_belt = k.x_contact - k.belt * s * k.duty * k.stride
    on_toe = psi_st < 0
    pivot = np.stack([heel_belt + np.where(on_toe, k.toe[0] - k.heel[0], 0.0),
                      np.zeros_like(s)], axis=-1)
    offset = np.where(on_toe[:, None], -k.toe, -k.heel)
    ankle[stance] = pivot + _rot(offset, psi_st)
    knee[stance] = _two_link_ik(hip[stance], ankle[stance], k.lt, k.ls)
    psi[stance] = psi_st

    sw = ~stance
    knee[sw], ankle[sw], psi[sw] = _swing(k, (phase[sw] - k.duty) / (1 - k.duty), hip[sw])

    heel = ankle + _rot(np.broadcast_to(k.heel, (n, 2)), psi)
    toe = ankle + _rot(np.broadcast_to(k.toe, (n, 2)), psi)
    return {"hip": hip, "knee": knee, "ankle": ankle, "heel": heel, "toe": toe,
            "stance": stance}


def _standing_points(spec: RunnerSpec, t: np.ndarray) -> dict[str, np.ndarray]:
    """Both legs standing, ankles under the hip with a slow 1 cm sway; `(N, 2)` points."""
    h = spec.body_height_m
    lt, ls = _THIGH * h, _SHANK * h
    heel = np.array([-_HEEL_BACK * h, -_ANKLE_H * h])
    toe = np.array([_TOE_FWD * h, -_ANKLE_H * h])
    n = t.shape[0]
    ankle = np.stack([0.01 * np.sin(2 * np.pi * 0.25 * t), np.full(n, _ANKLE_H * h)], axis=-1)
    reach = math.sqrt(lt * lt + ls * ls + 2 * lt * ls * math.cos(math.radians(5.0)))
    hip = np.stack([np.zeros(n), ankle[:, 1] + np.sqrt(reach ** 2 - ankle[:, 0] ** 2)], axis=-1)
    knee = _two_link_ik(hip, ankle, lt, ls)
    return {"hip": hip, "knee": knee, "ankle": ankle, "heel": ankle + heel, "toe": ankle + toe,
            "stance": np.ones(n, dtype=bool)}


# --------------------------------------------------------------------------- the figure


_LEG_IDX: dict[Leg, dict[str, int]] = {
    "left": {"hip": L.LEFT_HIP, "knee": L.LEFT_KNEE, "ankle": L.LEFT_ANKLE,
             "heel": L.LEFT_HEEL, "toe": L.LEFT_FOOT_INDEX},
    "right": {"hip": L.RIGHT_HIP, "knee": L.RIGHT_KNEE, "ankle": L.RIGHT_ANKLE,
              "heel": L.RIGHT_HEEL, "toe": L.RIGHT_FOOT_INDEX},
}
_ARM_IDX: dict[Leg, tuple[int, ...]] = {
    "left": (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB),
    "right": (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX,
              L.RIGHT_THUMB),
}
_HEAD_IDX: dict[Leg, tuple[int, ...]] = {  # eye inner, eye, eye outer, ear, mouth
    "left": (L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER, L.LEFT_EAR, L.MOUTH_LEFT),
    "right": (L.RIGHT_EYE_INNER, L.RIGHT_EYE, L.RIGHT_EYE_OUTER, L.RIGHT_EAR, L.MOUTH_RIGHT),
}
#: Landmark indices of each side (legs, arm, head), for visibility and swaps.
SIDE_LANDMARKS: dict[Leg, tuple[int, ...]] = {
    leg: tuple(_LEG_IDX[leg].values()) + _ARM_IDX[leg] + _HEAD_IDX[leg] for leg in LEGS
}
#: Leg chains swapped by a "far-side left/right swap" (hip, knee, ankle, heel, foot index).
LEG_CHAINS: dict[Leg, tuple[int, ...]] = {leg: tuple(_LEG_IDX[leg].values()) for leg in LEGS}


def _arch_weight(spec: RunnerSpec, t: np.ndarray) -> np.ndarray:
    """0 → 1 → 0 weight of the arching episode at times `t`."""
    if spec.arch_start_s is None or spec.arch_end_s is None:
        return np.zeros_like(t)
    ramp = max(spec.arch_ramp_s, 1e-9)
    up = _smooth((t - spec.arch_start_s) / ramp)
    down = 1.0 - _smooth((t - spec.arch_end_s) / ramp)
    return up * down


def trunk_lean_truth(spec: RunnerSpec, t: np.ndarray) -> np.ndarray:
    """The trunk lean (degrees, + forward) the figure has at times `t` `(N,)`."""
    t = np.asarray(t, dtype=float)
    osc = 0.0
    if spec.mode != "standing":
        osc = spec.lean_oscillation_deg * np.sin(4 * np.pi * (spec.start_phase + t / spec.stride_s))
    return spec.trunk_lean_deg + spec.arch_delta_deg * _arch_weight(spec, t) + osc


def _phases(spec: RunnerSpec, t: np.ndarray) -> dict[Leg, np.ndarray]:
    right = np.mod(spec.start_phase + t / spec.stride_s, 1.0)
    return {"right": right, "left": np.mod(right + 0.5, 1.0)}


def _figure(spec: RunnerSpec, t: np.ndarray) -> tuple[np.ndarray, dict[Leg, dict[str, np.ndarray]]]:
    """Clean landmarks `(N, 33, 2)` in (f, u) metres, and each leg's kinematics."""
    n = t.shape[0]
    h = spec.body_height_m
    if spec.mode == "standing":
        legs = {leg: _standing_points(spec, t) for leg in LEGS}
        arm_phase = {leg: np.zeros(n) for leg in LEGS}
    else:
        keys = _solve_gait(spec)
        phases = _phases(spec, t)
        legs = {leg: _leg_points(keys, phases[leg]) for leg in LEGS}
        peak = keys.duty + _U_THIGH_PEAK * (1 - keys.duty)
        arm_phase = {leg: phases[leg] - peak for leg in LEGS}
    hip = legs["right"]["hip"]
    pts = np.zeros((n, N_LANDMARKS, 2))
    lean = np.radians(trunk_lean_truth(spec, t))
    shoulder = hip + _TRUNK * h * _up(lean)
    head_tilt = 0.5 * lean
    ear = shoulder + _NECK * h * _up(0.6 * lean)
    for leg in LEGS:
        for name, idx in _LEG_IDX[leg].items():
            pts[:, idx] = legs[leg][name]
        # Arm: swings against the same-side leg (back when that thigh is forward).
        swing = math.radians(spec.arm_swing_deg) * -np.cos(2 * np.pi * arm_phase[leg])
        upper = lean * 0.5 + math.radians(-5.0) + swing
        fore = upper + math.radians(spec.elbow_flexion_deg)
        elbow = shoulder + _UPPER_ARM * h * _dir(upper)
        wrist = elbow + _FOREARM * h * _dir(fore)
        hand = 0.45 * _HAND * h
        sh_i, el_i, wr_i, pk_i, ix_i, th_i = _ARM_IDX[leg]
        pts[:, sh_i], pts[:, el_i], pts[:, wr_i] = shoulder, elbow, wrist
        pts[:, pk_i] = wrist + hand * _dir(fore + 0.25)
        pts[:, ix_i] = wrist + hand * _dir(fore)
        pts[:, th_i] = wrist + 0.7 * hand * _dir(fore - 0.35)
        # Head: eyes ahead of the ear, mouth below and ahead.
        ein, eye, eout, ear_i, mouth = _HEAD_IDX[leg]
        for idx, off in ((ein, (0.050, 0.010)), (eye, (0.045, 0.012)), (eout, (0.038, 0.012)),
                         (ear_i, (0.0, 0.0)), (mouth, (0.045, -0.035))):
            pts[:, idx] = ear + _rot(np.broadcast_to(np.array(off) * h, (n, 2)), -head_tilt)
    pts[:, L.NOSE] = ear + _rot(np.broadcast_to(np.array([0.060, -0.010]) * h, (n, 2)), -head_tilt)
    return pts, legs


def _to_image(spec: RunnerSpec, fu: np.ndarray) -> np.ndarray:
    """(f, u) metres `(..., 2)` → image pixels `(..., 2)`."""
    sign = 1.0 if spec.facing == "right" else -1.0
    s = spec.px_per_m
    x = spec.image_size[0] / 2 + sign * s * fu[..., 0]
    y = spec.deck_y_px - s * fu[..., 1]
    return np.stack([x, y], axis=-1)


def clean_landmarks(spec: RunnerSpec, t: np.ndarray) -> np.ndarray:
    """Noise-free landmark pixels `(N, 33, 2)` at times `t` `(N,)` (any times, not just frames)."""
    pts, _ = _figure(spec, np.atleast_1d(np.asarray(t, dtype=float)))
    return _to_image(spec, pts)


def _events(spec: RunnerSpec) -> tuple[dict[Leg, np.ndarray], dict[Leg, np.ndarray]]:
    """Exact contact and toe-off times per leg in [0, duration)."""
    contacts: dict[Leg, np.ndarray] = {}
    toe_offs: dict[Leg, np.ndarray] = {}
    if spec.mode == "standing":
        empty = np.zeros(0)
        return {leg: empty for leg in LEGS}, {leg: empty for leg in LEGS}
    T = spec.stride_s
    for leg, offset in (("right", 0.0), ("left", 0.5)):
        start = spec.start_phase + offset
        k = np.arange(-2, math.ceil(spec.duration_s / T) + 3)
        for store, at in ((contacts, 0.0), (toe_offs, spec.duty_factor)):
            times = (k + at - start) * T
            store[leg] = times[(times >= 0) & (times < spec.duration_s)]  # type: ignore[index]
    return contacts, toe_offs


def generate(spec: RunnerSpec) -> tuple[list[Pose | None], SyntheticTruth]:
    """Frames `Pose | None` at `t = i / fps`, `i < duration_s * fps`, and their truth."""
    n = int(round(spec.duration_s * spec.fps))
    t = np.arange(n) / spec.fps
    rng = np.random.default_rng(spec.seed)
    pts, legs = _figure(spec, t)
    xy_clean = _to_image(spec, pts)
    far: Leg = "left" if spec.near_leg == "right" else "right"

    vis = np.empty((n, N_LANDMARKS))
    vis[:] = rng.uniform(0.9, 1.0, size=(n, N_LANDMARKS))
    far_idx = list(SIDE_LANDMARKS[far])
    vis[:, far_idx] = rng.uniform(0.3, 0.6, size=(n, len(far_idx)))

    xy = xy_clean.copy()
    if spec.noise_px > 0:
        sigma = np.full(N_LANDMARKS, float(spec.noise_px))
        sigma[far_idx] *= spec.far_noise_scale
        xy += rng.normal(size=xy.shape) * sigma[None, :, None]
    swapped = rng.random(n) < spec.swap_probability
    left, right = list(LEG_CHAINS["left"]), list(LEG_CHAINS["right"])
    xy[np.ix_(swapped, left)], xy[np.ix_(swapped, right)] = (
        xy[np.ix_(swapped, right)].copy(), xy[np.ix_(swapped, left)].copy())

    dropped = rng.random(n) < spec.dropout_fraction
    for start, end in spec.dropout_intervals:
        dropped |= (t >= start) & (t < end)

    frames: list[Pose | None] = [
        None if dropped[i] else Pose(xy=xy[i], visibility=vis[i], t=float(t[i])) for i in range(n)
    ]

    def thigh(leg: Leg) -> np.ndarray:
        return np.degrees(_angle_from_down(legs[leg]["knee"] - legs[leg]["hip"]))

    def knee_flex(leg: Leg) -> np.ndarray:
        shank = np.degrees(_angle_from_down(legs[leg]["ankle"] - legs[leg]["knee"]))
        return thigh(leg) - shank

    contacts, toe_offs = _events(spec)
    extras: dict[str, float] = {}
    belt = 0.0
    if spec.mode != "standing":
        keys = _solve_gait(spec)
        belt = keys.belt
        extras = {"hip_height_contact_m": float(_hip_height(keys, np.array([0.0]))[0]),
                  "thigh_contact_deg": math.degrees(keys.theta_c),
                  "knee_toe_off_deg": math.degrees(keys.theta_to - keys.sigma_to)}
    truth = SyntheticTruth(
        spec=spec,
        t=t,
        contacts=contacts,
        toe_offs=toe_offs,
        trunk_lean_deg=trunk_lean_truth(spec, t),
        arching=_arch_weight(spec, t) > 0.5,
        thigh_deg={leg: thigh(leg) for leg in LEGS},
        knee_flexion_deg={leg: knee_flex(leg) for leg in LEGS},
        in_contact={leg: legs[leg]["stance"].copy() for leg in LEGS},
        foot_low_u_m={leg: np.minimum(legs[leg]["heel"][:, 1], legs[leg]["toe"][:, 1])
                      for leg in LEGS},
        hip_px=xy_clean[:, L.LEFT_HIP].copy(),
        dropped=dropped,
        swapped=swapped & ~dropped,
        belt_speed_mps=belt,
        extras=extras,
    )
    return frames, truth


def leg_kinematics(spec: RunnerSpec, t: np.ndarray) -> dict[Leg, dict[str, np.ndarray]]:
    """Clean per-leg points in (f, u) metres at times `t`: hip, knee, ankle, heel, toe `(N, 2)`,
    stance `(N,)` bool. For tests and plots."""
    _, legs = _figure(spec, np.atleast_1d(np.asarray(t, dtype=float)))
    return legs


#: Head, shoulders and arms: the landmarks above the hips.
UPPER_BODY = list(range(0, 23))


def couple_trunk(frames: list[Pose | None], truth: SyntheticTruth,
                 gain: float) -> tuple[list[Pose | None], np.ndarray]:
    """Post-process a synthetic run so the trunk goes back as the leg goes behind.

    The head, shoulders and arms rotate about the mid-hip by `-gain * max(0, -thigh)`
    degrees of lean, `thigh` being the more extended of the two thighs (the stance leg's
    in late stance). Returns the new frames and the new true trunk lean `(N,)`.
    """
    behind = np.maximum(0.0, -np.minimum(truth.thigh_deg["left"], truth.thigh_deg["right"]))
    delta = -gain * behind  # degrees of lean, + forward
    sign = direction_sign(truth.facing)
    out: list[Pose | None] = []
    for frame, d in zip(frames, delta):
        if frame is None:
            out.append(None)
            continue
        xy = frame.xy.copy()
        hip = frame.midpoint(L.LEFT_HIP, L.RIGHT_HIP)
        f = sign * (xy[UPPER_BODY, 0] - hip[0])  # forward
        u = -(xy[UPPER_BODY, 1] - hip[1])  # up
        a = math.radians(d)  # lean + forward: (f, u) turns from up towards forward
        f2 = f * math.cos(a) + u * math.sin(a)
        u2 = -f * math.sin(a) + u * math.cos(a)
        xy[UPPER_BODY, 0] = hip[0] + sign * f2
        xy[UPPER_BODY, 1] = hip[1] - u2
        out.append(frame.with_xy(xy))
    return out, truth.trunk_lean_deg + delta
