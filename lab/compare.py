"""The lab's scorer, pure part: one clip's app outputs against its truth, the suite summary,
and the Markdown report of both.

No files, no subprocesses, no model: `lab/score.py` reads those and calls `score_clip`,
`summarise`, `markdown_table` and `summary_block`. Conventions as in README "What it
measures": degrees, trunk lean + forward, cadence in steps/min; errors are app minus truth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from realtime.analysis.passing import DEFAULT_PASSING

TRUTH_FORMAT = "ribsdown-lab-truth/1"

#: An app stride matches the true stride whose contact (either leg) is nearest, within this.
STRIDE_MATCH_S = 0.12

#: A cue still belongs to a fault this long after the fault has ramped out: the stride that
#: was under way then closes up to a stride (about 0.7 s at 170 spm) later, and is judged then.
AFTER_END_S = 1.5

#: Running counts from this long after the clip starts (the issue "Coach every runner"):
#: the coach needs a few steps to see the gait.
RUNNING_GRACE_S = 3.0 + DEFAULT_PASSING.min_span_s  # and the half second a person is watched before being measured

#: A stride's cadence is right when within this share of the truth (the same issue).
STRIDE_CADENCE_TOLERANCE = 0.03

#: The issue "Coach every runner": `ribs_down` must come within this long of the onset of
#: every fault that leans the trunk back by LEAN_BACK_DEG or more (true lean).
CUE_WITHIN_S = 8.0
LEAN_BACK_DEG = 6.0

#: Lines the coach says that are not fault cues (never counted as false cues).
NOT_FAULT_CUES = frozenset({"praise"})

#: A table cell with nothing to show (not applicable, or not measured).
DASH = "–"

#: Per-stride metrics that strides.csv and truth.json "strides" both name (thorax_pelvis_deg:
#: the app reads it from the silhouette's outline, the truth from the skeleton).
STRIDE_METRICS = (
    "trunk_lean_midstance_deg", "thigh_extension_deg", "shank_angle_contact_deg", "contact_time_s",
    "cadence_spm", "trunk_back_excursion_deg", "extension_coupling", "foot_ahead_of_hip",
    "vertical_oscillation", "thorax_pelvis_deg",
)


@dataclass(frozen=True)
class AppFrames:
    """frames.csv as columns, each `(N,)`: frame index (int), pose found (bool), trunk lean
    (degrees, NaN where none) and activity (str)."""

    index: np.ndarray
    pose: np.ndarray
    trunk_lean_deg: np.ndarray
    activity: np.ndarray

    def __post_init__(self) -> None:
        sizes = {len(self.index), len(self.pose), len(self.trunk_lean_deg), len(self.activity)}
        if len(sizes) != 1:
            raise ValueError(f"frames.csv columns differ in length: {sorted(sizes)}")


@dataclass(frozen=True)
class AppOutputs:
    """What one `ribsdown analyze` left: summary.json (dict), frames.csv, strides.csv rows
    (dicts of float | str | bool | None)."""

    summary: dict
    frames: AppFrames
    strides: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Errors:
    """App minus truth over `n` pairs: median (the bias) and root mean square."""

    n: int = 0
    bias: float | None = None
    rmse: float | None = None


@dataclass(frozen=True)
class FaultScore:
    """One true fault and the first cue of its expected id at or after its onset."""

    kind: str
    cue: str
    onset_s: float
    cue_t: float | None = None
    magnitude: float | None = None

    @property
    def latency_s(self) -> float | None:
        """Onset → cue (s); None when missed."""
        return None if self.cue_t is None else self.cue_t - self.onset_s


@dataclass(frozen=True)
class IoUStats:
    """Mask IoU over `n` frames: median and 10th percentile."""

    n: int = 0
    median: float | None = None
    p10: float | None = None


@dataclass(frozen=True)
class ClipScore:
    """Every figure of one clip (None: not applicable or not measured)."""

    name: str
    activity: str
    clean: bool
    error: str | None = None
    cadence_true: float | None = None
    cadence_app: float | None = None
    cadence_err_spm: float | None = None
    cadence_err_pct: float | None = None
    app_running: bool | None = None
    lean_frames: Errors = Errors()
    strides_app: int = 0
    strides_true: int = 0
    strides_matched: int = 0
    #: Share of the app's strides whose cadence is within STRIDE_CADENCE_TOLERANCE of the truth.
    strides_cadence_ok: float | None = None
    stride_errors: dict[str, Errors] = field(default_factory=dict)
    pose_share: float | None = None
    running_share: float | None = None
    false_running_share: float | None = None
    faults: tuple[FaultScore, ...] = ()
    #: The true trunk lean once the faults are in, minus before their onset (degrees).
    lean_change_deg: float | None = None
    false_cues: int = 0
    clean_minutes: float = 0.0
    iou: IoUStats | None = None

    @property
    def false_cues_per_min(self) -> float | None:
        """Cues outside every fault window per minute outside them."""
        return self.false_cues / self.clean_minutes if self.clean_minutes > 0 else None


# --------------------------------------------------------------------------- small maths


def as_floats(values: Sequence[Any]) -> np.ndarray:
    """A list that may hold None → a float array, NaN for None."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def errors(app: np.ndarray, truth: np.ndarray) -> Errors:
    """Bias and RMSE of `app - truth` over the pairs where both are finite."""
    diff = np.asarray(app, float) - np.asarray(truth, float)
    diff = diff[np.isfinite(diff)]
    if diff.size == 0:
        return Errors()
    return Errors(int(diff.size), float(np.median(diff)), float(np.sqrt(np.mean(diff**2))))


