"""A session folder as one self-contained HTML page: `report.html`.

What happened in plain words, trunk lean over time with the cues, hip extension and
cadence per stride, the strides at fault, the camera set-up warnings, stills of the best
and the worst stride (when the folder holds the recording, `session.mkv`), and the trend across the
sessions in the store. Plots are inline SVG, stills inline JPEG: the page needs nothing
but itself.
"""

from __future__ import annotations

import base64
import csv
import html
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cues.judging import judged_strides
from cues.rules import LEAN_METRIC, PraiseRule, RuleSet, load_rules, rules_from_table
from realtime.analysis.stride_metrics import hip_extension_words
from realtime.core.clock import clock
from realtime.core.errors import UserError
from realtime.record.files import OLD_VIDEO_NAME, VIDEO_NAME
from realtime.record.kinds import summary_kind
from realtime.record.store import read_strides, read_summary, started_at, stride_dict
from realtime.report import plots
from realtime.report.facts import (
    Segment,
    StrideFault,
    arch_edge,
    back_lines,
    deg,
    hip_behind,
    humanise,
    lean_segments,
    rolling_median,
    story,
    stride_faults,
    summary_band,
)

if TYPE_CHECKING:
    from realtime.record.store import SessionStore

log = logging.getLogger("ribsdown")

REPORT_NAME = "report.html"
POPULATION_LEAN_DEG = 7.3  # Teng & Powers 2014: trunk lean while running (README)
STILL_HEIGHT = 520
MAX_FAULT_ROWS = 40
HIP_METRICS = {"thigh_extension_deg", "trunk_back_excursion_deg", "extension_coupling"}


@dataclass(frozen=True)
class SessionData:
    """One session folder, read.

    Attributes:
        t, lean: (n,) frame times (s) and trunk lean (°, NaN without a pose), from frames.csv.
        running: (n,) bool, the frame's activity was running.
        strides: strides.csv rows (numbers as floats, `near` as bool).
    """

    folder: Path
    summary: dict[str, Any]
    t: np.ndarray
    lean: np.ndarray
    running: np.ndarray
    strides: list[dict[str, Any]]


@dataclass(frozen=True)
class Trend:
    """The store's view across sessions: (id, started_at, value) per running session."""

    lean: list[tuple[int, str, float]]
    cues_per_min: list[tuple[int, str, float]]
    current_id: int | None


# --------------------------------------------------------------------------- reading


