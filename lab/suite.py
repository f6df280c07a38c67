"""The named matrix of specs: the runners, rooms and faults the coach must hold across.

`full()` spans cadences 110–200 and walking 95–130, every fault at three sizes with its onset
mid-clip, body shapes, clothes, cameras (distance, height, yaw, roll, lens, portrait,
480p–1080p, 15/30/60 fps, facing), consoles, backgrounds, light, noise, compression and
motion blur, an empty scene and a passer-by. Every spec changes one thing from `BASE`
(the default camera's clean run), so a row of the score table reads as "this, and only
this, changed". `quick()` is a short subset at 640×360 that CI renders and scores.
"""

from __future__ import annotations

from dataclasses import replace

from lab.body import BodyShape
from lab.faults import Fault
from lab.figure import Outfit
from lab.spec import CameraSpec, Spec

BASE = Spec(name="run_170", duration_s=10.0)
#: Faulty clips: ten clean seconds, the fault from the middle, a baseline learnt in 8 s.
FAULT_CLIP_S = 20.0
FAULT_ONSET_S = 10.0
CALIBRATION = ("--calibration-s", "8")
#: Arching clips in the loose top too: it hangs over the hollow of the back.
LOOSE_TOP = Outfit(top="loose", top_colour="grey")
#: Overstriding is coached below 160 steps/min (cues/rules.toml), so its clips run at 150.
OVERSTRIDE_CADENCE = 150.0

FAULT_SIZES = {
    "lumbar_extension": (5.0, 10.0, 15.0),
    "anterior_pelvic_tilt": (5.0, 10.0, 15.0),
    "trunk_lean": (-4.0, -8.0, -12.0, 8.0, 12.0, 16.0),
    "hip_extension_limit": (10.0, 5.0, 0.0),
    "overstride": (8.0, 14.0, 20.0),
}


def variant(name: str, **changes) -> Spec:
    """`BASE` with `changes`, named `name`."""
    return replace(BASE, name=name, **changes)


def camera(**changes) -> CameraSpec:
    """The default camera with `changes`."""
    return replace(CameraSpec(), **changes)


def faulty(name: str, faults: tuple[Fault, ...], cadence_spm: float = BASE.cadence_spm) -> Spec:
    """A 20 s clip, clean for its first half."""
    return variant(name, duration_s=FAULT_CLIP_S, faults=faults, analyze_args=CALIBRATION, cadence_spm=cadence_spm)


def fault_specs() -> list[Spec]:
    """Every fault at its sizes; arching as lumbar extension with pelvic tilt together, and at
    a level lean (lab/faults.py); three arching clips in a loose top."""
    out = []
    for kind, sizes in FAULT_SIZES.items():
        for size in sizes:
            label = f"{'m' if size < 0 else ''}{abs(size):g}"
            cadence = OVERSTRIDE_CADENCE if kind == "overstride" else BASE.cadence_spm
            out.append(faulty(f"{kind}_{label}", (Fault(kind, size, FAULT_ONSET_S),), cadence))
    for size in (5.0, 10.0, 15.0):
        both = (Fault("lumbar_extension", size / 2, FAULT_ONSET_S), Fault("anterior_pelvic_tilt", size / 2, FAULT_ONSET_S))
        out.append(faulty(f"arch_combined_{size:g}", both))
        out.append(faulty(f"arch_level_lean_{size:g}", (Fault("level_lean_arch", size, FAULT_ONSET_S),)))
    out.append(replace(faulty("lumbar_extension_10_loose_top", (Fault("lumbar_extension", 10.0, FAULT_ONSET_S),)),
                       outfit=LOOSE_TOP))
    for size in (10.0, 15.0):
        level = (Fault("level_lean_arch", size, FAULT_ONSET_S),)
        out.append(replace(faulty(f"arch_level_lean_{size:g}_loose_top", level), outfit=LOOSE_TOP))
    return out