def mask_iou(predicted: np.ndarray, true: np.ndarray) -> float:
    """Intersection over union of two bool masks of one shape; NaN when both are empty."""
    union = np.logical_or(predicted, true).sum()
    return float(np.logical_and(predicted, true).sum() / union) if union else float("nan")


def iou_stats(values: Sequence[float]) -> IoUStats:
    """Median and p10 of per-frame IoUs (NaN frames, with nothing in either mask, left out)."""
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return IoUStats()
    p10, median = np.percentile(finite, [10, 50])
    return IoUStats(int(finite.size), float(median), float(p10))


# --------------------------------------------------------------------------- truth access


def true_frames(truth: dict) -> dict | None:
    """The per-frame truth with its `index` list, or None when the truth has none."""
    frames = truth.get("frames")
    return frames if isinstance(frames, dict) and frames.get("index") is not None else None


def truth_activity(truth: dict) -> str:
    """The runner's activity: "running", "walking" or "none" (nobody in the scene)."""
    runner = truth["runner"]
    return str(runner.get("activity") or "none") if runner.get("present", True) else "none"


def duration_s(truth: dict) -> float:
    """The clip's length (s) from its video block."""
    video = truth["video"]
    return float(video.get("duration_s") or video["frames"] / video["fps"])


def truly_running(truth: dict, app_index: np.ndarray) -> np.ndarray:
    """`(N,)` bool: the runner truly runs at each of the app's frames.

    From the per-frame activity where the truth has it (frames it does not cover: False),
    else the clip's one activity for every frame.
    """
    frames = true_frames(truth)
    if frames is None or frames.get("activity") is None:
        return np.full(len(app_index), truth_activity(truth) == "running")
    by_index = dict(zip(frames["index"], frames["activity"]))
    return np.array([by_index.get(int(i)) == "running" for i in app_index], dtype=bool)


# --------------------------------------------------------------------------- per-clip figures


def cadence_error(true_spm: float | None, app_spm: float | None) -> tuple[float | None, float | None]:
    """(app − truth in spm, the same in % of truth); Nones when either is missing."""
    if true_spm is None or app_spm is None:
        return None, None
    err = app_spm - true_spm
    return err, 100.0 * err / true_spm


def frame_lean_errors(truth: dict, frames: AppFrames) -> Errors:
    """Per-frame trunk lean, app minus truth, joined on the frame index."""
    truth_frames = true_frames(truth)
    if truth_frames is None or truth_frames.get("trunk_lean_deg") is None:
        return Errors()
    truth_index = np.asarray(truth_frames["index"], dtype=int)
    _, at_app, at_truth = np.intersect1d(frames.index, truth_index, return_indices=True)
    lean = as_floats(truth_frames["trunk_lean_deg"])
    return errors(frames.trunk_lean_deg[at_app], lean[at_truth])


