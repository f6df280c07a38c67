"""A clip's recipe: who runs how, the faults, the camera and the room. TOML or a dict.

Every field has a default (`Spec()` is the default camera's clean 170 steps/min run); a TOML
file names only what differs, e.g.::

    name = "slow_jog_arch"
    duration_s = 24
    activity = "running"
    cadence_spm = 130
    [[faults]]
    kind = "lumbar_extension"
    magnitude = 10
    onset_s = 12
    [camera]
    height_m = 0.5
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from lab.body import BodyShape
from lab.faults import Fault
from lab.figure import Outfit
from realtime.core.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BACKGROUNDS = ("gym", "fence", "park", "wall_white", "wall_grey", "wall_beige", "wall_blue", "none")


@dataclass(frozen=True)
class CameraSpec:
    """Where the camera is and what it records."""

    distance_m: float = 3.0
    height_m: float = 1.0
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    hfov_deg: float = 62.0
    width: int = 1280
    height: int = 720

    def __post_init__(self) -> None:
        checks = [(1.0 <= self.distance_m <= 8.0, "distance_m 1..8"), (0.1 <= self.height_m <= 2.5, "height_m 0.1..2.5"),
                  (abs(self.yaw_deg) <= 45, "yaw_deg within ±45"), (abs(self.roll_deg) <= 20, "roll_deg within ±20"),
                  (20 <= self.hfov_deg <= 120, "hfov_deg 20..120"),
                  (160 <= self.width <= 3840 and 160 <= self.height <= 3840, "width and height 160..3840"),
                  (self.width % 2 == 0 and self.height % 2 == 0, "even width and height (H.264)")]
        for ok, what in checks:
            if not ok:
                raise ValueError(f"camera: {what}")


@dataclass(frozen=True)
class Spec:
    """One clip (see the module doc). `activity` 'none' is an empty scene."""

    name: str = "run"
    duration_s: float = 12.0
    fps: float = 30.0
    activity: str = "running"
    cadence_spm: float = 170.0
    gait: dict = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()
    body: BodyShape = BodyShape()
    outfit: Outfit = Outfit()
    facing: str = "left"
    camera: CameraSpec = CameraSpec()
    console: str = "front"
    background: str = "gym"
    lighting: str = "bright"
    noise: float = 2.0
    jpeg_quality: int | None = None
    crf: int = 20
    motion_blur: int = 1
    second_person: bool = False
    seed: int = 0
    analyze_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"name {self.name!r}: letters, digits, - and _ only (it names a folder)")
        if not 1.0 <= self.duration_s <= 600.0:
            raise ValueError("duration_s must be 1..600")
        if not 5.0 <= self.fps <= 120.0:
            raise ValueError("fps must be 5..120")
        if self.activity not in ("running", "walking", "none"):
            raise ValueError(f"activity must be running, walking or none, not {self.activity!r}")
        if self.facing not in ("left", "right"):
            raise ValueError(f"facing must be left or right, not {self.facing!r}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}")
        if not (0 <= self.noise <= 30 and 1 <= self.motion_blur <= 9 and 0 <= self.crf <= 51):
            raise ValueError("noise 0..30, motion_blur 1..9 subframes, crf 0..51")
        if self.jpeg_quality is not None and not 5 <= self.jpeg_quality <= 100:
            raise ValueError("jpeg_quality must be 5..100")
        for f in self.faults:
            if f.onset_s >= self.duration_s:
                raise ValueError(f"fault {f.kind} starts at {f.onset_s} s, after the clip ends")

    @property
    def frames(self) -> int:
        """Frames in the clip."""
        return int(math.floor(self.duration_s * self.fps + 1e-9))

    def mirrored(self) -> "Spec":
        """The same clip with the runner facing the other way."""
        return replace(self, name=self.name + "_mirror", facing="right" if self.facing == "left" else "left")

    def as_dict(self) -> dict:
        """A plain dict (JSON and TOML friendly) that `spec_from_dict` reads back."""
        out = asdict(self)
        out["faults"] = [asdict(f) for f in self.faults]
        out["analyze_args"] = list(self.analyze_args)
        return out


NESTED = {"body": BodyShape, "outfit": Outfit, "camera": CameraSpec}


def spec_from_dict(data: dict) -> Spec:
    """A Spec from a dict (TOML or JSON), unknown keys refused by name."""
    known = {f.name for f in fields(Spec)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown spec field(s): {', '.join(sorted(unknown))}")
    kw = dict(data)
    for key, cls in NESTED.items():
        if key in kw:
            sub = kw[key]
            bad = set(sub) - {f.name for f in fields(cls)}
            if bad:
                raise ValueError(f"unknown {key} field(s): {', '.join(sorted(bad))}")
            kw[key] = cls(**sub)
    if "faults" in kw:
        kw["faults"] = tuple(Fault(**f) for f in kw["faults"])
    if "analyze_args" in kw:
        kw["analyze_args"] = tuple(str(a) for a in kw["analyze_args"])
    return Spec(**kw)


def load_spec(path: Path) -> Spec:
    """A Spec from a .toml or .json file; bad files raise UserError with the reason."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return spec_from_dict(data)
    except FileNotFoundError:
        raise UserError(f"no spec file {path}; give a .toml spec or a name from `python -m lab suite --list`") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError, TypeError, ValueError) as err:
        raise UserError(f"{path} is not a valid lab spec: {err}") from None
