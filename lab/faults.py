"""Form faults with a size and an onset, and the cue that belongs to each.

A fault ramps in smoothly over `ramp_s` from `onset_s`, and out again from `end_s` when set.
Sizes are degrees: a lean change (+ forward), a lumbar extension, an anterior pelvic tilt,
the most hip extension left (the hip cannot go further behind; the pelvis and the low back
make up the rest), or the shank angle at contact an overstrider lands with. A level-lean arch
is a lumbar extension with the trunk turned forward from the hips by `LEAN_PER_LUMBAR_DEG` of
it: the pelvis tips forward under the arch and the trunk's lean stays, so only the back's
shape shows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.gait import smoothstep

#: What each fault should make the coach say (cues/rules.toml ids).
CUE_OF_FAULT = {
    "trunk_lean": None,  # forward: lean_less; backward: ribs_down (decided by the sign)
    "lumbar_extension": "ribs_down",
    "level_lean_arch": "ribs_down",
    "anterior_pelvic_tilt": "ribs_down",
    "hip_extension_limit": "hip_drive",
    "overstride": "shorter_steps",
}

#: The trunk's lean (hip joints → shoulders) drops 0.82° per degree of lumbar extension on the
#: default body (the lab's lumbar_extension_5/10/15 clips: −4.1, −8.2, −12.3°).
LEAN_PER_LUMBAR_DEG = 0.82


@dataclass(frozen=True)
class Fault:
    """One fault: `kind` (a key of CUE_OF_FAULT), `magnitude` in degrees, and when."""

    kind: str
    magnitude: float
    onset_s: float
    ramp_s: float = 1.0
    end_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in CUE_OF_FAULT:
            raise ValueError(f"unknown fault {self.kind!r}; one of {', '.join(CUE_OF_FAULT)}")
        if self.ramp_s <= 0 or self.onset_s < 0:
            raise ValueError("a fault needs onset_s >= 0 and ramp_s > 0")
        if self.end_s is not None and self.end_s < self.onset_s + self.ramp_s:
            raise ValueError("a fault's end_s must come after its ramp")
        if not math.isfinite(self.magnitude):
            raise ValueError("a fault's magnitude must be a number")

    def level(self, t: float) -> float:
        """0 before the onset, 1 once ramped in, back to 0 after `end_s`."""
        rise = float(smoothstep((t - self.onset_s) / self.ramp_s))
        if self.end_s is None:
            return rise
        return rise * (1.0 - float(smoothstep((t - self.end_s) / self.ramp_s)))

    @property
    def cue(self) -> str:
        """The cue id this fault should bring."""
        if self.kind == "trunk_lean":
            return "lean_less" if self.magnitude > 0 else "ribs_down"
        return CUE_OF_FAULT[self.kind]

    def as_dict(self) -> dict:
        """For truth.json: the fault, its full-size time and its cue."""
        return {"kind": self.kind, "magnitude": self.magnitude, "unit": "deg", "onset_s": self.onset_s,
                "full_s": self.onset_s + self.ramp_s, "ramp_s": self.ramp_s, "end_s": self.end_s, "cue": self.cue}


def total(faults: tuple[Fault, ...], kind: str, t: float) -> float:
    """The summed size of every fault of `kind` at t."""
    return sum(f.magnitude * f.level(t) for f in faults if f.kind == kind)
