"""Per-way persistence and unknown (None) values in the cue engine, on hand-made strides."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from cues.engine import CueEngine, condition_value, way_status
from cues.rules import Condition, CueRule, Way, load_rules, parse_rules
from realtime.core.errors import UserError

STRIDE_S = 0.7
BASELINE = {"thorax_pelvis_deg": 10.0}

#: ribs_down-like: the trunk way (rule's persistence) and a rib-cage way with its own.
RULES = """
[[cue]]
id = "ribs_down"
text = "Ribs down"
voice = "ribs_down.wav"
legs = "both"
persistence_strides = {rule}
clear_strides = 3
cooldown_s = 30.0

[[cue.fault]]
conditions = [{{ metric = "trunk_lean_midstance_deg", below = -2.0, hysteresis = 1.5 }}]

[[cue.fault]]
{way_key}conditions = [
  {{ metric = "thorax_pelvis_deg", above = 5.0, hysteresis = 1.0, baseline = true }},
  {{ metric = "rib_cage_quality", above = 0.5 }},
]
"""


def rules(rule: int = 4, way: int | None = None):
    key = "" if way is None else f"persistence_strides = {way}\n"
    return parse_rules(RULES.format(rule=rule, way_key=key))


@dataclass
class Stride:
    """The metrics the rules above read: by default, upright and ribs in band."""

    trunk_lean_midstance_deg: float | None = 5.0
    thorax_pelvis_deg: float | None = 10.0  # baseline + 0
    rib_cage_quality: float | None = 0.9
    near: bool = True


def rib(flare: float | None = 20.0, **kw) -> Stride:
    """A stride where the rib-cage way holds (flare 10° over the baseline), trunk upright."""
    return Stride(thorax_pelvis_deg=flare, **kw)


GOOD = Stride()
RIB_UNKNOWN = rib(None)  # the rib way is unknown, the trunk way fails: a good stride
ALL_UNKNOWN = Stride(trunk_lean_midstance_deg=None, thorax_pelvis_deg=None)
LEAN_BACK = Stride(trunk_lean_midstance_deg=-4.0)


def faults_after(engine: CueEngine, strides: list[Stride], start_t: float = 0.0) -> list[bool]:
    """`in_fault` of ribs_down after each stride."""
    flags = []
    for i, stride in enumerate(strides):
        engine.update(start_t + i * STRIDE_S, stride, BASELINE, active=True)
        flags.append(engine.states["ribs_down"].in_fault)
    return flags


def engine_for(rule: int = 4, way: int | None = None) -> CueEngine:
    return CueEngine(rules(rule, way), schedule="full")


# ---------------------------------------------------------------- persistence per way


def test_a_way_with_its_own_shorter_persistence_fires_first():
    assert faults_after(engine_for(4, way=2), [rib(), rib()]) == [False, True]
    assert faults_after(engine_for(4), [rib()] * 4) == [False, False, False, True]  # the rule's 4


def test_a_way_with_a_longer_persistence_is_not_hurried_by_the_rule():
    assert faults_after(engine_for(2, way=5), [rib()] * 5) == [False] * 4 + [True]
    assert faults_after(engine_for(2, way=5), [LEAN_BACK] * 2) == [False, True]  # trunk way: 2


def test_the_cue_fires_with_the_reason_of_the_way_that_holds():
    engine = engine_for(4, way=2)
    cues = [engine.update(i * STRIDE_S, s, BASELINE) for i, s in enumerate([GOOD, rib(), rib()])]
    assert cues[:2] == [None, None]
    assert cues[2] is not None and cues[2].t == pytest.approx(2 * STRIDE_S)
    assert "thorax_pelvis_deg +10.00 > 5 (vs baseline)" in cues[2].reason


# ---------------------------------------------------------------- unknown values


def test_an_unknown_value_keeps_the_ways_streak():
    assert faults_after(engine_for(3), [rib(), RIB_UNKNOWN, rib(), rib()]) == [False, False, False, True]
    assert faults_after(engine_for(3, way=3), [rib(), RIB_UNKNOWN, rib(), rib()])[-1]


def test_a_failing_stride_restarts_the_ways_streak():
    assert not any(faults_after(engine_for(3), [rib(), GOOD, rib(), rib()]))
    assert not any(faults_after(engine_for(3, way=3), [rib(), GOOD, rib(), rib()]))


def test_a_known_value_in_band_fails_the_way_even_when_another_is_missing():
    way = Way((Condition("a", above=5.0), Condition("b", above=0.5)), persistence_strides=2)
    assert way_status(way, [None, 0.2], in_fault=False) == "fails"
    assert way_status(way, [None, 0.9], in_fault=False) == "unknown"
    assert way_status(way, [6.0, 0.9], in_fault=False) == "holds"
    low_quality = rib(None, rib_cage_quality=0.2)
    assert not any(faults_after(engine_for(3), [rib(), low_quality, rib(), rib()]))


def test_an_all_unknown_stride_neither_clears_nor_counts():
    engine = engine_for(3)
    assert faults_after(engine, [rib()] * 3)[-1]
    state = engine.states["ribs_down"]
    assert faults_after(engine, [GOOD, GOOD, ALL_UNKNOWN], start_t=10) == [True, True, True]
    assert state.good_streak == 2
    assert faults_after(engine, [GOOD], start_t=20) == [False]  # the third good stride clears
    counting = engine_for(3)
    assert faults_after(counting, [rib(), rib(), ALL_UNKNOWN]) == [False, False, False]
    assert counting.states["ribs_down"].bad_streak == 2
    assert faults_after(counting, [rib()], start_t=10) == [True]


def test_a_stride_with_only_the_rib_way_unknown_counts_as_good():
    engine = engine_for(3)
    faults_after(engine, [rib()] * 3)
    assert faults_after(engine, [RIB_UNKNOWN] * 3, start_t=10) == [True, True, False]


def test_hysteresis_holds_the_way_while_in_fault():
    engine = engine_for(3, way=2)
    # 4.5° over the baseline: in band at first, but within the 1° hysteresis once in fault
    assert faults_after(engine, [rib(14.5)] * 3 + [rib()] * 2 + [rib(14.5)] * 5) == [False] * 4 + [True] * 6


def test_stopping_forgets_every_way_streak():
    engine = engine_for(3, way=2)
    faults_after(engine, [rib(), LEAN_BACK, LEAN_BACK])
    engine.update(5.0, None, None, active=False)
    assert engine.states["ribs_down"].streaks == {} and engine.states["ribs_down"].bad_streak == 0
    assert faults_after(engine, [rib(), LEAN_BACK], start_t=6.0) == [False, False]


def test_ways_without_their_own_persistence_share_the_rules_streak_as_before():
    # one way, then the other, then the first: three bad strides in a row for the rule
    assert faults_after(engine_for(3), [rib(), LEAN_BACK, rib()]) == [False, False, True]
    # a way with its own persistence keeps its own streak: the other way's strides break it
    assert faults_after(engine_for(3, way=3), [rib(), LEAN_BACK, rib()]) == [False, False, False]


# ---------------------------------------------------------------- the TOML key


def test_the_toml_key_parses_and_a_way_without_it_takes_the_rules():
    rule = rules(4, way=2).cues[0]
    trunk, ribs = rule.faults
    assert (trunk.persistence_strides, ribs.persistence_strides) == (None, 2)
    assert (rule.way_persistence(trunk), rule.way_persistence(ribs)) == (4, 2)
    assert [c.metric for c in ribs] == ["thorax_pelvis_deg", "rib_cage_quality"]
    assert len(ribs) == 2 and ribs[0].baseline and ribs.conditions[1].metric == "rib_cage_quality"
    assert rules(4).cues[0].way_persistence(rules(4).cues[0].faults[1]) == 4


@pytest.mark.parametrize("value", ["0", "-1", '"x"', "2.5", "true"])
def test_bad_way_persistence_is_a_clear_user_error(value):
    with pytest.raises(UserError, match=r"\[\[cue.fault\]\] of cue 'ribs_down': persistence_strides must be "
                                        r"a whole number >= 1"):
        parse_rules(RULES.format(rule=3, way_key=f"persistence_strides = {value}\n"))


def test_unknown_keys_in_a_way_are_named():
    with pytest.raises(UserError, match="holds `conditions` and optionally `persistence_strides`"):
        parse_rules(RULES.format(rule=3, way_key="persistance_strides = 2\n"))


def test_the_shipped_rules_load_with_the_rib_cage_way_of_its_own():
    shipped = load_rules()
    assert shipped.cues and all(isinstance(w, Way) for r in shipped.cues for w in r.faults)
    own = {(r.id, w.persistence_strides) for r in shipped.cues for w in r.faults if w.persistence_strides}
    assert own == {("ribs_down", 4)}
    rib_way = next(w for w in shipped.cues[0].faults if w.persistence_strides)
    assert [(c.metric, c.baseline, c.spreads) for c in rib_way] == [("lumbar_arch", True, True)]
    assert pickle.loads(pickle.dumps(shipped)) == shipped


def test_a_condition_in_spreads_reads_the_runner_own_scatter():
    cond = Condition("lumbar_arch", above=3.0, baseline=True, spreads=True)
    stride = SimpleNamespace(lumbar_arch=0.018)
    assert condition_value(cond, stride, {"lumbar_arch": 0.010, "spread": {"lumbar_arch": 0.002}}) == pytest.approx(4.0)
    assert condition_value(cond, stride, {"lumbar_arch": 0.010, "spread": {"lumbar_arch": 0.0}}) is None
    assert condition_value(cond, stride, {"lumbar_arch": 0.010}) is None  # a baseline saved before spreads
    floored = Condition("lumbar_arch", above=3.0, baseline=True, spreads=True, min_spread=0.004)
    assert condition_value(floored, stride, {"lumbar_arch": 0.010, "spread": {"lumbar_arch": 0.002}}) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="min_spread"):
        Condition("lumbar_arch", above=3.0, baseline=True, min_spread=0.001)
    with pytest.raises(ValueError, match="spreads = true needs baseline = true"):
        Condition("lumbar_arch", above=3.0, spreads=True)


def test_rules_built_in_code_from_plain_condition_tuples_still_work():
    rule = CueRule("x", "X", "x.wav", faults=((Condition("trunk_lean_midstance_deg", below=-2.0),),),
                   persistence_strides=2)
    assert isinstance(rule.faults[0], Way) and rule.faults[0].persistence_strides is None
    assert rule.metrics == {"trunk_lean_midstance_deg"}
    with pytest.raises(ValueError, match="needs at least one"):
        CueRule("y", "Y", "y.wav", faults=((),))