def match_strides(app_contacts: np.ndarray, true_contacts: np.ndarray,
                  within_s: float = STRIDE_MATCH_S) -> np.ndarray:
    """For each app contact `(M,)`, the index of the nearest true contact `(K,)`, -1 if none
    lies within `within_s`."""
    if len(app_contacts) == 0 or len(true_contacts) == 0:
        return np.full(len(app_contacts), -1)
    gaps = np.abs(np.asarray(app_contacts, float)[:, None] - np.asarray(true_contacts, float)[None, :])
    nearest = np.argmin(gaps, axis=1)
    return np.where(gaps[np.arange(len(nearest)), nearest] <= within_s, nearest, -1)


def stride_errors(app: Sequence[dict], truth: Sequence[dict]) -> tuple[int, dict[str, Errors]]:
    """(strides matched, errors per metric of STRIDE_METRICS over the matched pairs)."""
    match = match_strides(as_floats([s.get("t_contact") for s in app]),
                          as_floats([s.get("t_contact") for s in truth]))
    pairs = [(a, truth[j]) for a, j in zip(app, match) if j >= 0]
    found = {
        name: errors(as_floats([a.get(name) for a, _ in pairs]), as_floats([t.get(name) for _, t in pairs]))
        for name in STRIDE_METRICS
    }
    return len(pairs), found


def running_shares(truly: np.ndarray, app_running: np.ndarray) -> tuple[float | None, float | None]:
    """(share of truly-running frames the app calls running, share of the other frames it
    wrongly calls running); None where there are no such frames."""
    truly, app_running = np.asarray(truly, bool), np.asarray(app_running, bool)
    detected = float(app_running[truly].mean()) if truly.any() else None
    wrong = float(app_running[~truly].mean()) if (~truly).any() else None
    return detected, wrong


def true_lean_change(truth: dict, faults: Sequence[dict]) -> float | None:
    """Median true trunk lean after the first fault has ramped in, minus the median before
    its onset; None without faults or per-frame truth."""
    frames = true_frames(truth)
    if not faults or frames is None or frames.get("trunk_lean_deg") is None or frames.get("t") is None:
        return None
    t, lean = as_floats(frames["t"]), as_floats(frames["trunk_lean_deg"])
    first = min(faults, key=lambda f: f["onset_s"])
    full = first.get("full_s", first["onset_s"] + first.get("ramp_s", 0.0))
    before, after = lean[t < first["onset_s"]], lean[t >= full]
    before, after = before[np.isfinite(before)], after[np.isfinite(after)]
    if before.size == 0 or after.size == 0:
        return None
    return float(np.median(after) - np.median(before))


def cadence_ok_share(strides: Sequence[dict], true_spm: float | None) -> float | None:
    """Share of the strides whose cadence is within STRIDE_CADENCE_TOLERANCE of `true_spm`."""
    cadences = as_floats([s.get("cadence_spm") for s in strides])
    cadences = cadences[np.isfinite(cadences)]
    if true_spm is None or cadences.size == 0:
        return None
    return float(np.mean(np.abs(cadences / true_spm - 1.0) <= STRIDE_CADENCE_TOLERANCE))


def fault_windows(faults: Sequence[dict], clip_s: float) -> list[tuple[float, float]]:
    """(start, end) s of each fault: its onset to its ramp-out plus AFTER_END_S (to the clip's
    end when it never ends)."""
    windows = []
    for f in faults:
        ramp = f.get("ramp_s", f.get("full_s", f["onset_s"]) - f["onset_s"])
        end = clip_s if f.get("end_s") is None else min(clip_s, f["end_s"] + ramp + AFTER_END_S)
        windows.append((float(f["onset_s"]), float(end)))
    return windows


def fault_cues(cues: Sequence[dict]) -> list[dict]:
    """The app's cues that name a fault (not the praise), in time order."""
    return sorted((c for c in cues if c["id"] not in NOT_FAULT_CUES), key=lambda c: c["t"])


