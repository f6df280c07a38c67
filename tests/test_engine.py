"""The cue engine on synthetic trunk-lean sequences with known truth."""

import numpy as np
import pytest

from cues.engine import CueEngine
from cues.rules import CueRule, load_rules, parse_rules
from realtime.errors import UserError

FPS = 30.0


def ribs_down() -> CueRule:
    (rule,) = [r for r in load_rules() if r.id == "ribs_down"]
    return rule


def stride_like_lean(seconds: float, base: float, noise: float = 1.5, seed: int = 0) -> np.ndarray:
    """Trunk lean as a side camera sees it: a baseline, a within-stride wobble, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS)) / FPS
    return base + 2.5 * np.sin(2 * np.pi * 2.8 * t) + rng.normal(0, noise, t.size)


def replay(engine: CueEngine, leans, start_t: float = 0.0, active: bool = True):
    cues = []
    for i, lean in enumerate(leans):
        value = None if lean is None or np.isnan(lean) else float(lean)
        cue = engine.update(start_t + i / FPS, {"trunk_lean_deg": value}, active=active)
        if cue is not None:
            cues.append(cue)
    return cues


def test_shipped_rules_have_ribs_down():
    rule = ribs_down()
    assert rule.text == "Ribs down, lean forward" and rule.voice == "ribs_down.wav"
    assert rule.low is not None and rule.outside(rule.low - 0.1) and not rule.outside(rule.low + 0.1)


@pytest.mark.parametrize("seed", range(5))
def test_clean_running_never_cues(seed):
    engine = CueEngine([ribs_down()])
    assert replay(engine, stride_like_lean(120, base=5.0, seed=seed)) == []


@pytest.mark.parametrize("seed", range(5))
def test_arching_onset_cues_within_3_seconds(seed):
    leans = np.concatenate([stride_like_lean(20, 5.0, seed=seed), stride_like_lean(10, -3.0, seed=seed + 10)])
    cues = replay(CueEngine([ribs_down()]), leans)
    assert len(cues) == 1
    assert 20.0 < cues[0].t <= 23.0
    assert cues[0].id == "ribs_down"


def test_single_bad_frames_never_speak():
    leans = stride_like_lean(60, 5.0)
    leans[::45] = -30.0  # one wild frame every 1.5 s
    assert replay(CueEngine([ribs_down()]), leans) == []


def test_cooldown_then_reminder_while_fault_persists():
    rule = ribs_down()
    leans = np.concatenate([stride_like_lean(10, 5.0), stride_like_lean(60, -4.0, seed=3)])
    cues = replay(CueEngine([rule]), leans)
    gaps = np.diff([c.t for c in cues])
    assert len(cues) >= 2 and np.all(gaps >= rule.cooldown_s)


def test_fault_clears_with_hysteresis_and_stops_cueing():
    rule = ribs_down()
    engine = CueEngine([rule])
    replay(engine, stride_like_lean(10, 5.0))
    first = replay(engine, stride_like_lean(5, -4.0), start_t=10.0)
    assert len(first) == 1 and engine.states["ribs_down"].in_fault
    # back inside the band but not by the hysteresis margin: the fault stays open
    replay(engine, np.full(int(3 * FPS), rule.low + rule.hysteresis_deg / 2), start_t=15.0)
    assert engine.states["ribs_down"].in_fault
    replay(engine, stride_like_lean(5, 6.0), start_t=18.0)  # corrected
    assert not engine.states["ribs_down"].in_fault
    assert replay(engine, stride_like_lean(60, 6.0), start_t=23.0) == []


def test_silent_when_nobody_in_view_or_inactive():
    leans = stride_like_lean(30, -5.0)
    assert replay(CueEngine([ribs_down()]), leans, active=False) == []
    assert replay(CueEngine([ribs_down()]), [None] * 900) == []


def test_banner_shows_latest_cue_for_a_while():
    engine = CueEngine([ribs_down()], banner_s=4.0)
    cues = replay(engine, np.concatenate([stride_like_lean(5, 5.0), stride_like_lean(10, -5.0)]))
    t0 = cues[0].t
    assert engine.banner(t0 - 0.1) is None
    assert engine.banner(t0 + 3.9).id == "ribs_down"
    assert engine.banner(t0 + 4.1) is None


def test_one_line_at_a_time_highest_priority_first():
    low = CueRule(id="a", text="A", voice="a.wav", metric="m", low=0.0, priority=2, persistence_s=0.5)
    high = CueRule(id="b", text="B", voice="b.wav", metric="m", low=0.0, priority=1, persistence_s=0.5)
    engine = CueEngine([low, high], min_gap_s=4.0)
    spoken = []
    for i in range(int(10 * FPS)):
        cue = engine.update(i / FPS, {"m": -5.0})
        if cue:
            spoken.append(cue)
    assert [c.id for c in spoken[:2]] == ["b", "a"]
    assert spoken[1].t - spoken[0].t >= 4.0


def test_bad_rules_file_is_a_user_error():
    with pytest.raises(UserError, match="not valid"):
        parse_rules('[[cue]]\nid = "x"\ntext = "X"\nvoice = "x.wav"\nmetric = "m"\n')  # no band
    with pytest.raises(UserError, match="unknown keys"):
        parse_rules('[[cue]]\nid = "x"\ntext = "X"\nvoice = "x.wav"\nmetric = "m"\nlow = 0\ncolour = 1\n')
    with pytest.raises(UserError, match="not valid"):
        parse_rules("[[cue]\n")