def read_frames(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """frames.csv as (t, lean, running) arrays; empty when the file is absent."""
    path = folder / "frames.csv"
    if not path.is_file():
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    t, lean, running = [], [], []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                t.append(float(row["t"]))
                lean.append(float(row["trunk_lean_deg"]) if row.get("trunk_lean_deg") else math.nan)
                running.append(row.get("activity") == "running")
    except (OSError, UnicodeDecodeError, KeyError, ValueError, csv.Error) as err:
        raise UserError(f"cannot read {path} ({err}) — the session folder is damaged") from err
    return np.array(t), np.array(lean), np.array(running, dtype=bool)


def load_session(folder: Path) -> SessionData:
    """Read a session folder (summary.json, frames.csv, strides.csv)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder — give a session folder, a session id or 'latest'")
    summary = read_summary(folder)
    t, lean, running = read_frames(folder)
    strides = [stride_dict(row) for row in read_strides(folder)]
    return SessionData(folder, summary, t, lean, running, strides)


def _not_yours(summary: dict[str, Any]) -> str:
    """A line saying why this session is not in the trend (the demo, someone else's video)."""
    kind, mine = summary_kind(summary)
    if mine:
        return ""
    if kind == "demo":
        why = "This session is the demo (a drawn runner, not you): it is not part of your trend."
    else:
        why = (f"This session is a {kind} that may be of anyone: it is not part of your trend. "
               "If it is you, analyse it with `ribsdown analyze --mine`.")
    return f'<p class="quiet">{_e(why)}</p>'


def trend_from_store(store: SessionStore, folder: Path) -> Trend:
    """Median lean and cues per minute of each of the user's own running sessions (not the demo,
    not others' videos: `SessionStore.trend`), and this folder's id."""
    resolved = Path(folder).resolve()
    current = next((s.id for s in store.list_sessions() if s.out_dir == resolved), None)
    def points(metric: str) -> list[tuple[int, str, float]]:
        return [(p.session_id, p.started_at, p.value) for p in store.trend(metric)]

    return Trend(points("lean_median"), points("cues_per_min"), current)


# --------------------------------------------------------------------------- stills


def _midstance(stride: dict[str, Any]) -> float:
    end = stride.get("t_toe_off") or stride["t_contact"] + 0.4 * (stride["t_next_contact"] - stride["t_contact"])
    return (stride["t_contact"] + end) / 2.0


def best_and_worst(
    strides: Sequence[dict[str, Any]], faults: Sequence[StrideFault], band: tuple[float, float]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The near-leg strides to show: the best (not at fault, trunk lean closest to the
    running population's +7°, inside the band) and the worst (at fault, furthest out of band)."""
    near = [s for s in strides if s.get("near") and s.get(LEAN_METRIC) is not None]
    bad_ids = {id(f.stride) for f in faults}
    good = [s for s in near if id(s) not in bad_ids]
    target = min(max(POPULATION_LEAN_DEG, band[0]), band[1])
    best = min(good, key=lambda s: abs(s[LEAN_METRIC] - target), default=None)

    def outside(s: dict[str, Any]) -> float:
        v = s[LEAN_METRIC]
        return max(band[0] - v, v - band[1], 0.0)

    worst = max((s for s in near if id(s) in bad_ids), key=outside, default=None)
    return best, worst


def still_jpeg(video: Path, t: float, frame_t: np.ndarray) -> bytes | None:
    """The frame of `video` at session time `t` as JPEG (None when it cannot be read).

    The recording holds one video frame per frames.csv row, in order, so the frame
    number is the row nearest `t`."""
    import cv2

    index = int(np.argmin(np.abs(frame_t - t))) if frame_t.size else 0
    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            return None
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = cap.read()
    finally:
        cap.release()
    if not ok or image is None:
        return None
    scale = STILL_HEIGHT / image.shape[0]
    if scale < 1.0:
        image = cv2.resize(image, (round(image.shape[1] * scale), STILL_HEIGHT), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 82])
    return data.tobytes() if ok else None


def stills_html(data: SessionData, faults: Sequence[StrideFault], band: tuple[float, float]) -> str:
    """The best and worst stride as figures, or "" without a recorded video."""
    video = next((data.folder / name for name in (VIDEO_NAME, OLD_VIDEO_NAME) if (data.folder / name).is_file()), None)
    if video is None:
        return ""
    best, worst = best_and_worst(data.strides, faults, band)
    figures = []
    for label, stride in (("Best stride", best), ("Worst stride", worst)):
        if stride is None:
            continue
        t = _midstance(stride)
        jpeg = still_jpeg(video, t, data.t)
        if jpeg is None:
            continue
        src = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        caption = f"{label} — {clock(t)}, trunk {deg(stride[LEAN_METRIC])} at midstance"
        figures.append(f'<figure><img src="{src}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>')
    if not figures:
        return ""
    return f'<section><h2>Best and worst stride</h2><div class="stills">{"".join(figures)}</div></section>'


# --------------------------------------------------------------------------- the page


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _num(value: Any, fmt: str, unit: str = "") -> str:
    return "—" if value is None else f"{value:{fmt}}{unit}".replace("-", "\u2212")


def _cards(summary: dict[str, Any]) -> str:
    lean = summary.get("trunk_lean_deg") or {}
    hip = hip_behind(summary) or {}
    ran = summary.get("running_s")
    share = (summary.get("good_form") or {}).get("share") if summary.get("running") else None
    items = [
        ("duration", clock(float(summary.get("duration_s") or 0.0))),
        *([("running", clock(float(ran)))] if ran is not None else []),
        ("cadence", _num(summary.get("cadence_spm"), ".0f", " spm")),
        ("trunk lean (median)", deg(lean["median"]) if lean else "—"),
        ("hip extension", hip_extension_words(None if hip.get("median") is None else -hip["median"])),
        *([("strides in good form", f"{share * 100:.0f}%")] if share is not None else []),
        ("cues", str(len(summary.get("cues") or []))),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div></div>' for k, v in items
    ) + "</div>"


def _cue_table(cues: Sequence[dict[str, Any]]) -> str:
    if not cues:
        return '<p class="quiet">No cue was given.</p>'
    rows = "".join(
        f"<tr><td>{clock(c['t'])}</td><td class=\"{'praise' if c.get('id') == PraiseRule.id else 'cue'}\">"
        f"{_e(c['text'])}</td>"
        f"<td>{'spoken' if c.get('spoken', True) else 'not spoken (summary-only)'}</td>"
        f"<td class=\"quiet\">{_e(humanise(c.get('reason') or ''))}</td></tr>"
        for c in cues
    )
    return f"<table><thead><tr><th>time</th><th>cue</th><th></th><th>why</th></tr></thead><tbody>{rows}</tbody></table>"


def _setup_list(setup: Sequence[dict[str, Any]]) -> str:
    if not setup:
        return '<p class="quiet">No camera set-up problems were found.</p>'
    items = "".join(
        f"<li><strong>{_e(w.get('text', w.get('id')))}</strong> — {100 * float(w.get('fraction') or 0):.0f}% of the "
        f"{'frames' if w.get('fraction_of') in (None, 'frames') else _e(w.get('fraction_of'))}, first at "
        f"{clock(float(w.get('first_t') or 0.0))}</li>"
        for w in setup
    )
    return f'<ul class="warnings">{items}</ul>'


def _fault_table(faults: Sequence[StrideFault]) -> str:
    if not faults:
        return '<p class="quiet">No stride was at fault.</p>'
    rows = "".join(
        f"<tr><td>{clock(f.stride['t_contact'])}</td><td>{_e(f.stride['leg'])}</td>"
        f"<td>{_num(f.stride.get(LEAN_METRIC), '+.1f', '°')}</td>"
        f"<td>{_num(f.stride.get('cadence_spm'), '.0f')}</td>"
        f"<td class=\"cue\">{_e(f.cue.text)}</td><td class=\"quiet\">{_e(f.why)}</td></tr>"
        for f in faults[:MAX_FAULT_ROWS]
    )
    more = f'<p class="quiet">… and {len(faults) - MAX_FAULT_ROWS} more.</p>' if len(faults) > MAX_FAULT_ROWS else ""
    head = "<tr><th>time</th><th>leg</th><th>trunk lean</th><th>cadence</th><th>calls for</th><th>why</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>{more}"


def _title(data: SessionData) -> tuple[str, str]:
    source = str(data.summary.get("source") or "")
    name = Path(source).name if source and not source.isdigit() else (f"camera {source}" if source else "session")
    try:
        stamp = datetime.fromisoformat(started_at(data.folder, data.summary)).strftime("%d %b %Y, %H:%M")
    except (ValueError, OSError):
        stamp = data.folder.name
    return f"Run report — {name}", stamp


def session_rules(data: SessionData) -> RuleSet:
    """The cue rules the session ran with (summary.json's `rules`); the shipped rules for a
    session recorded before they were kept, or when they no longer load."""
    table = data.summary.get("rules")
    if table is None:
        return load_rules()
    try:
        return rules_from_table(table, str(data.folder / "summary.json"))
    except UserError as err:
        log.warning("judging the strides with the shipped rules: %s", err)
        return load_rules()


def build_report(data: SessionData, trend: Trend | None = None, rules: RuleSet | None = None) -> str:
    """The report page for `data` (and the trend across sessions, when given), judged with
    `rules` (default: the rules the session ran with)."""
    rules = rules if rules is not None else session_rules(data)
    summary = data.summary
    band = summary_band(summary, rules)
    running = bool(summary.get("running"))  # no running: no stride is judged, none drawn at fault
    faults = stride_faults(data.strides, rules, summary.get("baseline")) if running else []
    judged = judged_strides(data.strides, rules) if running else 0
    use = data.running if data.running.sum() >= 3 * max(summary.get("fps") or 30, 1) else ~np.isnan(data.lean)
    segments: list[Segment] = lean_segments(data.t[use], data.lean[use]) if summary.get("running") else []
    cues = list(summary.get("cues") or [])
    fps = summary.get("fps") or 30.0
    smooth = plots_smooth(data.lean, fps)
    lean_faults = [f for f in faults if LEAN_METRIC in f.cue.metrics and f.stride.get(LEAN_METRIC) is not None]
    lean_svg = plots.lean_plot(
        data.t, data.lean, smooth, band, cues, segments,
        [(_midstance(f.stride), f.stride[LEAN_METRIC]) for f in lean_faults],
    )
    behind = (hip_behind(summary) or {}).get("median")
    hip = None if behind is None else -behind  # the plot takes the thigh's angle and turns it round
    t_range = (float(data.t[0]), float(data.t[-1])) if data.t.size else (0.0, 1.0)
    if data.strides:
        stride_html = plots.hip_plot(data.strides, _flagged(faults, HIP_METRICS), t_range, hip) + plots.cadence_plot(
            data.strides, _flagged(faults, {"cadence_spm"}), t_range, summary.get("cadence_spm")
        )
    else:
        stride_html = '<p class="quiet">No strides were measured: strides are measured only while running.</p>'
    if np.any(~np.isnan(data.lean)):
        lean_html = lean_svg + _cue_table(cues)
    else:
        lean_html = '<p class="quiet">No trunk lean was measured: nobody was found in view.</p>'

    title, subtitle = _title(data)
    paragraphs = "".join(f"<p>{_e(line)}</p>" for line in story(summary, segments, band, faults, judged))
    back_html = "".join(f"<p>{_e(line)}</p>" for line in back_lines(summary.get("rib_cage"), arch_edge(rules), summary_kind(summary)[0]))
    if trend is not None:
        trend_html = plots.trend_plot(trend.lean, trend.cues_per_min, trend.current_id, band)
        if len(trend.lean) <= 1:
            trend_html += '<p class="quiet">The trend fills in as you record more sessions.</p>'
        trend_html += _not_yours(summary)
    else:
        trend_html = '<p class="quiet">No session store was given, so there is no trend.</p>'
    sections = [
        f"<header><h1>{_e(title)}</h1><p class=\"sub\">{_e(subtitle)}</p></header>",
        _cards(summary),
        f'<section class="story"><h2>What happened</h2>{paragraphs}</section>',
        f"<section><h2>Trunk lean</h2>{lean_html}</section>",
        f"<section><h2>Hip extension and cadence</h2>{stride_html}</section>",
        f"<section><h2>Strides at fault</h2>{_fault_table(faults)}</section>",
        f"<section><h2>Your back</h2>{back_html}</section>",
        stills_html(data, faults, band),
        f"<section><h2>Camera set-up</h2>{_setup_list(summary.get('setup') or [])}</section>",
        f"<section><h2>Across your sessions</h2>{trend_html}</section>",
        f'<footer>ribsdown · {_e(data.folder)}</footer>',
    ]
    body = "\n".join(s for s in sections if s)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n</main></body></html>\n"
    )


def _flagged(faults: Sequence[StrideFault], metrics: set[str]) -> set[int]:
    """The strides (by id()) at fault on a cue that reads any of `metrics`."""
    return {id(f.stride) for f in faults if f.cue.metrics & metrics}


def plots_smooth(lean: np.ndarray, fps: float) -> np.ndarray:
    """The 1 s running median of the per-frame lean (NaN where there is none)."""
    smooth = rolling_median(lean, max(round(fps), 1))
    smooth[np.isnan(lean)] = np.nan
    return smooth


def write_report(folder: Path, store: SessionStore | None = None, rules: RuleSet | None = None) -> Path:
    """Write `report.html` into the session folder (the trend from `store`); its path."""
    data = load_session(folder)
    trend = trend_from_store(store, data.folder) if store is not None else None
    page = build_report(data, trend, rules)
    path = data.folder / REPORT_NAME
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")  # a full disk leaves no truncated report
    try:
        partial.write_text(page, encoding="utf-8")
        os.replace(partial, path)
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror} — free some space or check the folder's "
                        "permissions") from err
    finally:
        partial.unlink(missing_ok=True)
    return path


CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#d9480f; --calm:#1c6fd1; --bg:#fbfbfa; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 16px/1.55 "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 28px 48px; }
header h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -0.01em; }
.sub { color: var(--muted); margin: 0 0 20px; }
h2 { font-size: 18px; margin: 0 0 10px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 16px 0; }
.story p { margin: 0 0 8px; font-size: 17px; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:10px 14px; }
.card .k { color: var(--muted); font-size: 13px; }
.card .v { font-size: 22px; font-weight: 600; }
svg.plot { width: 100%; height: auto; display: block; margin: 4px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 4px 8px; }
td { border-bottom: 1px solid #f0f2f4; padding: 4px 8px; vertical-align: top; }
td.cue { color: var(--accent); font-weight: 600; }
td.praise { color: var(--calm); font-weight: 600; }
.quiet { color: var(--muted); }
.warnings li { margin: 4px 0; }
.stills { display: flex; gap: 16px; flex-wrap: wrap; }
.stills figure { margin: 0; }
.stills img { height: 440px; border-radius: 6px; display: block; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 4px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
"""