def full() -> list[Spec]:
    """The whole suite (README "The lab" lists it)."""
    specs = [BASE]
    specs += [variant(f"run_{c}", cadence_spm=float(c)) for c in (110, 125, 140, 155, 185, 200)]
    specs += [variant(f"walk_{c}", activity="walking", cadence_spm=float(c)) for c in (95, 115, 130)]
    specs += [variant("empty_gym", activity="none", duration_s=6.0),
              variant("empty_passer_by", activity="none", second_person=True, duration_s=8.0),
              variant("run_passer_by", second_person=True)]
    specs += fault_specs()
    specs += [
        variant("body_female_160", body=BodyShape(height_m=1.60, sex=0.0), outfit=Outfit(hair="long", top_colour="teal")),
        variant("body_tall_195", body=BodyShape(height_m=1.95, sex=1.0, muscle=0.7)),
        variant("body_heavy", body=BodyShape(height_m=1.72, sex=1.0, weight=0.95), outfit=Outfit(top="tshirt", top_colour="grey")),
        variant("body_slight_female", body=BodyShape(height_m=1.68, sex=0.0, weight=0.15), outfit=Outfit(skin="dark", top_colour="orange")),
        variant("clothes_loose_top", outfit=Outfit(top="loose", top_colour="grey")),
        variant("clothes_tights", outfit=Outfit(bottoms="tights", top="tshirt", top_colour="blue")),
        variant("clothes_loose_tights", outfit=Outfit(top="loose", bottoms="tights", top_colour="red", skin="tan")),
        variant("cam_near_2m", camera=camera(distance_m=2.0)),
        variant("cam_far_4m", camera=camera(distance_m=4.0)),
        variant("cam_low_0_3m", camera=camera(height_m=0.3)),
        variant("cam_high_1_5m", camera=camera(height_m=1.5)),
        variant("cam_yaw_m15", camera=camera(yaw_deg=-15.0)),
        variant("cam_yaw_15", camera=camera(yaw_deg=15.0)),
        variant("cam_roll_m5", camera=camera(roll_deg=-5.0)),
        variant("cam_roll_5", camera=camera(roll_deg=5.0)),
        variant("cam_wide_90", camera=camera(hfov_deg=90.0, distance_m=2.2)),
        variant("cam_portrait", camera=camera(width=720, height=1280, hfov_deg=40.0)),
        variant("cam_480p", camera=camera(width=854, height=480)),
        variant("cam_1080p", camera=camera(width=1920, height=1080)),
        variant("fps_15", fps=15.0),
        variant("fps_60", fps=60.0),
        variant("facing_right", facing="right"),
        variant("console_near", console="near"),
        variant("console_none", console="none"),
        variant("bg_fence", background="fence"),
        variant("bg_park", background="park"),
        variant("bg_wall_white", background="wall_white", outfit=Outfit(top_colour="white", bottoms_colour="grey")),
        variant("bg_wall_blue", background="wall_blue"),
        variant("light_dim", lighting="dim"),
        variant("light_side", lighting="side"),
        variant("noise_8", noise=8.0),
        variant("mjpeg_q40", jpeg_quality=40),
        variant("h264_crf32", crf=32),
        variant("motion_blur", motion_blur=5),
    ]
    return specs


def quick() -> list[Spec]:
    """Ten short clips at 640×360 that CI renders and scores in a few minutes."""
    small = camera(width=640, height=360)
    q = lambda name, **kw: replace(BASE, name=name, camera=kw.pop("camera", small), **kw)  # noqa: E731
    return [
        q("q_run_170", duration_s=6.0),
        q("q_run_120", cadence_spm=120.0, duration_s=6.0),
        q("q_walk_110", activity="walking", cadence_spm=110.0, duration_s=5.0),
        q("q_empty", activity="none", duration_s=3.0),
        q("q_passer_by", activity="none", second_person=True, duration_s=5.0),  # walks past at 1.4 m/s
        q("q_run_170_right", facing="right", duration_s=6.0),
        q("q_arch_10", duration_s=8.0, faults=(Fault("lumbar_extension", 10.0, 3.0),),
          analyze_args=("--calibration-s", "2")),
        q("q_arch_level_12", duration_s=13.0, faults=(Fault("level_lean_arch", 12.0, 7.0),),
          analyze_args=("--calibration-s", "5")),  # 5 s: the 12 strides a spread needs
        q("q_low_60fps", camera=camera(width=640, height=360, height_m=0.5), fps=60.0, duration_s=4.0),
        q("q_loose_tights", outfit=Outfit(top="loose", bottoms="tights", top_colour="red"), duration_s=5.0),
    ]


def by_name() -> dict[str, Spec]:
    """Every named spec of both suites."""
    return {s.name: s for s in full() + quick()}