def score_faults(faults: Sequence[dict], cues: Sequence[dict], clip_s: float) -> tuple[FaultScore, ...]:
    """Each fault with the first cue of its id inside its window (at or after its onset)."""
    scored = []
    for fault, (start, end) in zip(faults, fault_windows(faults, clip_s)):
        hits = [c["t"] for c in cues if c["id"] == fault["cue"] and start <= c["t"] <= end]
        magnitude = fault.get("magnitude")
        scored.append(FaultScore(fault["kind"], fault["cue"], float(fault["onset_s"]), hits[0] if hits else None,
                                 None if magnitude is None else float(magnitude)))
    return tuple(scored)


def outside(times: np.ndarray, windows: Sequence[tuple[float, float]]) -> np.ndarray:
    """`(N,)` bool: each time lies outside every window."""
    times = np.asarray(times, float)
    inside = np.zeros(times.shape, bool)
    for start, end in windows:
        inside |= (times >= start) & (times <= end)
    return ~inside


def clean_minutes(truth: dict, windows: Sequence[tuple[float, float]]) -> float:
    """Minutes of the clip outside every fault window, counted over its frame times."""
    video = truth["video"]
    frame_t = np.arange(int(video["frames"])) / float(video["fps"])
    return float(outside(frame_t, windows).sum()) / float(video["fps"]) / 60.0


def measured_share(frames: AppFrames, fps: float) -> float | None:
    """Share of frames with a measured pose, from half a second in: the app measures a person
    once seen in place that long (realtime/analysis/passing.py)."""
    after = frames.index / fps >= DEFAULT_PASSING.min_span_s
    return float(frames.pose[after].mean()) if after.any() else None


def score_clip(name: str, truth: dict, app: AppOutputs, iou: IoUStats | None = None) -> ClipScore:
    """Every figure of one clip: the app's outputs against the truth."""
    runner, summary, faults = truth["runner"], app.summary, truth.get("faults") or []
    clip_s = duration_s(truth)
    windows = fault_windows(faults, clip_s)
    cues = fault_cues(summary.get("cues", []))
    cadence_true, cadence_app = runner.get("cadence_spm"), summary.get("cadence_spm")
    err_spm, err_pct = cadence_error(cadence_true, cadence_app)
    true_strides = truth.get("strides") or []
    matched, by_metric = stride_errors(app.strides, true_strides)
    truly = truly_running(truth, app.frames.index)
    after_grace = app.frames.index / float(truth["video"]["fps"]) >= RUNNING_GRACE_S
    detected, _ = running_shares(truly & after_grace, app.frames.activity == "running")
    _, wrong = running_shares(truly, app.frames.activity == "running")
    return ClipScore(
        name=name,
        activity=truth_activity(truth),
        clean=not faults,
        cadence_true=cadence_true,
        cadence_app=cadence_app,
        cadence_err_spm=err_spm,
        cadence_err_pct=err_pct,
        app_running=bool(summary.get("running")),
        lean_frames=frame_lean_errors(truth, app.frames),
        strides_app=len(app.strides),
        strides_true=len(true_strides),
        strides_matched=matched,
        strides_cadence_ok=cadence_ok_share(app.strides, cadence_true),
        stride_errors=by_metric,
        pose_share=measured_share(app.frames, float(truth["video"]["fps"])),
        running_share=detected,
        false_running_share=wrong,
        faults=score_faults(faults, cues, clip_s),
        lean_change_deg=true_lean_change(truth, faults),
        false_cues=int(outside(np.array([c["t"] for c in cues]), windows).sum()),
        clean_minutes=clean_minutes(truth, windows),
        iou=iou,
    )


# --------------------------------------------------------------------------- the suite


def median_or_none(values: Sequence[float | None]) -> float | None:
    """Median of the values that are not None; None when there are none."""
    kept = [v for v in values if v is not None]
    return float(np.median(kept)) if kept else None


def worst(scores: Sequence[ClipScore], value: Callable[[ClipScore], float | None], largest: bool = True,
          by: Callable[[float], float] = float) -> dict | None:
    """{"value", "clip"} of the clip whose `value(score)` (None: skipped) has the largest (or
    smallest) `by(value)`, e.g. `by=abs` for the largest error of either sign."""
    found = [(v, s.name) for s in scores if (v := value(s)) is not None]
    if not found:
        return None
    v, name = (max if largest else min)(found, key=lambda pair: by(pair[0]))
    return {"value": v, "clip": name}


