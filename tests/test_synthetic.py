"""The synthetic runner's truth is self-consistent."""

from __future__ import annotations

import math

import numpy as np
import pytest

from realtime.core.pose import Landmark as L
from realtime.core.pose import Pose
from realtime.sources.synthetic import (
    LEG_CHAINS,
    LEGS,
    SIDE_LANDMARKS,
    RunnerSpec,
    clean_landmarks,
    generate,
    leg_kinematics,
    trunk_lean_truth,
)

SPECS = {
    "running": RunnerSpec.running(),
    "walking": RunnerSpec.walking(),
    "overstriding": RunnerSpec.running(overstride_m=0.30, trunk_lean_deg=-3.0),
    "short": RunnerSpec.running(overstride_m=0.05, hip_extension_deg=-8.0, cadence_spm=185),
}


def _lean(xy: np.ndarray, facing: str) -> np.ndarray:
    """Trunk lean (deg) of landmark arrays `(N, 33, 2)`."""
    hip = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2
    sh = (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER]) / 2
    sign = 1.0 if facing == "right" else -1.0
    return np.degrees(np.arctan2(sign * (sh - hip)[:, 0], -(sh - hip)[:, 1]))


def test_frames_shapes_and_times() -> None:
    spec = RunnerSpec.running(fps=30, duration_s=4)
    frames, truth = generate(spec)
    assert len(frames) == 120 == truth.t.shape[0]
    assert all(isinstance(f, Pose) for f in frames)
    assert np.allclose([f.t for f in frames], np.arange(120) / 30)
    assert truth.trunk_lean_deg.shape == (120,) and truth.hip_px.shape == (120, 2)
    assert truth.cadence_spm == 170 and truth.stride_s == pytest.approx(120 / 170)
    assert truth.near_leg == "right" and truth.facing == "right"


def test_same_seed_same_frames() -> None:
    spec = RunnerSpec.running(duration_s=2, noise_px=3, dropout_fraction=0.1, swap_probability=0.1)
    a, _ = generate(spec)
    b, _ = generate(spec)
    for fa, fb in zip(a, b):
        assert (fa is None) == (fb is None)
        if fa is not None and fb is not None:
            assert np.array_equal(fa.xy, fb.xy)


@pytest.mark.parametrize("name", list(SPECS))
def test_lowest_foot_point_is_on_the_deck_exactly_in_contact(name: str) -> None:
    spec = SPECS[name].with_(fps=500, duration_s=3)
    _, truth = generate(spec)
    for leg in LEGS:
        low, contact = truth.foot_low_u_m[leg], truth.in_contact[leg]
        assert contact.any() and (~contact).any()
        assert np.abs(low[contact]).max() < 1e-9  # on the deck through stance
        assert low[~contact].min() > -1e-9  # never below it in swing
        # and clear of it in mid-swing
        u = (np.mod(spec.start_phase + truth.t / spec.stride_s + (0.5 if leg == "left" else 0), 1)
             - spec.duty_factor) / (1 - spec.duty_factor)
        assert low[(u > 0.1) & (u < 0.9)].min() > 0.005


def test_deck_in_pixels_and_contacts_where_the_foot_lands() -> None:
    spec = RunnerSpec.running(fps=60, duration_s=3)
    frames, truth = generate(spec)
    feet = {leg: [LEG_CHAINS[leg][3], LEG_CHAINS[leg][4]] for leg in LEGS}
    for i, f in enumerate(frames):
        assert f is not None
        for leg in LEGS:
            lowest_y = f.xy[feet[leg], 1].max()
            if truth.in_contact[leg][i]:
                assert lowest_y == pytest.approx(spec.deck_y_px, abs=1e-6)
            else:
                assert lowest_y < spec.deck_y_px + 1e-6
    eps = 1e-6
    for leg in LEGS:
        for tc in truth.contacts[leg]:
            stance = leg_kinematics(spec, np.array([tc - eps, tc + eps]))[leg]["stance"]
            assert not stance[0] and stance[1]
        for to in truth.toe_offs[leg]:
            stance = leg_kinematics(spec, np.array([to - eps, to + eps]))[leg]["stance"]
            assert stance[0] and not stance[1]


