"""Is this pose a plausible upright runner? A gate at the edge of the analysis.

The pose model always finds *somebody*: a tree at the frame's edge, a person doing a flip,
a sprinter leaving the blocks. None of these is a runner on a treadmill, and a lean, a
stride or a set-up hint measured on them is a lie. A pose that fails the gate is treated
as nobody in view: no lean, no gait, nothing stored as a measurement, and the screen asks
the runner to step into view.

Each bound, and where its number comes from:

- `min_visibility` 0.5: the trunk (both shoulders, both hips, mean) must be seen, and only
  the leg joints that are seen are checked (a leg cut off by the frame still gets its set-up
  hint, "Move the camera back"); 0.5 is the visibility the posture (`posture.trunk_visible`) and
  the set-up checks (`setup_check.SetupParams.min_visibility`) already call "seen".
- `max_trunk_from_vertical_deg` 35: the trunk line (mid-hip → mid-shoulder) from vertical,
  either way. The lab's steepest running is `trunk_lean_16` (the default body's lean of about
  5.5° plus a 16° fault, with its swing of a degree or two: about 23°) and its steepest lean
  back `trunk_lean_m12` (about −7°); a camera roll the scene could not measure adds up to the
  lab's ±5° (`cam_roll_5`), and the pose model's lean error a few degrees more (about 30° in
  all). Physically, a runner holds a steeper trunk only while accelerating hard (a sprint
  start, 40–60°: the lean balances a horizontal acceleration of roughly g·tan(lean), well
  over 0.5 g), which a treadmill's steady belt does not allow.
- `leg_to_trunk` 0.43–1.7: thigh (hip → knee) and shin (knee → ankle) over the trunk length,
  on the better-seen leg. Anthropometric tables (Winter, *Biomechanics and Motor Control of
  Human Movement*: trunk 0.288 H, thigh 0.245 H, shank 0.246 H) give 0.85 for both; the lab's
  bodies give 0.88–0.97 (run_170's truth). The range is that, halved and doubled, so a thigh
  foreshortened by a swing towards the camera or a landmark off by a few pixels still passes,
  while a skeleton strung over branches and trunks of a tree does not.
- Feet below the hips: an ankle that is seen (visibility ≥ 0.5) is below the mid-hip line by
  at least `min_ankle_drop` 0.3 trunk lengths. A running leg never lifts its ankle to hip
  height behind the body either: the lab's highest ankle, at full knee flexion in swing, is
  0.75 trunk lengths below the hips (run_170's truth); 0.3 is well under that, and a flip or a
  handstand fails it.
- `min_trunk_px` 30: the trunk at least this many pixels long. A landmark error of 2 px (the
  pose model's jitter on a still body) turns the trunk line by atan(2/30) ≈ 3.8°, about the 4°
  the arching cue acts on; a smaller body cannot be coached. The lab's runners are far larger
  (trunk 165 px in run_170's truth, 135 px in cam_wide_90's, the widest view); the set-up hint
  "Move the camera closer" (`setup_check`) speaks long before this (a body under 30 % of the
  image height).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.analysis.posture import trunk_lean_deg, trunk_vector, trunk_visible
from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose

_LEGS = {"left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE), "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)}


@dataclass(frozen=True)
class PlausibilityBounds:
    """The gate's bounds (see the module doc for where each comes from)."""

    min_visibility: float = 0.5
    max_trunk_from_vertical_deg: float = 35.0
    min_leg_to_trunk: float = 0.43
    max_leg_to_trunk: float = 1.7
    min_ankle_drop: float = 0.3
    min_trunk_px: float = 30.0


DEFAULT_BOUNDS = PlausibilityBounds()


def trunk_from_vertical_deg(pose: Pose) -> float:
    """Angle of mid-hip → mid-shoulder from straight up, 0..180°, whichever way it leans."""
    return abs(trunk_lean_deg(pose, "right"))


def trunk_px(pose: Pose) -> float:
    """Length of mid-hip → mid-shoulder in pixels."""
    return float(np.linalg.norm(trunk_vector(pose)))


def better_leg(pose: Pose) -> str:
    """"left" or "right": the leg whose hip, knee and ankle are the better seen."""
    vis = {side: float(pose.visibility[list(idx)].mean()) for side, idx in _LEGS.items()}
    return "left" if vis["left"] >= vis["right"] else "right"


def reason_kind(reason: str) -> str:
    """The kind of an `implausible_reason` ("trunk_tilted: 52°" → "trunk_tilted")."""
    return reason.split(":", 1)[0]


def implausible_reason(pose: Pose, bounds: PlausibilityBounds = DEFAULT_BOUNDS) -> str | None:
    """Why `pose` is not a plausible upright runner, "kind: detail" (kinds: trunk_unseen,
    too_small, trunk_tilted, thigh_proportion, shin_proportion, feet_above_hips); None when
    it is one."""
    vis = pose.visibility
    if not trunk_visible(pose, bounds.min_visibility):
        return "trunk_unseen: shoulders and hips below the visibility bound"
    trunk = trunk_px(pose)
    if trunk < bounds.min_trunk_px:
        return f"too_small: trunk {trunk:.0f} px"
    lean = trunk_from_vertical_deg(pose)
    if lean > bounds.max_trunk_from_vertical_deg:
        return f"trunk_tilted: {lean:.0f}° from vertical"
    hip, knee, ankle = _LEGS[better_leg(pose)]
    xy, seen = pose.xy, vis >= bounds.min_visibility
    for name, a, b in (("thigh", hip, knee), ("shin", knee, ankle)):
        if not (seen[a] and seen[b]):
            continue  # a leg cut off by the frame or hidden by a console is no sign of a tree
        ratio = float(np.linalg.norm(xy[a] - xy[b])) / trunk
        if not bounds.min_leg_to_trunk <= ratio <= bounds.max_leg_to_trunk:
            return f"{name}_proportion: {ratio:.2f} trunk lengths"
    hip_y = pose.midpoint(L.LEFT_HIP, L.RIGHT_HIP)[1]
    for side_ankle in (L.LEFT_ANKLE, L.RIGHT_ANKLE):
        if vis[side_ankle] >= bounds.min_visibility and (xy[side_ankle, 1] - hip_y) / trunk < bounds.min_ankle_drop:
            return "feet_above_hips: an ankle seen level with or above the hips"
    return None


def plausible_runner(pose: Pose | None, bounds: PlausibilityBounds = DEFAULT_BOUNDS) -> bool:
    """True for a pose that may be measured as an upright runner (False for None)."""
    return pose is not None and implausible_reason(pose, bounds) is None
