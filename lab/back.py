"""`python -m lab back DIR`: the back's values, validated against the lab's truth.

For every stride the app wrote (strides.csv of DIR/NAME/ANALYSIS), the outline values it
read (realtime/analysis/rib_cage.py: thorax–pelvis angle, pelvic line, lumbar arch, rib
flare) are set against two truths over the same stride (truth.json "frames"):

- the **silhouette**: the same values read by the same code from the true silhouette and
  the true landmarks: what a perfect mask and perfect landmarks would give; the difference
  is the model's (mask, landmarks) error;
- the **skeleton**: the true lumbar extension (the lumbar bones' bend), which is what
  arching is; the outline's change per degree of it (the sensitivity, from the arching
  clips' steady fault against their clean first half) turns a change of a value into
  degrees of lumbar extension.

Per group of clips (top fitted or loose; the model is the analysis folder's):

- bias: the mean error against the silhouette; per-stride SD: the SD of a stride's error
  around its clip's mean (the clip's own bias is what the runner's baseline removes);
- the smallest detectable change over 4 strides (MDC4): 1.96 · √2 · the SD of the mean of
  4 strides in a row of the app's value on clean running (the 95 % limit of a difference
  between two such means, the usual minimal detectable change), in the value's units and,
  over the sensitivity, in degrees of lumbar extension.

Detection (`ways`): each way of the `ribs_down` rule alone, the rule's own streaks, on the
strides the coach wrote in DIR/NAME/replay (or ANALYSIS): the onset-to-cue time on each
arching clip, the share of arching clips caught within `CATCH_WITHIN_S`, and false cues per
minute on the clean running clips.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

import numpy as np

from cues.engine import CueEngine
from cues.rules import CueRule, RuleSet, Way, load_rules
from realtime.analysis.rib_cage import SUMMARY_METRICS
from realtime.core.errors import UserError

VALUES = SUMMARY_METRICS  # thorax_pelvis_deg, pelvic_deg, lumbar_arch, rib_flare
#: Faults that arch the back (lab/faults.py): lumbar extension, pelvic tilt, a level-lean arch.
ARCH_KINDS = ("lumbar_extension", "anterior_pelvic_tilt", "level_lean_arch")
#: The clean first half and the steady fault of a fault clip (lab/suite.py: onset 10 s, the
#: faults' ramp RAMP_S): strides from CLEAN_FROM_S to the onset, and from FAULT_AFTER_S past
#: the full size.
CLEAN_FROM_S = 2.0
FAULT_AFTER_S = 1.0
RAMP_S = 1.0
#: An arching clip counts as caught when the way fires within this of the onset.
CATCH_WITHIN_S = 8.0
#: 95 % limit of the difference of two means (1.96 · √2).
MDC_FACTOR = 1.96 * math.sqrt(2.0)
MDC_STRIDES = 4


@dataclass
class BackStride:
    """One app stride: the app's outline values and both truths over the same time."""

    t0: float
    t1: float
    app: dict[str, float]
    silhouette: dict[str, float]
    lumbar_extension_deg: float
    trunk_lean_deg: float


