"""What a session report says, worked out from the numbers (pure: no files, no plots).

- the good trunk-lean band and the per-stride faults come from the cue rules (the same
  table the coach uses), so the report and the voice never disagree;
- `lean_segments` splits the trunk lean over time into steady stretches (binary
  segmentation of a 1 s running median: the split that best explains the signal as two
  levels, kept when the levels differ by `min_shift_deg`);
- `story` turns those into plain sentences a runner can read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from cues.judging import held_way, ready
from cues.rules import CueRule, RuleSet, Way, lean_band
from realtime.analysis.stride_metrics import STRIDE_TABLE, behind_stats, hip_extension_words
from realtime.core.clock import clock


#: How each stride metric reads in a sentence, and its unit after a number (the stride table).
METRIC_WORDS: dict[str, str] = {m.name: m.words for m in STRIDE_TABLE if m.summarised}
_UNITS: dict[str, str] = {m.name: m.unit for m in STRIDE_TABLE}


@dataclass(frozen=True)
class Segment:
    """A steady stretch of trunk lean: from `t0` to `t1` (s), its median lean (°)."""

    t0: float
    t1: float
    median: float


@dataclass(frozen=True)
class StrideFault:
    """A stride at fault: the stride (a strides.csv row), the cue it calls for, and why."""

    stride: dict[str, Any]
    cue: CueRule
    why: str


# --------------------------------------------------------------------------- wording


def deg(value: float) -> str:
    """An angle as a runner reads it: "+4°", "−3°", "0°" (a true minus sign)."""
    whole = round(value)
    if whole == 0:
        return "0°"
    return f"{whole:+d}°".replace("-", "\u2212")


def times(n: int) -> str:
    """once, twice, 3 times."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def band_text(band: tuple[float, float]) -> str:
    """The good band as "0…15°"."""
    return f"{band[0]:g}\u2026{band[1]:g}°".replace("-", "\u2212")


def humanise(reason: str) -> str:
    """A cue's machine reason ("trunk_lean_midstance_deg -4.21 < 0") in words."""
    for key, words in METRIC_WORDS.items():
        reason = reason.replace(key, words)
    return re.sub(r"(?<![\w])-(?=\d)", "\u2212", reason)


def _edge(value: float, metric: str) -> str:
    return f"{value:g}{_UNITS.get(metric, '')}".replace("-", "\u2212")


def _number(value: float, metric: str, signed: bool = False) -> str:
    if _UNITS.get(metric) == "°":
        return f"{value:+.1f}°".replace("-", "\u2212")
    return f"{value:{'+' if signed else ''}.3g}{_UNITS.get(metric, '')}".replace("-", "\u2212")


# --------------------------------------------------------------------------- rules


def hip_behind(summary: dict[str, Any]) -> dict[str, Any] | None:
    """summary.json's hip extension as "N° behind" (N > 0: the thigh behind vertical at toe-off):
    `hip_extension_behind_deg`, or for an older summary its `hip_extension_deg` turned round."""
    if "hip_extension_behind_deg" in summary:
        return summary["hip_extension_behind_deg"]
    return behind_stats(summary.get("hip_extension_deg"))


def summary_band(summary: dict[str, Any], rules: RuleSet | None) -> tuple[float, float]:
    """The good band of trunk lean the session was held to: summary.json's `lean_band` (what
    the end screen shows too), else the rules' (`lean_band`)."""
    band = summary.get("lean_band")
    if isinstance(band, list) and len(band) == 2 and all(isinstance(v, (int, float)) for v in band):
        return float(band[0]), float(band[1])
    return lean_band(rules)


def _why(way: Way, values: Sequence[float | None]) -> str:
    """Why a stride is at fault on `way`, in plain words: each value the engine read (absolute,
    against the baseline, or in the runner's spreads) and what the cue needs, e.g. "trunk lean
    1.0° above your baseline; the cue needs 4° below"."""
    return "; ".join(_why_one(c, v) for c, v in zip(way, values))


