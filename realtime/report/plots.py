"""The report's plots, drawn with matplotlib and returned as inline SVG text.

Each function builds its own `matplotlib.figure.Figure` (no pyplot, no backend switch,
no global state) and returns `<svg …>…</svg>`. Calm styling: dark grey for the data,
one accent colour for what needs attention (cues, strides at fault, this session), a
faint green for the good band, text left as text so the page's font is used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from cues.rules import PraiseRule
from realtime.core.clock import clock
from realtime.report.facts import Segment, band_text, deg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INK = "#1f2933"
MUTED = "#9aa5b1"
FAINT = "#cfd6dd"
ACCENT = "#d9480f"
#: Praise, in the calm blue the screen gives it.
CALM = "#1c6fd1"
PAST = "#7b8794"
BAND = "#e3f1e7"
BAND_EDGE = "#9ccaa9"
FONT = ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"]
WIDTH_IN = 9.6
MIN_TREND_SLOTS = 6  # the trend's x axis holds at least this many sessions, so one is not a wall

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "ribsdown",
    "font.family": "sans-serif",
    "font.sans-serif": FONT,
    "font.size": 10.5,
    "axes.edgecolor": FAINT,
    "axes.labelcolor": INK,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#eef0f3",
    "grid.linewidth": 0.8,
    "xtick.color": "#52606d",
    "ytick.color": "#52606d",
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 9.5,
}


@contextmanager
def _styled() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


def _figure(height_in: float, ncols: int = 1) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), layout="constrained")
    return fig, fig.subplots(1, ncols)


def to_svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline `<svg>` element (no XML prolog, no metadata), its ids
    prefixed with `prefix` so several plots can share one page."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'(url\(#|href="#)', rf"\1{prefix}-", text)
    return re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1class="plot"', text, count=1)


def _legend(ax: Axes) -> None:
    """The legend above the plot on the right, level with the title."""
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=5, borderaxespad=0.1, handlelength=1.6)


def time_step(span_s: float, max_ticks: int = 10) -> float:
    """A round tick step (s) giving at most `max_ticks` ticks over `span_s`."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span_s / step <= max_ticks:
            return float(step)
    return 7200.0


def _time_axis(ax: Axes, t_range: tuple[float, float]) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    ax.set_xlim(*t_range)
    ax.xaxis.set_major_locator(MultipleLocator(time_step(t_range[1] - t_range[0])))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock(x)))
    ax.set_xlabel("time (m:ss)")


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color=MUTED)
    ax.set_xticks([])
    ax.set_yticks([])