@dataclass
class BackClip:
    """One clip's strides and what it is."""

    name: str
    top: str  # "fitted" or "loose"
    arching: bool
    clean: bool
    onset_s: float | None
    strides: list[BackStride] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def finite_median(values: Sequence[float | None]) -> float:
    """Median of the finite values; NaN without any."""
    x = np.array([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def as_number(value: object) -> float:
    """A strides.csv cell as a float (NaN when empty)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def truth_over(frames: dict, t0: float, t1: float) -> tuple[dict[str, float], float, float]:
    """(silhouette values, lumbar extension, trunk lean): medians over the frames in [t0, t1]."""
    t = np.asarray(frames["t"], dtype=float)
    inside = np.flatnonzero((t >= t0) & (t <= t1))
    outlines = [frames["outline"][k] or {} for k in inside]
    silhouette = {v: finite_median([o.get(v) for o in outlines]) for v in VALUES}
    lumbar = finite_median([frames["lumbar_extension_deg"][k] for k in inside])
    lean = finite_median([frames["trunk_lean_deg"][k] for k in inside])
    return silhouette, lumbar, lean


def clip_kind(truth: dict) -> tuple[str, bool, bool, float | None]:
    """(top, arching, clean running, the first fault's onset) of a clip; arching: every
    fault arches the back."""
    faults = truth.get("faults") or []
    top = (truth.get("spec", {}).get("outfit") or {}).get("top", "fitted")
    arch = [f for f in faults if f["kind"] in ARCH_KINDS]
    running = truth["runner"].get("activity") == "running"
    onset = min((f["onset_s"] for f in faults), default=None)
    return ("loose" if top == "loose" else "fitted"), bool(arch) and len(arch) == len(faults), \
        running and not faults, onset


def read_clip(folder: Path, truth: dict, analysis: str) -> BackClip | None:
    """The clip's strides with both truths; None when it has no analysis or no frame truth."""
    from lab.score import read_strides_csv

    strides_csv = folder / analysis / "strides.csv"
    frames = truth.get("frames")
    if not strides_csv.is_file() or not frames or "outline" not in frames:
        return None
    top, arching, clean, onset = clip_kind(truth)
    clip = BackClip(folder.name, top, arching, clean, onset)
    for row in read_strides_csv(strides_csv):
        t0, t1 = as_number(row.get("t_contact")), as_number(row.get("t_next_contact"))
        if not (math.isfinite(t0) and math.isfinite(t1)):
            continue
        silhouette, lumbar, lean = truth_over(frames, t0, t1)
        app = {v: as_number(row.get(v)) for v in VALUES}
        clip.strides.append(BackStride(t0, t1, app, silhouette, lumbar, lean))
    return clip


# --------------------------------------------------------------------------- accuracy


def clean_part(clip: BackClip) -> list[BackStride]:
    """The strides with the back as it is at rest: all of a clean clip, the first half of a
    fault clip."""
    if clip.onset_s is None:
        return [s for s in clip.strides if s.t0 >= CLEAN_FROM_S]
    return [s for s in clip.strides if CLEAN_FROM_S <= s.t0 and s.t1 < clip.onset_s]


def fault_part(clip: BackClip) -> list[BackStride]:
    """The strides once the fault has been at full size for FAULT_AFTER_S (none without a fault)."""
    if clip.onset_s is None:
        return []
    return [s for s in clip.strides if s.t0 >= clip.onset_s + RAMP_S + FAULT_AFTER_S]


def errors(strides: Sequence[BackStride], value: str) -> np.ndarray:
    """App − silhouette per stride (finite ones)."""
    e = np.array([s.app[value] - s.silhouette[value] for s in strides], dtype=float)
    return e[np.isfinite(e)]


def run_means(x: np.ndarray, n: int = MDC_STRIDES) -> np.ndarray:
    """Means of `n` values in a row."""
    return np.convolve(x, np.ones(n) / n, mode="valid") if x.size >= n else np.array([])


def pooled_sd(groups: Sequence[np.ndarray]) -> float:
    """SD of every value around its own group's mean (groups of 2 or more)."""
    dev = [g - g.mean() for g in groups if g.size >= 2]
    dof = sum(g.size - 1 for g in groups if g.size >= 2)
    return float(math.sqrt(sum(float((d ** 2).sum()) for d in dev) / dof)) if dof else math.nan


def sensitivity(clip: BackClip, value: str) -> float | None:
    """The value's change per degree of true lumbar extension: steady fault − clean half."""
    before, after = clean_part(clip), fault_part(clip)
    app = [np.nanmean([s.app[value] for s in part]) for part in (before, after)]
    lumbar = [np.nanmean([s.lumbar_extension_deg for s in part]) for part in (before, after)]
    if not before or not after or not all(map(math.isfinite, app + lumbar)) or abs(lumbar[1] - lumbar[0]) < 1.0:
        return None
    return float((app[1] - app[0]) / (lumbar[1] - lumbar[0]))


@dataclass(frozen=True)
class Accuracy:
    """One value over a group of clips (module doc)."""

    value: str
    clips: int
    strides: int
    bias: float
    bias_low: float
    bias_high: float
    sd: float
    mdc4: float
    per_deg: float | None  # sensitivity, value per degree of lumbar extension
    coverage: float  # share of strides that had the value

    @property
    def mdc4_deg(self) -> float | None:
        """MDC4 in degrees of lumbar extension."""
        return None if not self.per_deg else abs(self.mdc4 / self.per_deg)


def accuracy(clips: Sequence[BackClip], value: str) -> Accuracy | None:
    """The value's accuracy over the clean strides of `clips`, its sensitivity over their
    arching clips."""
    rest = [clean_part(c) for c in clips]
    errs = [errors(r, value) for r in rest if r]
    errs = [e for e in errs if e.size >= 2]
    if not errs:
        return None
    biases = [float(e.mean()) for e in errs]
    apps = [np.array([s.app[value] for s in r if math.isfinite(s.app[value])]) for r in rest if r]
    slopes = [k for c in clips if c.arching and (k := sensitivity(c, value)) is not None]
    total = sum(len(r) for r in rest)
    have = sum(int(np.isfinite([s.app[value] for s in r]).sum()) for r in rest)
    return Accuracy(value, len(errs), int(sum(e.size for e in errs)), float(np.mean(np.concatenate(errs))),
                    min(biases), max(biases), pooled_sd(errs), MDC_FACTOR * pooled_sd([run_means(a) for a in apps]),
                    float(np.median(slopes)) if slopes else None, have / total if total else math.nan)


# --------------------------------------------------------------------------- detection


def way_name(way: Way) -> str:
    """A way as its conditions, e.g. 'trunk_lean_midstance_deg < 1.5'."""
    def one(c) -> str:
        edge = f"< {c.below:g}" if c.below is not None else f"> {c.above:g}"
        against = " SDs over baseline" if c.spreads else " vs baseline" if c.baseline else ""
        return f"{c.metric}{against} {edge}"
    return " & ".join(one(c) for c in way)


def single_way_rules(rule: CueRule) -> list[tuple[str, RuleSet]]:
    """The rule as it is, then each of its ways alone, as rule sets without praise."""
    out = [("all ways", RuleSet((rule,)))]
    out += [(way_name(w), RuleSet((replace(rule, faults=(w,)),))) for w in rule.faults]
    return out


def stride_objects(rows: Sequence[dict]) -> list[SimpleNamespace]:
    """strides.csv rows as objects with the metrics as attributes, in the order they ended."""
    return sorted((SimpleNamespace(**row) for row in rows), key=lambda s: s.t_next_contact or 0.0)


def cue_times(rules: RuleSet, strides: Sequence[SimpleNamespace], baseline: dict | None) -> list[float]:
    """When the rules' cue speaks on these strides; the baseline counts from its end on."""
    engine = CueEngine(rules, schedule="full")
    ready_at = float(baseline["t_end"]) if baseline and baseline.get("ready") else math.inf
    said = []
    for s in strides:
        t = float(s.t_next_contact)
        if engine.update(t, s, baseline if t >= ready_at else None) is not None:
            said.append(t)
    return said


@dataclass(frozen=True)
class WayScore:
    """One way of ribs_down over the suite."""

    way: str
    latencies: dict[str, float | None]  # clip that should bring ribs_down → onset-to-cue (None: missed)
    false_cues: int  # cues while the back was not arched
    clean_minutes: float  # minutes of running with the back not arched

    def caught_share(self, names: Sequence[str]) -> float | None:
        """The share of the clips `names` caught within CATCH_WITHIN_S."""
        got = [v is not None and v <= CATCH_WITHIN_S for k, v in self.latencies.items() if k in names]
        return float(np.mean(got)) if got else None

    @property
    def false_per_min(self) -> float | None:
        """False cues per minute of clean running."""
        return self.false_cues / self.clean_minutes if self.clean_minutes else None


def read_coach(folder: Path, replay: str) -> tuple[list[SimpleNamespace], dict | None, float] | None:
    """(strides, baseline, clip seconds) of the coach's run, None without it."""
    from lab.score import read_strides_csv

    path = folder / replay
    if not (path / "summary.json").is_file():
        return None
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    return stride_objects(read_strides_csv(path / "strides.csv")), summary.get("baseline"), float(summary["duration_s"])


def no_arch_until(truth: dict) -> float | None:
    """Until when the clip's back is not arched (inf: all of it); None when the back extends
    without a ribs_down fault (the hip-extension limit: the back does extend there)."""
    faults = truth.get("faults") or []
    if truth["runner"].get("activity") != "running":
        return None
    if any(f["kind"] == "hip_extension_limit" for f in faults):
        return None
    expected = [f["onset_s"] for f in faults if f["cue"] == "ribs_down"]
    return min(expected) if expected else math.inf


def score_ways(truths: dict[Path, dict], replay: str, rule: CueRule) -> list[WayScore]:
    """Each way of `rule`: its onset-to-cue on the clips (folder → truth) that should bring
    ribs_down (arching, and leaning back), its cues while the back is not arched."""
    runs = []
    for folder, truth in truths.items():
        coach, until = read_coach(folder, replay), no_arch_until(truth)
        if coach is not None and until is not None:
            onset = None if math.isinf(until) else until
            runs.append((folder.name, onset, until, *coach))
    out = []
    for name, rules in single_way_rules(rule):
        latencies, false, minutes = {}, 0, 0.0
        for clip, onset, until, strides, baseline, seconds in runs:
            times = cue_times(rules, strides, baseline)
            if onset is not None:
                after = [t - onset for t in times if t >= onset]
                latencies[clip] = after[0] if after else None
            false += sum(t < until for t in times)
            minutes += min(until, seconds) / 60.0
        out.append(WayScore(name, latencies, false, minutes))
    return out


# --------------------------------------------------------------------------- report

UNITS = {"thorax_pelvis_deg": ("°", "{:+.1f}", "{:.1f}"), "pelvic_deg": ("°", "{:+.1f}", "{:.1f}"),
         "lumbar_arch": ("TL", "{:+.4f}", "{:.4f}"), "rib_flare": ("TL", "{:+.4f}", "{:.4f}")}


def accuracy_rows(label: str, clips: Sequence[BackClip]) -> list[str]:
    """Markdown rows of every value for one group."""
    rows = []
    for value in VALUES:
        a = accuracy(clips, value)
        if a is None:
            continue
        unit, signed, plain = UNITS[value]
        per = "—" if a.per_deg is None else signed.format(10 * a.per_deg)
        deg = "—" if a.mdc4_deg is None else f"{a.mdc4_deg:.1f}°"
        rows.append(f"| {label} | {value} ({unit}) | {a.clips} / {a.strides} | {signed.format(a.bias)} "
                    f"({signed.format(a.bias_low)}..{signed.format(a.bias_high)}) | {plain.format(a.sd)} | "
                    f"{plain.format(a.mdc4)} | {per} | {deg} | {a.coverage:.0%} |")
    return rows


def accuracy_table(groups: dict[str, list[BackClip]]) -> str:
    """The accuracy table over the groups."""
    head = ("| clips | value | clips / strides | bias vs silhouette (clip range) | per-stride SD | MDC4 | "
            "per 10° lumbar ext. | MDC4 in lumbar ext. | strides with it |\n|---|---|---|---|---|---|---|---|---|")
    return "\n".join([head] + [r for label, clips in groups.items() for r in accuracy_rows(label, clips)])


def ways_table(scores: Sequence[WayScore], arching: Sequence[str]) -> str:
    """The detection table: each way, its catches, latencies and false cues; then each clip."""
    clips = sorted(scores[0].latencies) if scores else []
    share = lambda w, names: "—" if (v := w.caught_share(names)) is None else f"{v:.0%}"  # noqa: E731
    lean_back = [c for c in clips if c not in arching]
    lines = ["| way | arching clips caught ≤ 8 s | lean-back clips caught | false cues / min not arched |",
             "|---|---|---|---|"]
    for w in scores:
        rate = "—" if w.false_per_min is None else f"{w.false_per_min:.2f} ({w.false_cues} in {w.clean_minutes:.1f} min)"
        lines.append(f"| {w.way} | {share(w, arching)} | {share(w, lean_back)} | {rate} |")
    lines += ["", "| clip (onset → cue) | " + " | ".join(f"way {k}" if k else "all" for k in range(len(scores))) + " |",
              "|---|" + "---|" * len(scores)]
    for c in clips:
        cells = ["—" if (v := w.latencies[c]) is None else f"{v:.1f} s" for w in scores]
        lines.append(f"| {c}{'' if c in arching else ' (lean back)'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def groups_of(clips: Sequence[BackClip]) -> dict[str, list[BackClip]]:
    """Fitted and loose tops."""
    out = {"fitted top": [c for c in clips if c.top == "fitted"], "loose top": [c for c in clips if c.top == "loose"]}
    return {k: v for k, v in out.items() if v}


#: The values the per-clip table shows.
CLIP_VALUES = ("lumbar_arch", "thorax_pelvis_deg")


def clip_table(clips: Sequence[BackClip]) -> str:
    """Each clean clip alone (cameras, bodies, clothes, light, ...): bias, per-stride SD and
    MDC4 of CLIP_VALUES."""
    head = "| clip | " + " | ".join(f"{v}: bias / SD / MDC4" for v in CLIP_VALUES) + " |"
    lines = [head, "|---|" + "---|" * len(CLIP_VALUES)]
    for c in sorted((c for c in clips if c.clean), key=lambda c: c.name):
        cells = []
        for v in CLIP_VALUES:
            a = accuracy([c], v)
            _, signed, plain = UNITS[v]
            cells.append("—" if a is None else f"{signed.format(a.bias)} / {plain.format(a.sd)} / {plain.format(a.mdc4)}")
        lines.append(f"| {c.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The options of `python -m lab back`."""
    parser = argparse.ArgumentParser(prog="python -m lab back", description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, metavar="DIR", help="the rendered and scored clips, one sub-folder each")
    parser.add_argument("--analysis", default="analysis", metavar="NAME",
                        help="the analysis folder of each clip to read (default analysis; analysis_heavy for the heavy model)")
    parser.add_argument("--coach", default="replay", metavar="NAME",
                        help="the folder whose strides the ways are judged on (default replay)")
    parser.add_argument("--only", type=lambda s: [n for n in s.split(",") if n], metavar="NAME[,NAME]",
                        help="only these clips (the same clips for two models)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the tables here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    return parser


def figures(groups: dict[str, list[BackClip]], ways: Sequence[WayScore]) -> dict:
    """The tables' figures as plain types, for --json."""
    acc = {label: {v: (asdict(a) | {"mdc4_deg": a.mdc4_deg} if (a := accuracy(clips, v)) else None) for v in VALUES}
           for label, clips in groups.items()}
    return {"format": "ribsdown-lab-back/1", "accuracy": acc,
            "ways": [asdict(w) | {"false_per_min": w.false_per_min} for w in ways]}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; bad input: one line, exit status 2."""
    from lab.score import find_clips, load_truth

    args = build_parser().parse_args(argv)
    try:
        truths = {folder: load_truth(folder) for folder in find_clips(args.dir, args.only)}
        clips = [c for f, truth in truths.items() if (c := read_clip(f, truth, args.analysis)) is not None]
        if not clips:
            raise UserError(f"no clip in {args.dir} has {args.analysis}/strides.csv and frame truth — run `python -m lab score` first")
        rule = next(r for r in load_rules().cues if r.id == "ribs_down")
        groups, ways = groups_of(clips), score_ways(truths, args.coach, rule)
        report = (f"## The back against the truth ({args.analysis}, {len(clips)} clips)\n\n"
                  + accuracy_table(groups)
                  + "\n\n## Each clean clip\n\n" + clip_table(clips)
                  + f"\n\n## ribs_down, each way alone ({args.coach})\n\n"
                  + ways_table(ways, [c.name for c in clips if c.arching]) + "\n")
        if args.json:
            args.json.write_text(json.dumps(figures(groups, ways), indent=2) + "\n", encoding="utf-8")
    except UserError as err:
        print(f"lab back: {err}", file=sys.stderr)
        return 2
    print(report, end="")
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    return 0
