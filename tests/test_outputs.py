"""The live outputs' bands: the screen holds the runner to the cue rules' edges."""

from __future__ import annotations

import pytest

from cues.judging import good_form
from cues.rules import load_rules, parse_rules
from realtime.outputs.digest import digest
from realtime.outputs.layers import ScreenOutput, screen_gauges
from realtime.record.session import FrameRow, SessionRecord
from tests.sessions import stride

RUN_TALLER = ('[[cue]]\nid = "lean_less"\ntext = "Run tall"\nvoice = "lean_less.wav"\n'
              '[[cue.fault]]\nconditions = [{metric = "trunk_lean_midstance_deg", above = 10.0}]\n')


def test_the_gauges_bands_come_from_the_rules():
    trunk, cadence = screen_gauges(load_rules())
    assert (trunk.band_lo, trunk.band_hi) == (1.5, 15.0)  # ribs_down and lean_less, cues/rules.toml
    assert (cadence.band_lo, cadence.band_hi) == (160.0, 200.0)  # the cadence edge of shorter_steps
    trunk, _ = screen_gauges(parse_rules(RUN_TALLER, base=load_rules()))
    assert (trunk.band_lo, trunk.band_hi) == (1.5, 10.0)


def test_the_screen_and_its_end_screen_use_the_sessions_rules(screen):
    shipped = ScreenOutput(screen)
    assert shipped.lean_band == (1.5, 15.0) and shipped.arching == {"ribs_down"}
    assert ScreenOutput(screen, rules=parse_rules(RUN_TALLER, base=load_rules())).lean_band == (1.5, 10.0)
    record = SessionRecord(source="clip.mp4", fps=30.0)
    for i in range(300):
        record.add(FrameRow(i / 30, True, 3.0, "left", i, 20.0, None, "running"), None)
    record.strides.extend(stride(0.7 * k, trunk_lean_midstance_deg=3.0) for k in range(12))
    record.extras = {"good_form": good_form([s.as_row() for s in record.strides], load_rules(), None)}
    d = digest(record, shipped.lean_band)
    assert d.good_form_share == pytest.approx(1.0) and d.lean_band == (1.5, 15.0)  # 3° is inside 1.5…15°
    shipped.finish(record)  # the end screen draws the rules' band
