"""Strides judged by the rules after the fact: which cue's fault holds on a stride, how many
strides some cue judges, and the share in good form (summary.json's `good_form`)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from cues.engine import judge_ways
from cues.rules import CueRule, RuleSet, Way


def held_way(rule: CueRule, stride: dict[str, Any], baseline: dict[str, Any] | None) -> tuple[Way, Sequence] | None:
    """The first way of `rule`'s faults that holds on `stride` (a strides.csv row) as the engine
    judges it, without the coach's persistence, with the values it read; None when none does
    or the rule does not judge the stride. `baseline`: a ready baseline, or None."""
    view = SimpleNamespace(**stride)  # the engine reads a stride's metrics as attributes
    if not rule.judges(view):
        return None
    return next(((w, vals) for w, status, vals in judge_ways(rule, view, baseline, in_fault=False)
                 if status == "holds"), None)


def ready(baseline: dict[str, Any] | None) -> dict[str, Any] | None:
    """The baseline when it is ready (baseline-relative ways apply only then)."""
    return baseline if baseline and baseline.get("ready") else None


def judged_strides(strides: Sequence[dict[str, Any]], rules: RuleSet) -> int:
    """How many of `strides` some cue judges (the near leg's, and both legs' for `legs = "both"`)."""
    return sum(any(r.judges(SimpleNamespace(**s)) for r in rules.cues) for s in strides)


def good_form(strides: Sequence[dict[str, Any]], rules: RuleSet, baseline: dict[str, Any] | None) -> dict[str, Any]:
    """The strides some cue judged, how many of them a cue's fault held on, and the share in
    good form: summary.json's `good_form`, the end screen's and the report's figure."""
    base = ready(baseline)
    judged = judged_strides(strides, rules)
    at_fault = sum(any(held_way(r, s, base) is not None for r in rules.cues) for s in strides)
    share = round(1.0 - at_fault / judged, 3) if judged else None
    return {"strides_judged": judged, "strides_at_fault": at_fault, "share": share}
