"""The cue engine: its rules on hand-made strides, and every cue on the synthetic runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from cues.engine import CueEngine
from cues.rules import load_rules, parse_rules, rules_from_table
from realtime.analysis.frame import AnalyzerConfig, FrameAnalyzer
from realtime.core.errors import UserError
from realtime.pipeline.loop import Coach
from realtime.sources.synthetic import RunnerSpec, couple_trunk, generate

STRIDE_S = 0.7  # a near-leg stride at about 170 steps/min


@dataclass
class FakeStride:
    """Just the metrics a rule reads."""

    trunk_lean_midstance_deg: float | None = 5.0
    trunk_back_excursion_deg: float | None = 1.0
    extension_coupling: float | None = 0.0
    shank_angle_contact_deg: float | None = 5.0
    cadence_spm: float | None = 170.0
    near: bool = True


def feed(engine: CueEngine, strides: list[FakeStride], start_t: float = 0.0, baseline=None):
    """One stride every STRIDE_S seconds; the cues spoken."""
    cues = []
    for i, stride in enumerate(strides):
        cue = engine.update(start_t + i * STRIDE_S, stride, baseline, active=True)
        if cue:
            cues.append(cue)
    return cues


def leaning(lean: float, n: int) -> list[FakeStride]:
    return [FakeStride(trunk_lean_midstance_deg=lean) for _ in range(n)]


def test_shipped_rules():
    rules = load_rules()
    assert [r.id for r in rules.cues] == ["ribs_down", "hip_drive", "lean_less", "shorter_steps"]
    ribs = rules.cues[0]
    assert ribs.text == "Ribs down, lean forward" and ribs.voice == "ribs_down.wav"
    assert rules.praise is not None and rules.praise.text.startswith("That's it")


def test_ribs_down_needs_persistence_and_speaks_once_inside_cooldown():
    engine = CueEngine(load_rules(), schedule="full")
    strides = leaning(5.0, 10) + [FakeStride(trunk_lean_midstance_deg=-3.0)] + leaning(5.0, 10)
    assert feed(engine, strides) == []  # one bad stride never speaks
    engine = CueEngine(load_rules(), schedule="full")
    cues = feed(engine, leaning(5.0, 10) + leaning(-3.0, 30))
    assert [c.id for c in cues] == ["ribs_down"]  # 21 s of fault, cooldown 30 s
    assert cues[0].t == pytest.approx(12 * STRIDE_S)  # the third bad stride


def test_reminder_after_cooldown_and_faded_schedule_waits_longer():
    full = feed(CueEngine(load_rules(), schedule="full"), leaning(-3.0, 300))
    faded = feed(CueEngine(load_rules(), schedule="faded"), leaning(-3.0, 300))
    gaps_full = np.diff([c.t for c in full])
    gaps_faded = np.diff([c.t for c in faded])
    assert np.all(gaps_full >= 30.0) and np.all(gaps_full < 31.0)
    assert len(faded) < len(full) and np.all(np.diff(gaps_faded) > 0)  # ever longer gaps


def test_summary_only_decides_but_never_speaks_or_shows():
    engine = CueEngine(load_rules(), schedule="summary-only")
    cues = feed(engine, leaning(-3.0, 10))
    assert cues and not any(c.spoken for c in cues)
    assert engine.banner(cues[0].t + 0.5) is None


def test_hysteresis_keeps_the_fault_open_near_the_edge_and_praise_follows_a_real_fix():
    engine = CueEngine(load_rules(), schedule="full")
    feed(engine, leaning(-3.0, 4))
    assert engine.states["ribs_down"].in_fault
    feed(engine, leaning(-1.0, 10), start_t=10)  # inside the band, but within the 1.5° hysteresis
    assert engine.states["ribs_down"].in_fault
    cues = feed(engine, leaning(5.0, 10), start_t=20)
    assert not engine.states["ribs_down"].in_fault
    assert [c.id for c in cues] == ["praise"]
    assert cues[0].t == pytest.approx(20 + 7 * STRIDE_S)  # after 8 good strides


def test_baseline_relative_fault_only_after_calibration():
    strides = leaning(5.0, 30)  # 3° behind a baseline of 8°, but forward of vertical
    assert feed(CueEngine(load_rules(), schedule="full"), strides) == []
    deep = leaning(3.5, 30)  # 4.5° behind the baseline
    assert feed(CueEngine(load_rules(), schedule="full"), deep, baseline=None) == []
    cues = feed(CueEngine(load_rules(), schedule="full"), deep, baseline={"trunk_lean_midstance_deg": 8.0})
    assert [c.id for c in cues] == ["ribs_down"] and "vs baseline" in cues[0].reason


def test_one_line_at_a_time_highest_priority_first():
    both = [FakeStride(trunk_lean_midstance_deg=-3.0, shank_angle_contact_deg=20.0, cadence_spm=150.0)] * 20
    cues = feed(CueEngine(load_rules(), schedule="full"), both)
    assert [c.id for c in cues[:2]] == ["ribs_down", "shorter_steps"]
    assert cues[1].t - cues[0].t >= 4.0


def test_leg_rules_judge_only_the_near_leg_and_missing_values_never_speak():
    engine = CueEngine(load_rules(), schedule="full")
    far = [FakeStride(shank_angle_contact_deg=25.0, cadence_spm=150.0, near=False)] * 10
    unknown = [FakeStride(trunk_lean_midstance_deg=None)] * 10
    assert feed(engine, far + unknown) == []


def test_trunk_rules_judge_both_legs():
    far = [FakeStride(trunk_lean_midstance_deg=-5.0, near=False)] * 10
    assert [c.id for c in feed(CueEngine(load_rules(), schedule="full"), far)] == ["ribs_down"]


def test_stopping_resets_the_streaks():
    engine = CueEngine(load_rules(), schedule="full")
    feed(engine, leaning(-3.0, 1))
    engine.update(5.0, None, None, active=False)
    assert feed(engine, leaning(-3.0, 1), start_t=6.0) == []


def test_user_rules_override_by_id_and_bad_rules_are_user_errors():
    base = load_rules()
    mine = parse_rules('[[cue]]\nid = "ribs_down"\ntext = "Chest down"\nvoice = "ribs_down.wav"\n'
                       '[[cue.fault]]\nconditions = [{metric = "trunk_lean_midstance_deg", below = 2.0}]\n',
                       base=base)
    assert {r.id for r in mine.cues} == {r.id for r in base.cues}
    assert next(r for r in mine.cues if r.id == "ribs_down").text == "Chest down"
    with pytest.raises(UserError, match="exactly one of below / above"):
        parse_rules('[[cue]]\nid = "x"\ntext = "X"\nvoice = "x.wav"\n'
                    '[[cue.fault]]\nconditions = [{metric = "m"}]\n')
    with pytest.raises(UserError, match="unknown keys"):
        parse_rules('[[cue]]\nid = "x"\ntext = "X"\nvoice = "x.wav"\ncolour = 1\n'
                    '[[cue.fault]]\nconditions = [{metric = "m", below = 0}]\n')
    with pytest.raises(UserError, match="not valid"):
        parse_rules("[[cue]\n")


def test_a_misspelt_metric_is_refused_at_load_time():
    misspelt = ('[[cue]]\nid = "ribs_down"\ntext = "Ribs down"\nvoice = "ribs_down.wav"\n'
                '[[cue.fault]]\nconditions = [{metric = "trunk_lean_midstnce_deg", below = -2.0}]\n')
    with pytest.raises(UserError, match=r"rules.toml: .*unknown metric 'trunk_lean_midstnce_deg' — did you mean "
                                        r"'trunk_lean_midstance_deg'\?"):
        parse_rules(misspelt, "rules.toml", base=load_rules())
    with pytest.raises(UserError, match="the stride metrics are cadence_spm, "):
        parse_rules(misspelt.replace("trunk_lean_midstnce_deg", "speed"))


def test_every_stride_ending_on_a_frame_is_judged():
    """Two strides end on each frame: the one after a stride that calls for a cue counts too."""
    analyzer = SimpleNamespace(calibration=SimpleNamespace(ready=False, baseline=None))
    coach = Coach(analyzer, CueEngine(load_rules(), schedule="full"))
    bad = FakeStride(trunk_lean_midstance_deg=-3.0)
    frame = SimpleNamespace(running=True, strides=[bad, bad])
    cues = [coach.decide(i * STRIDE_S, frame).cue for i in range(3)]
    assert [c and c.id for c in cues] == [None, "ribs_down", None]  # the third bad stride, on frame 1
    assert coach.engine.states["ribs_down"].bad_streak == 6  # every one of the six strides judged
    assert coach.engine.update(3.0, [bad, FakeStride(trunk_lean_midstance_deg=20.0)]) is None
    assert coach.engine.states["lean_less"].bad_streak == 1


def test_the_session_keeps_the_rules_it_ran_with():
    mine = parse_rules('[[cue]]\nid = "ribs_down"\ntext = "Chest down"\nvoice = "ribs_down.wav"\n'
                       '[[cue.fault]]\nconditions = [{metric = "trunk_lean_midstance_deg", below = 8.0}]\n',
                       base=load_rules())
    coach = Coach(FrameAnalyzer((1280, 720), AnalyzerConfig()), CueEngine(mine))
    kept = json.loads(json.dumps(coach.session_extras()))["rules"]  # as summary.json holds them
    assert rules_from_table(kept) == mine


# ---------------------------------------------------------------- the synthetic runner


def coach_run(spec: RunnerSpec, gain: float = 0.0, calibration_s: float = 10.0):
    """The whole coach on a synthetic run; returns (cues, near-leg stride contact times)."""
    poses, truth = generate(spec)
    if gain:
        poses, _ = couple_trunk(poses, truth, gain)
    coach = Coach(FrameAnalyzer(spec.image_size, AnalyzerConfig(calibration_s=calibration_s)),
                  CueEngine(load_rules(), schedule="full"))
    cues, strides = [], []
    for i, pose in enumerate(poses):
        step = coach.step(i / spec.fps, None, pose)
        strides += [s.t_next_contact for s in step.analysis.strides if s.near]
        if step.cue:
            cues.append(step.cue)
    return cues, strides


NOISE = dict(noise_px=3.0, dropout_fraction=0.02, swap_probability=0.02)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("facing", ["left", "right"])
def test_clean_noisy_running_never_cues(seed, facing):
    cues, _ = coach_run(RunnerSpec.running(duration_s=60, facing=facing, seed=seed, **NOISE))
    assert cues == []


@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
@pytest.mark.parametrize("facing", ["left", "right"])
def test_ribs_down_within_two_strides_of_the_arch_then_praise(fps, facing):
    onset, end = 25.0, 40.0
    spec = RunnerSpec.running(duration_s=55, fps=fps, facing=facing, arch_start_s=onset, arch_end_s=end,
                              arch_ramp_s=0.5, **NOISE)
    cues, strides = coach_run(spec)
    assert [c.id for c in cues] == ["ribs_down", "praise"]
    assert onset < cues[0].t <= onset + 3.0
    # two bad strides, plus the one the onset falls in: no more than three near-leg strides
    assert sum(onset < t <= cues[0].t for t in strides) <= 3
    assert end < cues[1].t < end + 8.0


def test_ribs_down_repeats_only_after_its_cooldown():
    spec = RunnerSpec.running(duration_s=90, arch_start_s=15, arch_end_s=89, **NOISE)
    cues, _ = coach_run(spec)
    times = [c.t for c in cues if c.id == "ribs_down"]
    assert len(times) >= 2 and np.all(np.diff(times) >= 30.0)


def test_lean_less_on_a_runner_folded_forward():
    cues, _ = coach_run(RunnerSpec.running(duration_s=20, trunk_lean_deg=19.0, **NOISE))
    assert [c.id for c in cues] == ["lean_less"] and cues[0].t < 6.0


def test_shorter_steps_on_overstride_with_low_cadence_only():
    over = dict(overstride_m=0.5, **NOISE)
    slow, _ = coach_run(RunnerSpec.running(duration_s=20, cadence_spm=150.0, **over))
    quick, _ = coach_run(RunnerSpec.running(duration_s=20, cadence_spm=172.0, **over))
    assert [c.id for c in slow] == ["shorter_steps"] and quick == []


def test_hip_drive_when_the_back_extends_with_the_leg():
    coupled, _ = coach_run(RunnerSpec.running(duration_s=20, **NOISE), gain=0.8)
    assert [c.id for c in coupled] == ["hip_drive"] and coupled[0].t < 7.0