def false_cue_rate(scores: Sequence[ClipScore]) -> dict:
    """False cues, clean minutes and their ratio (cues/min; None with no clean time)."""
    cues = sum(s.false_cues for s in scores)
    minutes = sum(s.clean_minutes for s in scores)
    return {"cues": cues, "minutes": minutes, "per_min": cues / minutes if minutes > 0 else None}


def summarise(scores: Sequence[ClipScore]) -> dict[str, Any]:
    """The suite's figures summarised over clips, by kind (running, not running, clean)."""
    ok = [s for s in scores if s.error is None]
    running = [s for s in ok if s.activity == "running"]
    others = [s for s in ok if s.activity != "running"]
    faults = [(s.name, f) for s in ok for f in s.faults]
    return {
        "clips": len(scores),
        "failed": [s.name for s in scores if s.error is not None],
        "running_clips": len(running),
        "cadence_abs_err_spm_median": median_or_none([abs_or_none(s.cadence_err_spm) for s in running]),
        "cadence_abs_err_pct_median": median_or_none([abs_or_none(s.cadence_err_pct) for s in running]),
        "cadence_err_spm_worst": worst(running, lambda s: s.cadence_err_spm, by=abs),
        "running_sessions": sum(bool(s.app_running) for s in running),
        "running_time_detected_median": median_or_none([s.running_share for s in running]),
        "running_time_detected_worst": worst(running, lambda s: s.running_share, largest=False),
        "cadence_within_1pct": sum(s.cadence_err_pct is not None and abs(s.cadence_err_pct) <= 1.0 for s in running),
        "strides_cadence_ok_pooled": pooled_cadence_ok(running),
        "strides_cadence_ok_worst": worst(running, lambda s: s.strides_cadence_ok, largest=False),
        "cues_by_fault": cues_by_fault(faults),
        "lean_back": lean_back_cues(ok),
        "other_clips": len(others),
        "other_sessions_called_running": sum(bool(s.app_running) for s in others),
        "false_running_median": median_or_none([s.false_running_share for s in others]),
        "false_running_worst": worst(others, lambda s: s.false_running_share),
        "lean_bias_median": median_or_none([s.lean_frames.bias for s in ok]),
        "lean_bias_worst": worst(ok, lambda s: s.lean_frames.bias, by=abs),
        "stride_lean_rmse_median": median_or_none([stride_lean_rmse(s) for s in ok]),
        "stride_lean_rmse_worst": worst(ok, stride_lean_rmse),
        "pose_share_median": median_or_none([s.pose_share for s in ok if s.activity != "none"]),
        "pose_share_lowest": worst([s for s in ok if s.activity != "none"], lambda s: s.pose_share, largest=False),
        "iou_median": median_or_none([s.iou.median for s in ok if s.iou]),
        "iou_p10_worst": worst([s for s in ok if s.iou], lambda s: s.iou.p10, largest=False),
        "faults": len(faults),
        "faults_missed": [f"{name}: {f.kind}" for name, f in faults if f.cue_t is None],
        "cue_latency_median_s": median_or_none([f.latency_s for _, f in faults]),
        "cue_latency_worst_s": max((f.latency_s for _, f in faults if f.latency_s is not None), default=None),
        "false_cues_clean_clips": false_cue_rate([s for s in ok if s.clean]),
        "false_cues_all_clean_time": false_cue_rate(ok),
    }


def lean_back_cues(scores: Sequence[ClipScore]) -> dict:
    """Clips whose faults lean the trunk back by LEAN_BACK_DEG or more: those where
    `ribs_down` came within CUE_WITHIN_S of the onset, and those where it did not."""
    backs = [s for s in scores if s.lean_change_deg is not None and s.lean_change_deg <= -LEAN_BACK_DEG]
    def in_time(s: ClipScore) -> bool:
        return any(f.cue == "ribs_down" and f.latency_s is not None and f.latency_s <= CUE_WITHIN_S for f in s.faults)
    return {"clips": [s.name for s in backs], "missed": [s.name for s in backs if not in_time(s)]}


