"""The live ladder: the governor steps down when the model cannot keep pace, back up when it can.

The governor is pure (no clock): these tests drive it with a simulated camera and a model whose
time per frame is `base_ms` times the mode's cost, the pose thread taking the newest frame each
time it is free (the capture thread keeps only the newest). The real model and the real loop
are in tests/test_clips.py (`run --realtime` at 60 fps).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from realtime.pipeline.pace import MIN_DWELL_S, UP_DWELL_S, Mode, PaceGovernor, ladder


def simulate(base_ms, fps: float = 30.0, seconds: float = 60.0, model: str = "full", lite: bool = True,
             jitter: float = 0.05, seed: int = 0, true_cost: dict | None = None,
             ) -> tuple[PaceGovernor, list[tuple[float, int]]]:
    """Run the governor against a camera at `fps` and a model taking `base_ms(t) * cost` ms
    (± `jitter`) a frame, `cost` the mode's own or `true_cost[mode name]` (a machine where the
    ladder's cost table is off). Returns the governor and the (camera time, level) of every frame run."""
    rng = np.random.default_rng(seed)
    gov = PaceGovernor(ladder(model, lite), fps)
    interval = 1.0 / fps
    free_at, index, ran = 0.0, 0, []
    while index * interval < seconds:
        t = index * interval
        if t < free_at:  # the model is busy: this frame is overwritten by a newer one
            index = math.ceil(free_at / interval - 1e-9)
            continue
        if not gov.takes(index):
            gov.skip(t, index)
            index += 1
            continue
        level = gov.level
        cost = (true_cost or {}).get(gov.mode.name, gov.mode.cost)
        ms = base_ms(t) * cost * (1.0 + jitter * rng.standard_normal())
        gov.observe(t, index, ms)
        ran.append((t, level))
        free_at = t + ms / 1000.0
        index += 1
    return gov, ran


def share_taken(ran, fps: float, start: float, end: float) -> float:
    """Frames run over the camera's frames between `start` and `end` seconds."""
    return sum(start <= t < end for t, _ in ran) / ((end - start) * fps)


def test_a_model_with_room_to_spare_stays_at_the_top():
    gov, ran = simulate(lambda t: 22.0)  # full+mask 22 ms of 33
    assert gov.switches == []
    assert share_taken(ran, 30, 1, 60) > 0.99


def test_the_stall_of_a_start_or_a_switch_is_not_taken_for_a_slow_model():
    # the first half second runs at 80 ms a frame (detection, the next model built beside it,
    # the first drawing): frames are dropped, yet the model then fits with room to spare
    gov, ran = simulate(lambda t: 80.0 if t < 0.5 else 22.0)
    assert gov.switches == []
    assert share_taken(ran, 30, 1, 60) > 0.99


def test_a_model_slower_than_the_camera_steps_down_until_it_keeps_pace():
    gov, ran = simulate(lambda t: 36.0)  # full+mask 36 ms: 28 fps at best
    assert gov.switches, "it never stepped down"
    assert gov.switches[0].t <= MIN_DWELL_S + 1.0
    # the lite model takes 29 ms of the 33 (86 %): it stays there, on every frame
    assert gov.mode.model == "lite" and gov.mode.every == 1
    settled = gov.switches[-1].t
    assert share_taken(ran, 30, settled + 1, 60) > 0.98


def test_it_steps_back_up_when_the_load_goes_and_never_flaps():
    load = lambda t: 40.0 if t < 30 else 20.0  # another program takes the core for 30 s, then stops
    gov, ran = simulate(load, seconds=90)
    levels = [s.to for s in gov.switches]
    assert max(levels) >= 1 and gov.level == 0, gov.switches
    first_up = next(s for s in gov.switches if s.to < s.frm)
    assert 30 <= first_up.t <= 30 + UP_DWELL_S + 3
    assert len(gov.switches) <= 6


def test_when_the_cost_table_is_off_the_wait_before_stepping_up_again_doubles():
    # the full model costs 1.5x here, not the table's 1/0.80: from `lite` (58 % busy) the top
    # looks like 72 % and is tried, but needs 108 %: it falls back, and waits longer each time
    gov, _ = simulate(lambda t: 24.0, seconds=240, true_cost={"full+mask": 1.5})
    ups = [s.t for s in gov.switches if s.to < s.frm]
    assert len(ups) >= 3, gov.switches
    waits = [up - down.t for up, down in zip(ups, [s for s in gov.switches if s.to > s.frm])]
    assert waits[0] == pytest.approx(UP_DWELL_S, abs=0.5)
    assert all(b >= 1.9 * a for a, b in zip(waits, waits[1:])), waits
    assert len(gov.switches) <= 10


