"""Charts as inline SVG strings, drawn with matplotlib.

SVG rather than PNG because it stays sharp on any screen and on paper, needs no JavaScript and
works offline. Every chart is built on its own :class:`~matplotlib.figure.Figure` – never through
``pyplot`` – so that a web server can draw charts in several threads without sharing state.

The SVG is made fit for inlining in an HTML page:

* text stays text (``svg.fonttype = "none"``): smaller files, selectable and searchable labels,
  and translated labels need no font embedding;
* output is deterministic (fixed ``svg.hashsalt``, no date in the metadata), so the same data
  always gives the same bytes – reports can be cached and compared;
* the XML prolog and doctype are stripped, element ids get a prefix derived from the chart's
  content so that several charts on one page never clash, and the stylesheet matplotlib emits
  is scoped to the chart;
* the root carries ``role="img"``, an ``aria-label`` and a ``<title>`` for screen readers, and
  scales with its container (``width:100%``, capped at its natural size) for phones.

Colours are colourblind-safe: Paul Tol's "bright" scheme for categories and the red–blue
diverging map ``RdBu`` for effects (red disempowering, blue empowering).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import textwrap
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import Normalize
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

#: Paul Tol's "bright" qualitative scheme (distinguishable with common colour blindness).
PALETTE = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
#: Marker per instrument version in trajectories, so a change of version is visible.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
MISSING_COLOUR = "#d9d9d9"
DIVERGING_MAP = "RdBu"
#: Narrow on purpose: the chart is scaled down to a phone's width, and text shrinks with it.
WIDTH_INCHES = 5.0

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "empower",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "axes.titleweight": "bold",
}
#: rcParams are global in matplotlib; the lock keeps one chart's settings from leaking into
#: another thread's chart while it is being drawn.
_LOCK = threading.RLock()


# --------------------------------------------------------------------------------------------
# shared plumbing


@contextmanager
def _chart_style() -> Iterator[None]:
    with _LOCK, matplotlib.rc_context(_RC):
        yield


def _plain(text: object) -> str:
    """Escape ``$`` so user text is never parsed as mathtext (it would garble or raise)."""
    return str(text).replace("$", r"\$")


def _wrap(text: object, width: int) -> str:
    return "\n".join(textwrap.wrap(_plain(text), width)) or _plain(text)


def _label(key: object, labels: Mapping[str, str] | None) -> str:
    return str((labels or {}).get(str(key), key))


def _signed(value: float) -> str:
    """One decimal with a true minus sign; −0.0 shows as 0.0."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def _no_data(ax: Axes, message: str = "No data") -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")