def pooled_cadence_ok(scores: Sequence[ClipScore]) -> float | None:
    """The share of cadence-right strides over every stride of the clips."""
    pairs = [(s.strides_cadence_ok, s.strides_app) for s in scores if s.strides_cadence_ok is not None]
    total = sum(n for _, n in pairs)
    return sum(share * n for share, n in pairs) / total if total else None


def cues_by_fault(faults: Sequence[tuple[str, FaultScore]]) -> dict[str, list[dict]]:
    """Per fault kind, each clip's magnitude, cue latency (None: missed) and clip name."""
    found: dict[str, list[dict]] = {}
    for name, f in faults:
        found.setdefault(f.kind, []).append({"clip": name, "magnitude": f.magnitude, "latency_s": f.latency_s})
    return {kind: sorted(rows, key=lambda r: (r["magnitude"] is None, r["magnitude"] or 0.0))
            for kind, rows in sorted(found.items())}


def stride_lean_rmse(score: ClipScore) -> float | None:
    """The clip's per-stride trunk-lean RMSE (midstance), None when no stride matched."""
    return score.stride_errors.get("trunk_lean_midstance_deg", Errors()).rmse


def abs_or_none(value: float | None) -> float | None:
    """|value|, None stays None."""
    return None if value is None else abs(value)


# --------------------------------------------------------------------------- the report


def cell(value: float | None, spec: str = "{:.1f}") -> str:
    """A number formatted for the table, "–" when not applicable."""
    return DASH if value is None else spec.format(value)


def cues_cell(score: ClipScore) -> str:
    """Each fault's cue and its latency from the fault's onset, or "missed"."""
    found = [f"{f.cue} missed" if f.latency_s is None else f"{f.cue} {f.latency_s:+.1f} s" for f in score.faults]
    return "; ".join(found) or DASH


COLUMNS = (
    "clip", "activity", "cadence true", "cadence app", "err spm", "err %", "lean bias °", "stride lean RMSE °",
    "strides matched/app", "strides ±3 %", "pose %", "IoU med / p10", "running detected", "false running", "cues (from onset)",
    "false cues/min",
)


def table_row(s: ClipScore) -> list[str]:
    """One clip's cells, in COLUMNS order."""
    if s.error is not None:
        return [s.name, s.activity, s.error.replace("|", "/")] + [DASH] * (len(COLUMNS) - 3)
    iou = f"{cell(s.iou.median, '{:.2f}')} / {cell(s.iou.p10, '{:.2f}')}" if s.iou and s.iou.n else DASH
    strides = f"{s.strides_matched}/{s.strides_app}" if s.strides_true else DASH
    return [
        s.name, s.activity, cell(s.cadence_true), cell(s.cadence_app), cell(s.cadence_err_spm, "{:+.1f}"),
        cell(s.cadence_err_pct, "{:+.1f}"), cell(s.lean_frames.bias, "{:+.1f}"), cell(stride_lean_rmse(s), "{:.1f}"),
        strides, cell(s.strides_cadence_ok, "{:.0%}"), cell(s.pose_share, "{:.0%}"), iou, cell(s.running_share, "{:.0%}"),
        cell(s.false_running_share, "{:.0%}"), cues_cell(s), cell(s.false_cues_per_min, "{:.1f}"),
    ]


def markdown_table(scores: Sequence[ClipScore]) -> str:
    """The per-clip table."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(table_row(s)) + " |" for s in scores]
    return "\n".join(lines)


def at(found: dict | None, spec: str) -> str:
    """A summary's {"value", "clip"} as "VALUE (clip)", "–" when none."""
    return DASH if found is None else f"{spec.format(found['value'])} ({found['clip']})"