def lean_plot(
    t: np.ndarray,
    lean: np.ndarray,
    smooth: np.ndarray,
    band: tuple[float, float],
    cues: Sequence[dict[str, Any]],
    segments: Sequence[Segment] = (),
    faults: Sequence[tuple[float, float]] = (),
) -> str:
    """Trunk lean over time: every frame (faint), its 1 s median, the good band, the
    steady stretches' levels, strides at fault, and a labelled line at each cue.

    Args:
        t, lean, smooth: (n,) frame times (s), trunk lean and its running median (°, NaN gaps).
        faults: (time, lean at midstance) of each stride at fault.
    """
    with _styled():
        fig, ax = _figure(4.0)
        ax.set_title("Trunk lean over time")
        if not np.any(~np.isnan(lean)):
            _empty(ax, "no trunk lean measured (nobody in view)")
            return to_svg(fig, "lean")
        ax.axhspan(band[0], band[1], color=BAND, lw=0, zorder=0, label=f"good band {band_text(band)}")
        ax.axhline(band[0], color=BAND_EDGE, lw=0.8, zorder=1)
        ax.plot(t, lean, color=FAINT, lw=0.7, zorder=2, label="each frame")
        ax.plot(t, smooth, color=INK, lw=1.8, zorder=3, label="1 s median")
        for seg in segments:
            ax.plot([seg.t0, seg.t1], [seg.median, seg.median], color=INK, lw=0.9, ls=(0, (4, 3)), zorder=3)
            ax.annotate(deg(seg.median), xy=((seg.t0 + seg.t1) / 2, seg.median), xytext=(0, -13),
                        textcoords="offset points", ha="center", va="top", color=INK, fontweight="bold",
                        fontsize=10, zorder=5)
        if faults:
            ft, fl = zip(*faults)
            ax.scatter(ft, fl, s=16, color=ACCENT, zorder=4, label="stride at fault", linewidths=0)
        lo = min(np.nanmin(lean), band[0]) - 2.0
        hi = max(np.nanmax(lean), min(band[1], np.nanmax(lean) + 6.0)) + 4.0
        ax.set_ylim(lo, hi)
        span = t[-1] - t[0] or 1.0
        last_t: float | None = None
        level = 0
        for cue in cues:
            ct = float(cue["t"])
            level = level + 1 if last_t is not None and ct - last_t < 0.3 * span else 0
            last_t = ct
            colour = CALM if cue.get("id") == PraiseRule.id else ACCENT  # praise is no fault
            ax.axvline(ct, color=colour, lw=1.4, zorder=4)
            right = ct > t[0] + 0.7 * span
            ax.annotate(f"{clock(ct)} \u201c{cue['text']}\u201d", xy=(ct, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(-5 if right else 5, -4 - 14 * (level % 3)), textcoords="offset points",
                        ha="right" if right else "left", va="top", color=colour, fontsize=10, fontweight="bold",
                        zorder=6, bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        ax.set_ylabel("trunk lean (°, + forward)")
        _time_axis(ax, (float(t[0]), float(t[-1])))
        _legend(ax)
        return to_svg(fig, "lean")


def _stride_plot(
    prefix: str,
    title: str,
    ylabel: str,
    strides: Sequence[dict[str, Any]],
    value: Any,
    flagged: set[int],
    t_range: tuple[float, float],
    reference: float | None = None,
    reference_label: str = "",
    show_far: bool = False,
) -> str:
    """One value per stride over time: the near leg (dots and line), the far leg (faint,
    optional), strides at fault in the accent colour, an optional reference line."""
    with _styled():
        fig, ax = _figure(2.7)
        ax.set_title(title)
        near = [(s["t_contact"], value(s), id(s) in flagged) for s in strides if s.get("near") and value(s) is not None]
        far = [(s["t_contact"], value(s)) for s in strides if not s.get("near") and value(s) is not None]
        if not near and not far:
            _empty(ax, "no strides measured")
            return to_svg(fig, prefix)
        if show_far and far:
            ax.scatter(*zip(*far), s=12, facecolors="none", edgecolors=MUTED, linewidths=0.8, label="far leg", zorder=2)
        if near:
            nt, nv, bad = zip(*near)
            ax.plot(nt, nv, color=INK, lw=1.0, zorder=2)
            ax.scatter(nt, nv, s=14, color=INK, zorder=3, label="near leg", linewidths=0)
            bt = [x for x, b in zip(nt, bad) if b]
            if bt:
                ax.scatter(bt, [v for v, b in zip(nv, bad) if b], s=30, color=ACCENT, zorder=4,
                           label="stride at fault", linewidths=0)
        if reference is not None:
            ax.axhline(reference, color=MUTED, lw=1.0, ls=(0, (4, 3)), zorder=1, label=reference_label)
        ax.set_ylabel(ylabel)
        _time_axis(ax, t_range)
        _legend(ax)
        return to_svg(fig, prefix)


def hip_plot(
    strides: Sequence[dict[str, Any]], flagged: set[int], t_range: tuple[float, float], median: float | None = None
) -> str:
    """Hip extension per stride: how far the thigh goes behind vertical at toe-off
    (`flagged`: id() of the strides at fault; `t_range`: the session's time axis, s)."""
    def behind(s: dict[str, Any]) -> float | None:
        v = s.get("thigh_extension_deg")
        return None if v is None else -v

    return _stride_plot(
        "hip", "Hip extension per stride", "thigh behind vertical (°)", strides, behind, flagged, t_range,
        None if median is None else -median, "session median",
    )


def cadence_plot(
    strides: Sequence[dict[str, Any]], flagged: set[int], t_range: tuple[float, float], median: float | None = None
) -> str:
    """Cadence per stride (steps/min, both feet), near leg and far leg."""
    return _stride_plot(
        "cadence", "Cadence per stride", "steps/min", strides, lambda s: s.get("cadence_spm"), flagged, t_range,
        median, "session median", show_far=True,
    )


def session_labels(points: Sequence[tuple[int, str, float]]) -> list[str]:
    """Tick labels for sessions: the date (and time when a day has several), or the id
    when there are too many to read."""
    if len(points) > 12:
        return [f"#{p[0]}" if i % max(len(points) // 8, 1) == 0 else "" for i, p in enumerate(points)]
    labels, last_day = [], None
    for p in points:
        try:
            when = datetime.fromisoformat(p[1])
        except ValueError:
            labels.append(f"#{p[0]}")
            continue
        day = f"{when.day} {when:%b}"
        labels.append(f"{day}\n{when:%H:%M}" if day != last_day else f"{when:%H:%M}")
        last_day = day
    return labels


def trend_plot(
    lean: Sequence[tuple[int, str, float]],
    cues_per_min: Sequence[tuple[int, str, float]],
    current_id: int | None,
    band: tuple[float, float],
) -> str:
    """Across sessions: median trunk lean and cues per minute, this session in the accent.

    Args:
        lean, cues_per_min: (session id, started_at ISO, value) per session, oldest first.
    """
    with _styled():
        fig, (left, right) = _figure(2.8, ncols=2)
        for ax, points, title, ylabel in (
            (left, lean, "Median trunk lean per session", "trunk lean (°)"),
            (right, cues_per_min, "Cues per minute per session", "cues / min"),
        ):
            ax.set_title(title)
            if not points:
                _empty(ax, "no running sessions stored yet")
                continue
            x = np.arange(len(points))
            values = [p[2] for p in points]
            colours = [ACCENT if p[0] == current_id else PAST for p in points]
            if ax is left:
                ax.axhspan(band[0], band[1], color=BAND, lw=0, zorder=0)
                ax.axhline(band[0], color=BAND_EDGE, lw=0.8, zorder=1)
                ax.plot(x, values, color=MUTED, lw=1.0, zorder=2)
                ax.scatter(x, values, s=30, color=colours, zorder=3, linewidths=0)
                ax.set_ylim(min(min(values), band[0]) - 3, max(max(values), band[0] + 8) + 3)
            else:
                ax.bar(x, values, width=0.6, color=colours, zorder=2)
                for xi, v in zip(x, values):
                    ax.annotate(f"{v:.1f}", xy=(xi, v), xytext=(0, 3), textcoords="offset points",
                                ha="center", va="bottom", fontsize=9, color=INK)
                ax.set_ylim(0, max(max(values) * 1.25, 1.0))
            ax.set_xticks(x, session_labels(points), fontsize=9)
            ax.set_xlim(-0.6, max(len(points), MIN_TREND_SLOTS) - 0.4)
            ax.set_ylabel(ylabel)
        return to_svg(fig, "trend")