_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="([\d.]+)pt"')
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _inline(svg: str, title: str) -> str:
    """Turn matplotlib's SVG document into an accessible, self-contained inline element."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    prefix = "c" + hashlib.sha1(svg.encode()).hexdigest()[:8] + "-"
    svg = _IDS.sub(lambda m: m.group(1) + prefix + m.group(2), svg)
    svg = svg.replace('<style type="text/css">*{', '<style type="text/css">svg.empower-chart *{')
    root = _ROOT.search(svg)
    assert root is not None  # matplotlib always writes one
    sizes = dict(_SIZE.findall(root.group(0)))
    attributes = (
        f' class="empower-chart" role="img" aria-label={quoteattr(title)}'
        f' style="width:100%;max-width:{sizes.get("width", "432")}pt;height:auto"'
    )
    opening = _SIZE.sub("", root.group(0))[:-1] + attributes + ">"
    return opening + f"\n <title>{escape(title)}</title>" + svg[root.end() :]


def _to_svg(fig: Figure, title: str) -> str:
    FigureCanvasSVG(fig)
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Bengali or Burmese labels: matplotlib measures them with a font that lacks those
        # glyphs and says so. The text is written as text (svg.fonttype "none") and the
        # browser draws it with the reader's own fonts, so the warning is expected.
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        fig.savefig(buffer, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), title)


# --------------------------------------------------------------------------------------------
# bar chart


def bar_chart_svg(counts: Sequence[tuple[str, int]], title: str, xlabel: str = "") -> str:
    """Horizontal bars, one per category in the given order, with the count at each bar's end.

    Horizontal because category labels (destinations, statuses) are long and stay readable
    on a narrow phone screen; the count is written out so nobody has to read it off an axis.

    Examples
    --------
    >>> svg = bar_chart_svg([("Thailand", 28), ("China", 24)], "Destination")
    >>> svg.startswith("<svg") and ">Thailand<" in svg and ">28<" in svg
    True
    """
    with _chart_style():
        fig = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.4 * max(len(counts), 1)))
        ax = fig.add_subplot()
        ax.set_title(_plain(title))
        if not counts:
            _no_data(ax)
            return _to_svg(fig, title)
        positions = np.arange(len(counts))
        values = [int(count) for _, count in counts]
        bars = ax.barh(positions, values, color=PALETTE[0], height=0.7)
        ax.set_yticks(positions, [_wrap(label, 28) for label, _ in counts])
        ax.invert_yaxis()
        ax.bar_label(bars, labels=[str(v) for v in values], padding=3)
        ax.set_xlim(0, max(max(values) * 1.15, 1))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(_plain(xlabel))
        return _to_svg(fig, title)


# --------------------------------------------------------------------------------------------
# heat map


def _cell_text(value: float, n: object) -> str:
    mean = "\u2013" if np.isnan(value) else _signed(value)
    return mean if n is None else f"{mean}\nn={n}"


def _annotate_cells(
    ax: Axes, values: np.ndarray, counts: np.ndarray | None, norm: Normalize
) -> None:
    for (row, col), value in np.ndenumerate(values):
        n = None if counts is None else _count_text(counts[row, col])
        strong = not np.isnan(value) and abs(float(norm(value)) - 0.5) > 0.3
        ax.text(
            col + 0.5,
            row + 0.5,
            _cell_text(value, n),
            ha="center",
            va="center",
            fontsize=10,
            color="white" if strong else "#222222",
        )


def _count_text(value: object) -> str:
    return "\u2013" if pd.isna(value) else str(int(value))  # type: ignore[call-overload]


def heatmap_svg(
    matrix: pd.DataFrame,
    title: str,
    row_labels: Mapping[str, str] | None = None,
    col_labels: Mapping[str, str] | None = None,
    vmin: float = -2,
    vmax: float = 2,
    annotations: pd.DataFrame | None = None,
) -> str:
    """Heat map of a factor × axis matrix of mean effects on a diverging red–blue scale.

    Red cells are disempowering, blue empowering, white no effect; cells without data are
    grey with "–" so that "no data" is never mistaken for "no effect". Each cell shows its
    value with one decimal and, when ``annotations`` (a frame of counts shaped like
    ``matrix``) is given, the number of answers it rests on.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Rows are factors, columns axes (by id), values the mean effect or NaN.
    row_labels, col_labels : mapping, optional
        Display label per row / column id; ids without a label are shown as they are.
    vmin, vmax : float
        Ends of the colour scale (the effect scale is −2 … +2).
    annotations : pandas.DataFrame, optional
        ``n`` per cell, aligned to ``matrix`` by index and columns.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"inner_peace": [1.5]}, index=["family"])
    >>> ">1.5<" in heatmap_svg(m, "Effects")
    True
    """
    with _chart_style():
        rows, cols = matrix.shape
        fig = Figure(figsize=(1.5 + 1.25 * max(cols, 1), 1.6 + 0.62 * max(rows, 1)))
        ax = fig.add_subplot()
        ax.set_title(_plain(title), pad=12)
        if not rows or not cols:
            _no_data(ax)
            return _to_svg(fig, title)
        values = matrix.to_numpy(dtype=float)
        norm = Normalize(vmin=vmin, vmax=vmax)
        cmap = matplotlib.colormaps[DIVERGING_MAP].with_extremes(bad=MISSING_COLOUR)
        mesh = ax.pcolormesh(
            np.ma.masked_invalid(values), cmap=cmap, norm=norm, edgecolors="white", linewidth=2
        )
        counts = None
        if annotations is not None:
            aligned = annotations.reindex(index=matrix.index, columns=matrix.columns)
            counts = aligned.to_numpy(dtype=object)
        _annotate_cells(ax, values, counts, norm)
        ax.set_xticks(
            np.arange(cols) + 0.5, [_wrap(_label(c, col_labels), 16) for c in matrix.columns]
        )
        ax.set_yticks(
            np.arange(rows) + 0.5, [_wrap(_label(r, row_labels), 30) for r in matrix.index]
        )
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.invert_yaxis()
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(mesh, ax=ax, orientation="horizontal", shrink=0.6, pad=0.04, aspect=30)
        bar.set_label("mean effect (\u2212 disempowering, + empowering)")
        return _to_svg(fig, title)


# --------------------------------------------------------------------------------------------
# trajectory


def _as_datetimes(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.Series([pd.Timestamp(d) for d in dates], index=dates.index))


def _single_date_limits(ax: Axes, dates: pd.Series) -> None:
    """A lone date gives a zero-width axis; show a month either side instead."""
    if dates.nunique() == 1:
        day = dates.iloc[0]
        ax.set_xlim(day - dt.timedelta(days=30), day + dt.timedelta(days=30))


def _trajectory_legend(
    ax: Axes, axes: list[str], instruments: list[str], axis_labels: Mapping[str, str] | None
) -> None:
    handles = [
        Line2D([], [], color=PALETTE[i % len(PALETTE)], label=_wrap(_label(a, axis_labels), 40))
        for i, a in enumerate(axes)
    ] + [
        Line2D(
            [],
            [],
            color="#555555",
            marker=MARKERS[j % len(MARKERS)],
            linestyle="none",
            label=_plain(instrument),
        )
        for j, instrument in enumerate(instruments)
    ]
    ax.figure.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, fontsize=9)


def trajectory_svg(
    points: pd.DataFrame, title: str, axis_labels: Mapping[str, str] | None = None,
    bands: Mapping[str, float] | None = None,
) -> str:
    """One participant's (or a group's) axis scores over time: a line per axis.

    The marker shape says which instrument version produced each point, so a jump that
    coincides with a change of version can be read as such rather than as real change.

    Parameters
    ----------
    points : pandas.DataFrame
        Columns ``date`` (date or datetime), ``axis``, ``score`` (0–100; NaN points are
        skipped) and ``instrument`` (a key such as ``"four_axis v2"``).
    axis_labels : mapping, optional
        Display label per axis id.
    bands : mapping, optional
        Half-width of the reliable-change band per axis (1.96 · S_diff, on the 0–100 scale):
        a shaded band of that half-width around the axis's first score. A later point outside
        the band is a reliable change; inside it, the change could be measurement error.

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> p = pd.DataFrame({"date": [datetime.date(2024, 5, 1)], "axis": ["inner_peace"],
    ...                   "score": [60.0], "instrument": ["four_axis v2"]})
    >>> trajectory_svg(p, "Scores over time").startswith("<svg")
    True
    """
    with _chart_style():
        fig = Figure(figsize=(WIDTH_INCHES, 3.6), layout="constrained")
        ax = fig.add_subplot()
        ax.set_title(_plain(title))
        frame = points.dropna(subset=["score"])
        if frame.empty:
            _no_data(ax, "No scores yet")
            return _to_svg(fig, title)
        frame = frame.assign(date=_as_datetimes(frame["date"])).sort_values("date", kind="stable")
        axes = list(dict.fromkeys(frame["axis"].astype(str)))
        instruments = list(dict.fromkeys(frame["instrument"].astype(str)))
        for i, axis in enumerate(axes):
            rows = frame[frame["axis"].astype(str) == axis]
            colour = PALETTE[i % len(PALETTE)]
            if bands and axis in bands and len(rows) > 1:
                first = float(rows["score"].iloc[0])
                ax.fill_between(
                    [rows["date"].iloc[0], rows["date"].iloc[-1]],
                    max(0.0, first - bands[axis]), min(100.0, first + bands[axis]),
                    color=colour, alpha=0.12, linewidth=0,
                )
            ax.plot(rows["date"], rows["score"], color=colour, linewidth=1.5)
            for j, instrument in enumerate(instruments):
                own = rows[rows["instrument"].astype(str) == instrument]
                ax.plot(
                    own["date"],
                    own["score"],
                    linestyle="none",
                    color=colour,
                    marker=MARKERS[j % len(MARKERS)],
                    markersize=7,
                )
        ax.set_ylim(0, 100)
        ax.set_ylabel("score (0\u2013100)")
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        _single_date_limits(ax, frame["date"])
        _trajectory_legend(ax, axes, instruments, axis_labels)
        return _to_svg(fig, title)


# --------------------------------------------------------------------------------------------
# axis scores


def _n_text(counts: pd.Series) -> str:
    known = pd.to_numeric(counts, errors="coerce").dropna()
    if known.empty:  # counts suppressed or unknown
        return "n = \u2013"
    low, high = int(known.min()), int(known.max())
    return f"n = {low}" if low == high else f"n = {low}\u2013{high}"


def _score_bars(ax: Axes, rows: pd.DataFrame, x: np.ndarray, width: float, colour: str) -> None:
    means = rows["mean"].astype(float).to_numpy()
    sds = rows["sd"].astype(float).to_numpy() if "sd" in rows else np.full(len(rows), np.nan)
    shown, spread = ~np.isnan(means), ~np.isnan(means) & ~np.isnan(sds)
    ax.bar(x[shown], means[shown], width=width, color=colour)
    ax.errorbar(
        x[spread],
        means[spread],
        yerr=sds[spread],
        fmt="none",
        ecolor="#333333",
        capsize=3,
        elinewidth=1,
    )
    tops = np.where(spread, means + np.nan_to_num(sds), means)
    for xi, mean, top in zip(x[shown], means[shown], tops[shown], strict=True):
        ax.text(xi, min(top, 100) + 2, f"{mean:.1f}", ha="center", va="bottom", fontsize=9)


def axis_scores_svg(
    summary: pd.DataFrame, title: str, axis_labels: Mapping[str, str] | None = None
) -> str:
    """Grouped bars of the mean 0–100 score per axis, one bar per instrument version.

    Versions sit side by side rather than pooled because they asked different questions;
    the legend gives how many participants each version's bars rest on, error bars show
    ±1 standard deviation where one exists (n ≥ 2).

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`empower.metrics.cohort.axis_summary`: columns ``instrument_id``,
        ``instrument_version``, ``axis``, ``n``, ``mean`` and ``sd``.
    axis_labels : mapping, optional
        Display label per axis id.
    """
    with _chart_style():
        axes = list(dict.fromkeys(summary["axis"]))
        fig = Figure(figsize=(max(WIDTH_INCHES, 1 + 1.3 * len(axes)), 3.8), layout="constrained")
        ax = fig.add_subplot()
        ax.set_title(_plain(title))
        if summary.empty:
            _no_data(ax)
            return _to_svg(fig, title)
        position = {axis: i for i, axis in enumerate(axes)}
        pairs = zip(summary["instrument_id"], summary["instrument_version"], strict=True)
        versions = list(dict.fromkeys(pairs))
        width, legend = 0.8 / len(versions), []
        for k, (instrument, version) in enumerate(versions):
            mask = (summary["instrument_id"] == instrument) & (
                summary["instrument_version"] == version
            )
            rows = summary[mask]
            x = rows["axis"].map(position).to_numpy(dtype=float) - 0.4 + width * (k + 0.5)
            _score_bars(ax, rows, x, width, PALETTE[k % len(PALETTE)])
            legend.append(
                Patch(
                    color=PALETTE[k % len(PALETTE)],
                    label=_plain(f"{instrument} v{version} ({_n_text(rows['n'])})"),
                )
            )
        ax.set_xticks(
            np.arange(len(axes)), [_wrap(_label(a, axis_labels), 14) for a in axes], fontsize=10
        )
        ax.set_ylim(0, 112)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("mean score (0\u2013100)")
        fig.legend(handles=legend, loc="outside lower center", ncol=2, frameon=False, fontsize=9)
        return _to_svg(fig, title)


# --------------------------------------------------------------------------------------------
# change over time

CHANGE_COLOURS = {"reliably_improved": "#1b7837", "no_reliable_change": "#bdbdbd",
                  "reliably_deteriorated": "#b2182b"}
CHANGE_LABELS = {"reliably_improved": "Reliably improved",
                 "no_reliable_change": "No reliable change",
                 "reliably_deteriorated": "Reliably deteriorated"}


def change_shares_svg(
    rows: Sequence[Mapping[str, object]], title: str, axis_labels: Mapping[str, str] | None = None
) -> str:
    """One horizontal bar per axis split into the shares reliably improved, unchanged and
    reliably deteriorated (each row as from ``empower.metrics.change.cohort_change_summary``).

    Rows whose shares were withheld (small groups) are left out rather than drawn as zero.

    Examples
    --------
    >>> svg = change_shares_svg([{"axis": "healing", "reliably_improved_share": 0.5,
    ...     "no_reliable_change_share": 0.4, "reliably_deteriorated_share": 0.1}], "Change")
    >>> ">50 %<" in svg
    True
    """
    shown = [r for r in rows if all(r.get(f"{k}_share") is not None for k in CHANGE_COLOURS)]
    with _chart_style():
        fig = Figure(figsize=(WIDTH_INCHES, 1.4 + 0.5 * max(len(shown), 1)))
        ax = fig.add_subplot()
        ax.set_title(_plain(title))
        if not shown:
            _no_data(ax, "Too few people with follow-ups to show")
            return _to_svg(fig, title)
        positions = np.arange(len(shown))
        left = np.zeros(len(shown))
        for key, colour in CHANGE_COLOURS.items():
            shares = np.array([float(r[f"{key}_share"]) for r in shown])  # type: ignore[arg-type]
            bars = ax.barh(positions, shares, left=left, color=colour, height=0.6,
                           label=CHANGE_LABELS[key])
            ax.bar_label(bars, labels=[f"{round(100 * s)} %" if s >= 0.08 else "" for s in shares],
                         label_type="center", color="white" if key != "no_reliable_change"
                         else "#222222", fontsize=8)
            left += shares
        ax.set_yticks(positions, [_wrap(_label(r["axis"], axis_labels), 24) for r in shown])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25 %", "50 %", "75 %", "100 %"])
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False,
                  fontsize=8)
        return _to_svg(fig, title)


def improvement_curve_svg(
    curves: Mapping[str, Mapping[str, Sequence[float]]], title: str,
    axis_labels: Mapping[str, str] | None = None,
) -> str:
    """Kaplan–Meier curves of the share reliably improved (1 − S(t)) against days since the
    first assessment, one step line per axis. ``curves`` maps an axis to ``{"timeline": days,
    "survival": S(t) just after each day}``, as in ``empower.metrics.change.KMResult``.

    Examples
    --------
    >>> svg = improvement_curve_svg({"healing": {"timeline": [30, 60], "survival": [0.5, 0.25]}},
    ...                             "Time to improvement")
    >>> svg.startswith("<svg") and "healing" in svg
    True
    """
    with _chart_style():
        fig = Figure(figsize=(WIDTH_INCHES, 3.4), layout="constrained")
        ax = fig.add_subplot()
        ax.set_title(_plain(title))
        drawn = [(axis, c) for axis, c in curves.items() if len(c.get("timeline", [])) > 0]
        if not drawn:
            _no_data(ax, "No follow-ups yet")
            return _to_svg(fig, title)
        for i, (axis, curve) in enumerate(drawn):
            days = [0.0, *[float(d) for d in curve["timeline"]]]
            improved = [0.0, *[1.0 - float(s) for s in curve["survival"]]]
            ax.step(days, improved, where="post", color=PALETTE[i % len(PALETTE)],
                    label=_wrap(_label(axis, axis_labels), 28), linewidth=1.6)
        ax.set_ylim(0, 1)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0", "25 %", "50 %", "75 %", "100 %"])
        ax.set_xlabel("days since the first assessment")
        ax.set_ylabel("reliably improved")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
        return _to_svg(fig, title)


def cohort_trajectory_svg(
    rows: Sequence[Mapping[str, object]], title: str,
    axis_labels: Mapping[str, str] | None = None,
) -> str:
    """Mean score per axis against days since the first assessment (rows with ``axis``,
    ``days``, ``n``, ``mean``; a ``mean`` of None — a withheld small group — is a gap)."""
    with _chart_style():
        fig = Figure(figsize=(WIDTH_INCHES, 3.4), layout="constrained")
        ax = fig.add_subplot()
        ax.set_title(_plain(title))
        frame = pd.DataFrame(list(rows), columns=["axis", "days", "n", "mean"])
        if frame["mean"].dropna().empty:
            _no_data(ax, "No follow-ups yet")
            return _to_svg(fig, title)
        for i, (axis, group) in enumerate(frame.groupby("axis", sort=False)):
            ax.plot(group["days"], pd.to_numeric(group["mean"], errors="coerce"), marker="o",
                    color=PALETTE[i % len(PALETTE)], label=_wrap(_label(axis, axis_labels), 28))
        ax.set_ylim(0, 100)
        ax.set_xlabel("days since the first assessment")
        ax.set_ylabel("mean score (0\u2013100)")
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        return _to_svg(fig, title)