def summary_block(m: dict) -> str:
    """The summary figures (`summarise`) as Markdown bullets."""
    def fig(key: str, spec: str) -> str:
        return cell(m[key], spec)

    def where(key: str, spec: str) -> str:
        return at(m[key], spec)

    clean, every = m["false_cues_clean_clips"], m["false_cues_all_clean_time"]
    failed = f", analyze failed on {', '.join(m['failed'])}" if m["failed"] else ""
    missed = f"; missed: {', '.join(m['faults_missed'])}" if m["faults_missed"] else ""
    cued = m["faults"] - len(m["faults_missed"])
    return "\n".join([
        "**Summary**", "",
        f"- clips: {m['clips']}{failed}",
        f"- running clips ({m['running_clips']}): median |cadence error| {fig('cadence_abs_err_spm_median', '{:.1f}')}"
        f" spm ({fig('cadence_abs_err_pct_median', '{:.1f}')} %),"
        f" worst {where('cadence_err_spm_worst', '{:+.1f} spm')};"
        f" session called running in {m['running_sessions']} of {m['running_clips']};"
        f" running time detected (after {RUNNING_GRACE_S:g} s): median {fig('running_time_detected_median', '{:.0%}')},"
        f" lowest {where('running_time_detected_worst', '{:.0%}')};"
        f" session cadence within ±1 %: {m['cadence_within_1pct']} of {m['running_clips']};"
        f" strides within ±{STRIDE_CADENCE_TOLERANCE:.0%}: {fig('strides_cadence_ok_pooled', '{:.1%}')}"
        f" (lowest clip {where('strides_cadence_ok_worst', '{:.0%}')})",
        f"- walking / empty clips ({m['other_clips']}): wrongly called running"
        f" {fig('false_running_median', '{:.0%}')} of the time (median),"
        f" worst {where('false_running_worst', '{:.0%}')};"
        f" session called running in {m['other_sessions_called_running']} of {m['other_clips']}",
        f"- trunk lean per frame (app − truth): median bias {fig('lean_bias_median', '{:+.1f}°')},"
        f" worst {where('lean_bias_worst', '{:+.1f}°')}",
        f"- per-stride trunk lean RMSE: median {fig('stride_lean_rmse_median', '{:.1f}°')},"
        f" worst {where('stride_lean_rmse_worst', '{:.1f}°')}",
        f"- pose found (clips with a person): median {fig('pose_share_median', '{:.0%}')},"
        f" lowest {where('pose_share_lowest', '{:.0%}')}",
        f"- mask IoU: median {fig('iou_median', '{:.2f}')}, worst p10 {where('iou_p10_worst', '{:.2f}')}",
        f"- cues: {cued} of {m['faults']} faults cued, latency median {fig('cue_latency_median_s', '{:.1f} s')},"
        f" worst {fig('cue_latency_worst_s', '{:.1f} s')}{missed}",
        *cue_lines(m["cues_by_fault"]),
        f"- ribs_down within {CUE_WITHIN_S:.0f} s on the clips leaning back {LEAN_BACK_DEG:.0f}° or more (true lean):"
        f" {len(m['lean_back']['clips']) - len(m['lean_back']['missed'])} of {len(m['lean_back']['clips'])}"
        + (f"; late or missed: {', '.join(m['lean_back']['missed'])}" if m["lean_back"]["missed"] else ""),
        f"- false cues: {cell(clean['per_min'], '{:.1f}')}/min over clean clips ({clean['cues']} in"
        f" {clean['minutes']:.1f} min); {cell(every['per_min'], '{:.1f}')}/min over all fault-free time"
        f" ({every['cues']} in {every['minutes']:.1f} min)",
    ])


def cue_lines(by_fault: dict[str, list[dict]]) -> list[str]:
    """One bullet per fault kind: hits of all, then each magnitude's latency or "missed"."""
    def one(row: dict) -> str:
        latency = row["latency_s"]
        return f"{cell(row['magnitude'], '{:g}')}: " + ("missed" if latency is None else f"{latency:+.1f} s")

    lines = []
    for kind, rows in by_fault.items():
        hits = sum(r["latency_s"] is not None for r in rows)
        lines.append(f"  - {kind}: {hits} of {len(rows)} cued ({', '.join(one(r) for r in rows)})")
    return lines


def score_record(score: ClipScore) -> dict:
    """One clip's figures for --json (plain types; the faults with their latency)."""
    record = asdict(score)
    record["false_cues_per_min"] = score.false_cues_per_min
    record["faults"] = [{**asdict(f), "latency_s": f.latency_s, "missed": f.cue_t is None} for f in score.faults]
    return record
