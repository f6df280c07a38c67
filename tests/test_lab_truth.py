"""The lab's truth is right: the posed MakeHuman body against its own gait model and faults.

No rendering here: the skinned mesh itself is checked (lab/body.py, lab/gait.py,
lab/runner.py, lab/truth.py). The rendered picture is checked in test_lab_render.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from lab.assets import load_assets
from lab.body import BodyShape, Skeleton, foot_vertices, shaped_vertices
from lab.faults import Fault
from lab.gait import SIDES, running_gait, walking_gait
from lab.runner import Runner, pitch_of
from lab.truth import LandmarkReader, frame_angles, sample_dense, stride_truth

GAITS = {
    "run_170": running_gait(170.0),
    "run_110": running_gait(110.0),
    "run_200": running_gait(200.0),
    "walk_115": walking_gait(115.0),
}


@pytest.fixture(scope="module")
def skeleton() -> Skeleton:
    assets = load_assets()
    return Skeleton(assets, shaped_vertices(assets, BodyShape()))


def sample(runner: Runner, t0: float, strides: float = 2.0, hz: float = 120.0):
    """(t, posture, skinned body-frame vertices) over `strides` strides."""
    for t in np.arange(t0, t0 + strides * runner.gait.stride_s, 1.0 / hz):
        posture, transforms = runner.pose(float(t))
        yield float(t), posture, runner.skeleton.skin(transforms)


@pytest.mark.parametrize("name", sorted(GAITS))
def test_each_foot_is_on_the_belt_in_stance_and_clear_of_it_in_mid_swing(skeleton, name):
    gait = GAITS[name]
    runner = Runner(skeleton, gait)
    feet = {side: foot_vertices(skeleton, side) for side in SIDES}
    stance_heights, swing_heights = [], []
    for _, posture, verts in sample(runner, 0.4):
        for side in SIDES:
            leg = posture.legs[side]
            lowest = float(verts[feet[side], 1].min())  # the belt's top is y = 0
            swing_share = (leg.phase - gait.duty) / (1.0 - gait.duty)
            if leg.stance:
                stance_heights.append(lowest)
            elif 0.15 < swing_share < 0.85:
                swing_heights.append(lowest)
    assert len(stance_heights) > 20 and len(swing_heights) > 20
    assert -0.012 < min(stance_heights) and max(stance_heights) < 0.012, "a stance foot leaves the belt"
    # walking's minimum toe clearance is about 1.3 cm (Winter 1992); running's is far more
    assert min(swing_heights) > (0.01 if gait.activity == "walking" else 0.03), "a swinging foot scuffs the belt"


@pytest.mark.parametrize("name", sorted(GAITS))
def test_the_flat_stance_foot_moves_back_at_the_belts_speed(skeleton, name):
    gait = GAITS[name]
    runner = Runner(skeleton, gait)
    heel = LandmarkReader(skeleton)
    t_c = runner.model.contact_time("left", 1.0)
    # the foot is flat from 18 % of the stance until the heel rises (42 % running, 55 % walking)
    t0, t1 = t_c + 0.22 * gait.stance_s, t_c + 0.38 * gait.stance_s
    z = [heel.read(runner.pose(t)[1])[29, 2] for t in (t0, t1)]  # the left heel (MediaPipe 29)
    speed = -(z[1] - z[0]) / (t1 - t0)
    assert speed == pytest.approx(gait.speed_mps, rel=0.03)


def test_running_has_a_flight_phase_and_walking_double_support(skeleton):
    for name, gait in GAITS.items():
        runner = Runner(skeleton, gait)
        down = [sum(p.legs[s].stance for s in SIDES) for _, p, _ in sample(runner, 0.3)]
        if gait.activity == "running":
            assert 0 in down and 2 not in down, name
        else:
            assert 2 in down and 0 not in down, name


def test_hips_are_lowest_at_midstance_when_running_and_highest_when_walking(skeleton):
    for name, gait in GAITS.items():
        model = Runner(skeleton, gait).model
        t_c = model.contact_time("left", 2.0)
        t_mid = t_c + gait.midstance_share * gait.stance_s
        step = np.linspace(t_c, t_c + gait.stride_s / 2, 200)
        heights = np.array([model.hip_height(t) for t in step])
        at_mid = model.hip_height(t_mid)
        if gait.activity == "running":
            assert at_mid <= heights.min() + 0.005, name
            assert np.ptp(heights) > 0.04, name  # 4 cm or more of rise and fall
        else:
            assert at_mid >= heights.max() - 0.005, name


def test_truth_strides_are_the_models_contacts(skeleton):
    gait = GAITS["run_170"]
    runner = Runner(skeleton, gait, first_contact_s=0.2, lead="right")
    reader = LandmarkReader(skeleton)
    dense = sample_dense(runner, reader, 0.0, 4.0)
    strides = stride_truth(runner, dense, "right", 4.0)
    rights = [s["t_contact"] for s in strides if s["leg"] == "right"]
    lefts = [s["t_contact"] for s in strides if s["leg"] == "left"]
    assert rights[0] == pytest.approx(0.2, abs=1e-4)
    assert lefts[0] == pytest.approx(0.2 + gait.stride_s / 2, abs=1e-4)
    assert np.allclose(np.diff(rights), gait.stride_s, atol=1e-4)
    for s in strides:
        assert s["cadence_spm"] == pytest.approx(170.0, abs=0.01)
        assert s["contact_time_s"] == pytest.approx(gait.stance_s, abs=1e-4)
        assert s["near"] == (s["leg"] == "right")


def rib_and_pelvis_pitch_from_the_mesh(skeleton: Skeleton, verts: np.ndarray) -> tuple[float, float]:
    """The pitch of the rib cage's and the pelvis's skin (Kabsch fits to the rest pose), degrees.

    MakeHuman's weights give no skin to the pelvis bones alone: the back of the pelvis is
    shared by spine05, pelvis.L/R and the thighs, so its skin is the vertices mostly on the
    first three."""
    out = []
    for bones, least in ((("spine01", "spine02"), 0.95), (("spine05", "pelvis.L", "pelvis.R", "root"), 0.5)):
        cols = [skeleton.index[b] for b in bones]
        share = np.asarray(skeleton.weights[skeleton.body_vertices][:, cols].sum(axis=1)).ravel()
        idx = skeleton.body_vertices[share > least]
        assert len(idx) > 50
        rest, posed = skeleton.rest_vertices[idx], verts[idx]
        a, b = rest - rest.mean(axis=0), posed - posed.mean(axis=0)
        u, _, vt = np.linalg.svd(b.T @ a)
        rotation = u @ np.diag([1, 1, np.sign(np.linalg.det(u @ vt))]) @ vt
        out.append(pitch_of(rotation))
    return out[0], out[1]


@pytest.mark.parametrize("kind", ["lumbar_extension", "anterior_pelvic_tilt"])
@pytest.mark.parametrize("size", [5.0, 10.0, 15.0])
def test_an_arch_of_theta_opens_the_true_thorax_pelvis_angle_by_theta(skeleton, kind, size):
    gait = GAITS["run_170"]
    clean = Runner(skeleton, gait)
    arched = Runner(skeleton, gait, (Fault(kind, size, onset_s=0.5, ramp_s=0.5),))
    reader = LandmarkReader(skeleton)
    for t in (1.3, 1.47, 1.61):
        rows, meshes = [], []
        for runner in (clean, arched):
            posture, transforms = runner.pose(t)
            rows.append(frame_angles(runner, posture, transforms, reader.read(transforms)))
            meshes.append(rib_and_pelvis_pitch_from_the_mesh(skeleton, skeleton.skin(transforms)))
        assert rows[1]["thorax_pelvis_deg"] - rows[0]["thorax_pelvis_deg"] == pytest.approx(size, abs=0.01)
        assert rows[1]["lumbar_extension_deg"] - rows[0]["lumbar_extension_deg"] == pytest.approx(size, abs=0.01)
        (rib0, pelvis0), (rib1, pelvis1) = meshes
        tilt = rows[1]["pelvic_tilt_deg"] - rows[0]["pelvic_tilt_deg"]
        lean = rows[1]["trunk_lean_deg"] - rows[0]["trunk_lean_deg"]
        # the skin follows: its rib cage opens against its pelvis (whose skin shares the
        # lowest lumbar level's weights, so it takes some of a lumbar extension too)
        assert 0.7 * size < (pelvis1 - rib1) - (pelvis0 - rib0) < 1.1 * size, "the skin does not follow"
        assert rib1 - rib0 == pytest.approx(0.0 if kind == "anterior_pelvic_tilt" else -size, abs=0.3)
        if kind == "anterior_pelvic_tilt":  # the pelvis tips, the rib cage keeps its angle: the lean changes little
            assert tilt == pytest.approx(size, abs=0.01) and abs(lean) < 0.35 * size
        else:  # the rib cage tips back over a still pelvis: the trunk leans back
            assert tilt == pytest.approx(0.0, abs=0.01) and lean < -0.6 * size


def test_a_lean_turns_the_whole_trunk_without_arching_it(skeleton):
    gait = GAITS["run_170"]
    reader = LandmarkReader(skeleton)
    rows = []
    for runner in (Runner(skeleton, gait), Runner(skeleton, gait, (Fault("trunk_lean", -8.0, 0.2, 0.3),))):
        posture, transforms = runner.pose(1.2)
        rows.append(frame_angles(runner, posture, transforms, reader.read(transforms)))
    assert rows[1]["trunk_lean_deg"] - rows[0]["trunk_lean_deg"] == pytest.approx(-8.0, abs=0.5)
    assert rows[1]["thorax_pelvis_deg"] == pytest.approx(rows[0]["thorax_pelvis_deg"], abs=0.01)


def test_an_overstride_lands_with_the_shank_tipped_forward_by_its_size(skeleton):
    gait = running_gait(150.0)
    reader = LandmarkReader(skeleton)
    clean = Runner(skeleton, gait)
    over = Runner(skeleton, gait, (Fault("overstride", 14.0, 0.0, 0.01),))
    shank = []
    for runner in (clean, over):
        strides = stride_truth(runner, sample_dense(runner, reader, 0.0, 3.0), "left", 3.0)
        shank.append(np.median([s["shank_angle_contact_deg"] for s in strides]))
    assert shank[1] - shank[0] == pytest.approx(14.0, abs=1.0)


def test_a_limited_hip_extends_no_further_and_the_back_makes_up_the_rest(skeleton):
    gait = GAITS["run_170"]
    reader = LandmarkReader(skeleton)
    values = {}
    for label, faults in (("free", ()), ("limited", (Fault("hip_extension_limit", 5.0, 0.0, 0.01),))):
        runner = Runner(skeleton, gait, faults)
        strides = stride_truth(runner, sample_dense(runner, reader, 0.0, 3.0), "left", 3.0)
        values[label] = {k: np.median([s[k] for s in strides]) for k in ("hip_extension_deg", "trunk_back_excursion_deg")}
        values[label]["pelvis_swing"] = np.ptp(sample_dense(runner, reader, 1.0, 2.0).values["pelvic_tilt_deg"])
    assert values["free"]["hip_extension_deg"] > 15.0
    assert values["limited"]["hip_extension_deg"] == pytest.approx(5.0, abs=0.3)
    assert values["limited"]["pelvis_swing"] > values["free"]["pelvis_swing"] + 8.0
    assert values["limited"]["trunk_back_excursion_deg"] > values["free"]["trunk_back_excursion_deg"] + 3.0


def test_body_shapes_have_their_stature_and_differ(skeleton):
    assets = load_assets()
    heights = {}
    for shape in (BodyShape(1.60, sex=0.0), BodyShape(1.95, sex=1.0, weight=0.9)):
        verts = shaped_vertices(assets, shape)[assets.groups["body"]]
        heights[shape.height_m] = np.ptp(verts[:, 1])
        assert verts[:, 1].min() == pytest.approx(0.0, abs=1e-9)
    assert heights == {1.60: pytest.approx(1.60), 1.95: pytest.approx(1.95)}
    rest = skeleton.rest_vertices
    assert np.allclose(rest[skeleton.body_vertices][:, 0].mean(), 0.0, atol=2e-3), "the base body is not symmetric"


def test_pitch_of_a_rest_pose_is_zero(skeleton):
    transforms = skeleton.pose({})
    assert all(abs(pitch_of(transforms[skeleton.index[b], :3, :3])) < 1e-9 for b in ("root", "spine01"))