@pytest.mark.parametrize("name", list(SPECS))
def test_event_times_follow_cadence_and_duty(name: str) -> None:
    spec = SPECS[name].with_(duration_s=6)
    _, truth = generate(spec)
    for leg in LEGS:
        assert np.allclose(np.diff(truth.contacts[leg]), spec.stride_s)
        assert np.allclose(np.diff(truth.toe_offs[leg]), spec.stride_s)
    # the legs alternate, half a stride apart
    both = np.sort(np.concatenate([truth.contacts["left"], truth.contacts["right"]]))
    assert np.allclose(np.diff(both), spec.stride_s / 2)
    # contact time / stride time is the duty factor
    for leg in LEGS:
        c, o = truth.contacts[leg], truth.toe_offs[leg]
        o_after = o[o > c[0]][: len(c)]
        assert np.allclose((o_after - c[: len(o_after)]) / spec.stride_s, spec.duty_factor)


@pytest.mark.parametrize("name", list(SPECS))
def test_zeni_markers_are_exact(name: str) -> None:
    """Heel most forward (relative to the hip) at contact, toe most backward at toe-off."""
    spec = SPECS[name].with_(duration_s=3.0)
    _, truth = generate(spec)
    half = 0.45 * spec.stride_s
    for leg in LEGS:
        for kind, t_event in (("heel", truth.contacts[leg]), ("toe", truth.toe_offs[leg])):
            for te in t_event[(t_event > half) & (t_event < spec.duration_s - half)]:
                t = np.linspace(te - half, te + half, 4001)
                pts = leg_kinematics(spec, t)[leg]
                ahead = pts[kind][:, 0] - pts["hip"][:, 0]
                extreme = np.argmax(ahead) if kind == "heel" else np.argmin(ahead)
                assert t[extreme] == pytest.approx(te, abs=t[1] - t[0])


@pytest.mark.parametrize("name", ["running", "overstriding", "short"])
def test_hip_extension_overstride_and_thigh_range(name: str) -> None:
    spec = SPECS[name]
    _, truth = generate(spec.with_(duration_s=2))
    t_to = truth.toe_offs["right"][0]
    t_c = truth.contacts["right"][0]
    legs = leg_kinematics(spec, np.array([t_to, t_c]))["right"]
    thigh = np.degrees(np.arctan2(*(legs["knee"] - legs["hip"]).T * np.array([[1], [-1]])))
    assert thigh[0] == pytest.approx(spec.hip_extension_deg, abs=1e-6)  # exact at toe-off
    overstride = legs["heel"][1, 0] - legs["hip"][1, 0]
    assert overstride == pytest.approx(spec.overstride_m, abs=1e-9)
    dense = generate(spec.with_(fps=500, duration_s=spec.stride_s))[1].thigh_deg["right"]
    # the extension peak (sampled every 2 ms)
    assert dense.min() == pytest.approx(spec.hip_extension_deg, abs=0.5)
    assert 28.0 <= dense.max() <= 40.0  # swing flexion peak
    knee = generate(spec.with_(fps=500, duration_s=spec.stride_s))[1].knee_flexion_deg["right"]
    assert 90.0 <= knee.max() <= 110.0 and knee.min() >= 0.0


@pytest.mark.parametrize("facing", ["left", "right"])
def test_trunk_lean_truth_matches_the_landmarks(facing: str) -> None:
    spec = RunnerSpec.running(facing=facing, trunk_lean_deg=6, arch_start_s=2, arch_end_s=4,
                              arch_delta_deg=-9, arch_ramp_s=0.5, duration_s=6)
    frames, truth = generate(spec)
    xy = np.stack([f.xy for f in frames if f is not None])
    assert np.allclose(_lean(xy, facing), truth.trunk_lean_deg, atol=1e-9)
    mid = (truth.t > 2.6) & (truth.t < 4.0)
    out = truth.t < 1.9
    assert np.allclose(truth.trunk_lean_deg[mid], 6 - 9, atol=spec.lean_oscillation_deg + 1e-9)
    assert np.allclose(truth.trunk_lean_deg[out], 6, atol=spec.lean_oscillation_deg + 1e-9)
    assert truth.arching[mid].all() and not truth.arching[out].any()


def test_facing_left_is_the_mirror_image() -> None:
    right = clean_landmarks(RunnerSpec.running(), np.linspace(0, 1, 7))
    left = clean_landmarks(RunnerSpec.running(facing="left"), np.linspace(0, 1, 7))
    width = RunnerSpec.running().image_size[0]
    assert np.allclose(left[..., 0], width - right[..., 0])
    assert np.allclose(left[..., 1], right[..., 1])
    # nose ahead of the ears in the running direction
    assert (right[:, L.NOSE, 0] > right[:, L.RIGHT_EAR, 0]).all()
    assert (left[:, L.NOSE, 0] < left[:, L.LEFT_EAR, 0]).all()