def test_a_60fps_camera_goes_to_the_lite_model_on_every_frame_when_it_fits():
    gov, ran = simulate(lambda t: 18.0, fps=60.0)  # lite 14.4 ms of 16.7: 86 %
    assert gov.mode == Mode("lite", True, 1, gov.mode.cost)
    assert share_taken(ran, 60, gov.switches[-1].t + 1, 60) > 0.95


def test_a_machine_too_slow_even_for_the_lite_model_takes_every_other_frame():
    gov, ran = simulate(lambda t: 30.0, fps=60.0)  # lite 24 ms > 16.7
    assert gov.mode.every == 2 and gov.mode.model == "lite"
    after = gov.switches[-1].t + 1
    assert share_taken(ran, 60, after, 60) == pytest.approx(0.5, abs=0.02)


def test_every_rung_keeps_the_back_outline_and_without_the_lite_model_the_chosen_one_ends_it():
    assert [m.name for m in ladder("full")] == ["full+mask", "lite+mask", "lite+mask/2"]
    assert [m.name for m in ladder("heavy")] == ["heavy+mask", "full+mask", "lite+mask", "lite+mask/2"]
    assert [m.name for m in ladder("lite")] == ["lite+mask", "lite+mask/2"]
    assert [m.name for m in ladder("full", lite_available=False)] == ["full+mask", "full+mask/2"]
    assert [m.name for m in ladder("heavy", lite_available=False)] == ["heavy+mask", "full+mask", "full+mask/2"]
    costs = [m.cost for m in ladder("heavy")]
    assert costs[:3] == sorted(costs[:3], reverse=True)


def test_the_screen_label_says_which_model_runs_and_how_often():
    assert [m.label for m in ladder("heavy")] == ["heavy model", "full model", "lite model",
                                                 "lite model, every other frame"]


def test_the_summary_gives_the_time_in_each_mode_and_every_switch():
    gov, _ = simulate(lambda t: 36.0, seconds=20)
    summary = gov.summary()
    assert sum(summary["modes"].values()) == pytest.approx(20, abs=0.1)
    assert [s["to"] for s in summary["switches"]] == ["lite+mask"]
    assert "of its frame time" in summary["switches"][0]["why"]


def test_a_step_down_to_the_lite_model_keeps_the_trunk_lean_where_it_was():
    from cues.rules import load_rules
    from realtime.apps.assemble import build_coach
    from realtime.apps.cli import build_parser
    from realtime.models.estimator import LEAN_CORRECTION_DEG, LEAN_VS_FULL_DEG

    coach = build_coach(load_rules(None), (720, 1280), build_parser().parse_args(["run"]))
    posture = coach.analyzer.posture
    assert posture.lean_correction_deg == LEAN_CORRECTION_DEG
    coach.use_model("lite")
    assert posture.lean_correction_deg == pytest.approx(LEAN_CORRECTION_DEG - LEAN_VS_FULL_DEG["lite"])
    coach.use_model("full")
    assert posture.lean_correction_deg == LEAN_CORRECTION_DEG


def test_modes_that_differ_only_in_how_often_they_run_share_one_model():
    from realtime.pipeline.pace import PacedModels

    built: list[str] = []

    class CountedModel:
        def __init__(self, mode: Mode) -> None:
            built.append(mode.name)
            self.last_ms = 0.0
            self.resets = 0

        def estimate(self, image, t):
            return None

        def reset(self) -> None:
            self.resets += 1

        def close(self) -> None:
            pass

    gov = PaceGovernor(ladder("full"), 30.0)
    models = PacedModels(gov, CountedModel)
    for level in (1, 2, 1, 0):
        gov.level = level
        models.estimate_frame(None, 0.0, 0)
    models.close()
    assert sorted(built) == ["full+mask", "lite+mask"]


def test_a_model_just_short_of_a_60fps_camera_keeps_every_frame_it_can_rather_than_half():
    # lite 15.6 ms p50 with a tail past the 16.7 ms interval (p90 about 18 ms), as measured at
    # 60 fps on a 2-core machine: every other frame would throw away four in ten frames it takes
    gov, ran = simulate(lambda t: 19.5, fps=60.0, jitter=0.12)
    assert gov.mode == Mode("lite", True, 1, gov.mode.cost), gov.switches
    busy, share = gov.pace()
    assert busy > 1.0 and share > 0.75
    assert share_taken(ran, 60, gov.switches[-1].t + 1, 60) > 0.75  # every other frame: 0.5