def _why_one(c: Any, v: float | None) -> str:
    """One condition of a way read in words (see `_why`)."""
    words = METRIC_WORDS.get(c.metric, c.metric)
    below = c.below is not None
    edge = c.below if below else c.above
    if v is None:
        return f"{words} not measured"
    if c.spreads or c.baseline:
        unit = " of your spreads" if c.spreads else _UNITS.get(c.metric, "")
        amount = f"{abs(v):.1f}" if c.spreads or _UNITS.get(c.metric) == "°" else f"{abs(v):.3g}"
        side = "above" if v >= 0 else "below"
        return (f"{words} {amount}{unit} {side} your baseline; the cue needs "
                f"{_relative_edge(edge, below, unit)}")
    return f"{words} {_number(v, c.metric)}; the cue needs {'under' if below else 'over'} {_edge(edge, c.metric)}"


def _relative_edge(edge: float, below: bool, unit: str) -> str:
    """What a baseline-relative condition needs: "4° below", "more than 5° above", ..."""
    size = f"{abs(edge):g}{unit}"
    if below:
        return f"{size} below" if edge <= 0 else f"less than {size} above"
    return f"{size} above" if edge >= 0 else f"less than {size} below"


def stride_faults(
    strides: Sequence[dict[str, Any]], rules: RuleSet, baseline: dict[str, Any] | None = None
) -> list[StrideFault]:
    """Strides out of band on some cue: a way of its faults holds on the stride as the cue
    engine judges it (`cues.judging.held_way`, on the strides each rule judges), without the
    coach's persistence; baseline-relative ways only when `baseline` is ready."""
    base = ready(baseline)
    found: list[StrideFault] = []
    for stride in strides:
        for rule in rules.cues:
            held = held_way(rule, stride, base)
            if held is not None:
                found.append(StrideFault(stride, rule, _why(*held)))
    return found


# --------------------------------------------------------------------------- lean over time


def rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """Centred running median over `window` samples, ignoring NaN (shape kept)."""
    n = len(values)
    half = max(window // 2, 0)
    out = np.full(n, np.nan)
    for i in range(n):
        chunk = values[max(0, i - half): i + half + 1]
        chunk = chunk[~np.isnan(chunk)]
        if chunk.size:
            out[i] = np.median(chunk)
    return out


def _best_split(x: np.ndarray, min_len: int) -> tuple[int, float] | None:
    """The index splitting `x` into two constant levels with the least squared error,
    and the levels' difference; None when `x` is too short to split."""
    n = len(x)
    if n < 2 * min_len:
        return None
    c1 = np.concatenate([[0.0], np.cumsum(x)])
    c2 = np.concatenate([[0.0], np.cumsum(x * x)])
    k = np.arange(min_len, n - min_len + 1)
    left_sse = c2[k] - c1[k] ** 2 / k
    right_sse = (c2[n] - c2[k]) - (c1[n] - c1[k]) ** 2 / (n - k)
    best = int(k[np.argmin(left_sse + right_sse)])
    return best, float(x[best:].mean() - x[:best].mean())


def lean_segments(
    t: np.ndarray,
    lean: np.ndarray,
    min_len_s: float = 3.0,
    min_shift_deg: float = 2.5,
    max_segments: int = 6,
) -> list[Segment]:
    """Steady stretches of trunk lean, in time order.

    Args:
        t: (n,) frame times, s, increasing.
        lean: (n,) trunk lean, °, NaN where there was none (such frames are dropped).
    """
    keep = ~np.isnan(lean)
    t, lean = t[keep], lean[keep]
    if len(t) < 2:
        return []
    fps = (len(t) - 1) / (t[-1] - t[0]) if t[-1] > t[0] else 30.0
    smooth = rolling_median(lean, max(round(fps), 1))
    min_len = max(int(min_len_s * fps), 1)
    cuts = [0, len(t)]
    while len(cuts) - 1 < max_segments:
        candidates = []
        for a, b in pairwise(cuts):
            split = _best_split(smooth[a:b], min_len)
            if split is not None and abs(split[1]) >= min_shift_deg:
                candidates.append((abs(split[1]), a + split[0]))
        if not candidates:
            break
        cuts = sorted(cuts + [max(candidates)[1]])
    return [
        Segment(float(t[a]), float(t[b - 1]), float(np.median(lean[a:b])))
        for a, b in pairwise(cuts)
    ]


# --------------------------------------------------------------------------- the story


def _zone(value: float, band: tuple[float, float]) -> str:
    return "back" if value < band[0] else "forward" if value > band[1] else "good"


def _change(prev: Segment, seg: Segment, band: tuple[float, float]) -> tuple[str, tuple[str, ...]] | None:
    """The sentence start for a change of lean, and the cue ids that belong to it."""
    before, after = _zone(prev.median, band), _zone(seg.median, band)
    was = f"(trunk {deg(seg.median)} instead of {deg(prev.median)})"
    if after == "back":
        word = "leaned further back" if before == "back" and seg.median < prev.median else "leaned back"
        if before == "back" and seg.median >= prev.median:
            return None
        return f"From {clock(seg.t0)} you {word} {was}", ("ribs_down", "hip_drive")
    if after == "forward":
        if before == "forward" and seg.median <= prev.median:
            return None
        return f"From {clock(seg.t0)} you leaned too far forward {was}", ("lean_less",)
    if before == "back":
        return f"From {clock(seg.t0)} your trunk came back upright {was}", ("praise",)
    if before == "forward":
        return f"From {clock(seg.t0)} you ran tall again {was}", ("praise",)
    return None


def _said(cues: Sequence[dict[str, Any]]) -> str:
    """"'Ribs down, lean forward' was said once" for cues of one or more lines."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for c in cues:
        by_text.setdefault(c["text"], []).append(c)
    parts = []
    for text, group in by_text.items():
        verb = "was said" if any(c.get("spoken", True) for c in group) else "would have been said"
        first = f" (first at {clock(group[0]['t'])})" if len(group) > 1 else f" (at {clock(group[0]['t'])})"
        parts.append(f"\u2018{text}\u2019 {verb} {times(len(group))}{first}")
    return " and ".join(parts)


def story(
    summary: dict[str, Any],
    segments: Sequence[Segment],
    band: tuple[float, float],
    faults: Sequence[StrideFault] = (),
    judged: int = 0,
) -> list[str]:
    """The report's plain-language summary, one sentence (or two) per paragraph."""
    lines: list[str] = []
    cues = list(summary.get("cues") or [])
    lean = summary.get("trunk_lean_deg")
    duration = float(summary.get("duration_s") or 0.0)
    if not lean:
        return ["Nobody was found in view in this session, so there is nothing to report on form."]
    if not summary.get("running"):
        lines.append(
            f"No running was found in this {clock(duration)} session (walking, standing or out of view), "
            f"so no running metrics were kept and no cue was given. Trunk lean median {deg(lean['median'])}."
        )
        return lines
    cadence = summary.get("cadence_spm")
    pace = f" at {cadence:.0f} steps/min" if cadence else ""
    ran = summary.get("running_s")  # from the frames' own time stamps (record.session.running_seconds)
    lines.append(
        f"You ran for {clock(float(ran) if ran is not None else duration)}{pace}; your trunk lean was {deg(lean['median'])} at the median "
        f"(the good band is {band_text(band)})."
    )
    used: set[int] = set()
    for prev, seg in pairwise(segments):
        change = _change(prev, seg, band)
        if change is None:
            continue
        text, ids = change
        mine = [i for i, c in enumerate(cues) if i not in used and c["id"] in ids and seg.t0 - 1.0 <= c["t"] <= seg.t1]
        used.update(mine)
        if mine:
            text += f"; that is when {_said([cues[i] for i in mine])}."
        elif ids != ("praise",):
            text += "; no cue was given for it."
        else:
            text += "."
        lines.append(text)
    if len(segments) == 1 or not any(_change(p, s, band) for p, s in pairwise(segments)):
        zone = _zone(lean["median"], band)
        spread = f"p10 {deg(lean['p10'])}, p90 {deg(lean['p90'])}"
        if zone == "good" and band[0] <= lean["p10"] and lean["p90"] <= band[1]:
            lines.append(f"Your trunk stayed in the good band throughout ({spread}).")
        elif zone == "good":
            lines.append(f"Your trunk was in the good band most of the time, and out of it at times ({spread}).")
        elif zone == "back":
            lines.append(f"You leaned back for the whole run (p10 {deg(lean['p10'])}, p90 {deg(lean['p90'])}).")
        else:
            lines.append(f"You leaned too far forward for the whole run (p90 {deg(lean['p90'])}).")
    rest = [c for i, c in enumerate(cues) if i not in used]
    if rest:
        lines.append(f"Also, {_said(rest)}.")
    elif not cues:
        lines.append("The coach had nothing to say: no cue was due.")
    hip = hip_behind(summary)
    if hip and hip.get("median") is not None:
        lines.append(
            f"Hip extension: {hip_extension_words(-hip['median'])} — how far your thigh went behind vertical at "
            f"toe-off (median of {hip.get('n', 0)} strides)."
        )
    if judged:
        if faults:
            kinds: dict[str, int] = {}
            for f in faults:
                kinds[f.cue.text] = kinds.get(f.cue.text, 0) + 1
            detail = ", ".join(f"{n} calling for \u2018{text}\u2019" for text, n in kinds.items())
            n_bad = len({id(f.stride) for f in faults})
            lines.append(f"{n_bad} of the {judged} strides the coach judged were at fault ({detail}).")
        else:
            lines.append(f"None of the {judged} strides the coach judged was at fault.")
    return lines


#: The outline way's border without rules: the lumbar arch, in the runner's own spreads.
DEFAULT_ARCH_EDGE_SDS = 3.0


def arch_edge(rules: RuleSet | None) -> float:
    """The rules' outline way for arching: the `above` edge of its lumbar-arch condition in the
    runner's spreads (cues/rules.toml); the default when the rules have no such way."""
    for way in (w for r in (rules.cues if rules else ()) for w in r.faults):
        for c in way:
            if c.metric == "lumbar_arch" and c.spreads and c.above is not None:
                return c.above
    return DEFAULT_ARCH_EDGE_SDS


def back_lines(rib: dict[str, Any] | None, edge_sds: float = DEFAULT_ARCH_EDGE_SDS,
               kind: str | None = None) -> list[str]:
    """The report's words on the back and the rib cage, from summary.json's `rib_cage`;
    `edge_sds` as `arch_edge` gives it; `kind` the session's (`record.kinds`)."""
    if not rib or not rib.get("measured"):
        if kind == "demo":
            return ["The demo's drawn runner has no outline, so its back is not read; with a camera, "
                    "the back is read from the outline of your body."]
        return ["Your back's outline was not read in this session (no segmentation mask: an old "
                "recording, or nobody in view)."]
    quality = rib.get("quality")
    lines = [f"Your back's outline was clear in {quality:.0%} of a stride's frames (median); "
             "where an arm crossed it or the top was loose, it was left out."] if quality is not None else []
    held = rib.get("held_arch")
    if held is None:
        lines.append("The arch of your lower back is read against your own baseline and its stride-to-stride "
                     "spread, which need a calibrated run (20 s of steady running); this session had none, so "
                     "it is kept but not judged.")
        return lines
    sds = held["sds"]
    if sds > edge_sds:
        lines.append(f"Your lower back hollowed: at its deepest, from {clock(held['t'])}, the arch held {sds:.1f} of "
                     f"your own stride-to-stride spreads deeper than at your baseline for {held['strides']} strides in a row "
                     f"(the coach's border is {edge_sds:g}): the rib cage tipping back over the pelvis, which "
                     "‘Ribs down’ is for.")
    else:
        lines.append(f"The arch of your lower back stayed within your own range: at most {sds:.1f} of your "
                     f"stride-to-stride spreads over your baseline for {held['strides']} strides in a row "
                     f"(the coach's border is {edge_sds:g}).")
    rel = rib.get("vs_baseline") or {}
    opening, pelvis = rel.get("thorax_pelvis_deg"), rel.get("pelvic_deg")
    if opening is not None and pelvis is not None:
        lines.append(f"Over the whole session, against your baseline: thorax–pelvis angle {deg(opening)}, pelvic "
                     f"line {deg(pelvis)} (arching opens the first and tips the second forward; leaning moves "
                     "them too).")
    return lines