@pytest.mark.parametrize("facing,near", [("right", "right"), ("left", "left")])
def test_near_side_is_more_visible(facing: str, near: str) -> None:
    spec = RunnerSpec.running(facing=facing, duration_s=2)
    frames, truth = generate(spec)
    assert truth.near_leg == near
    far = "left" if near == "right" else "right"
    vis = np.stack([f.visibility for f in frames if f is not None])
    assert vis[:, list(SIDE_LANDMARKS[near])].min() >= 0.9
    far_vis = vis[:, list(SIDE_LANDMARKS[far])]
    assert far_vis.min() >= 0.3 and far_vis.max() <= 0.6


def test_hip_bounces_twice_a_stride_by_the_asked_amount() -> None:
    spec = RunnerSpec.running(fps=200, duration_s=10 * 120 / 170)
    _, truth = generate(spec)
    y = truth.hip_px[:, 1]
    assert np.ptp(y) == pytest.approx(spec.hip_bounce_m * spec.px_per_m, rel=1e-3)
    assert np.ptp(truth.hip_px[:, 0]) == 0.0  # treadmill: no horizontal travel
    lows = np.sum((y[1:-1] > y[:-2]) & (y[1:-1] > y[2:]))  # image y down: lowest hip = max y
    assert lows in (19, 20, 21)  # two per stride over 10 strides


def test_running_has_flight_and_walking_double_support() -> None:
    _, run = generate(RunnerSpec.running(fps=200, duration_s=2))
    _, walk = generate(RunnerSpec.walking(fps=200, duration_s=3))
    both = run.in_contact["left"] & run.in_contact["right"]
    none = ~run.in_contact["left"] & ~run.in_contact["right"]
    assert not both.any() and none.any()
    both = walk.in_contact["left"] & walk.in_contact["right"]
    none = ~walk.in_contact["left"] & ~walk.in_contact["right"]
    assert both.any() and not none.any()
    assert walk.duty_factor is not None and walk.duty_factor > 0.5
    assert walk.cadence_spm == 110


def test_standing_is_still_with_feet_down() -> None:
    spec = RunnerSpec.standing(duration_s=4)
    frames, truth = generate(spec)
    assert truth.cadence_spm is None and truth.duty_factor is None
    assert all(len(truth.contacts[leg]) == 0 == len(truth.toe_offs[leg]) for leg in LEGS)
    for leg in LEGS:
        assert np.abs(truth.foot_low_u_m[leg]).max() < 1e-9
    heel = np.array([f.xy[L.RIGHT_HEEL, 0] for f in frames if f is not None])
    assert np.ptp(heel) < 0.03 * spec.px_per_m


def test_noise_dropouts_and_swaps() -> None:
    spec = RunnerSpec.running(duration_s=40, noise_px=3, dropout_fraction=0.05,
                              swap_probability=0.05, dropout_intervals=((1.0, 1.5),), seed=7)
    frames, truth = generate(spec)
    clean = clean_landmarks(spec, truth.t)
    assert all((f is None) == d for f, d in zip(frames, truth.dropped))
    assert all(f is None for f, t in zip(frames, truth.t) if 1.0 <= t < 1.5)
    assert 0.04 < truth.dropped.mean() < 0.08
    assert 0.03 < truth.swapped.mean() < 0.07
    near = [L.NOSE, L.RIGHT_SHOULDER, L.RIGHT_ELBOW]
    err = np.concatenate([f.xy[near] - clean[i, near]
                          for i, f in enumerate(frames) if f is not None])
    assert np.std(err) == pytest.approx(3.0, rel=0.1)
    i = int(np.flatnonzero(truth.swapped)[0])
    frame = frames[i]
    assert frame is not None
    for a, b in zip(LEG_CHAINS["left"], LEG_CHAINS["right"]):
        assert np.linalg.norm(frame.xy[a] - clean[i, b]) < 30  # labels swapped
    assert frame.visibility[L.RIGHT_KNEE] > frame.visibility[L.LEFT_KNEE]  # visibility stays


def test_lean_truth_function_and_validation() -> None:
    spec = RunnerSpec.standing(trunk_lean_deg=3.0)
    assert np.allclose(trunk_lean_truth(spec, np.array([0.0, 1.0])), 3.0)
    with pytest.raises(ValueError):
        RunnerSpec(facing="up")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RunnerSpec(fps=0)
    with pytest.raises(ValueError):
        RunnerSpec(arch_start_s=1.0)
    with pytest.raises(ValueError):
        generate(RunnerSpec(overstride_m=2.0))
    assert math.isclose(RunnerSpec().with_(cadence_spm=180).stride_s, 120 / 180)
