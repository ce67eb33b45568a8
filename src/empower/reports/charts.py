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
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import Normalize
from matplotlib.dates import MONTHLY, AutoDateLocator, ConciseDateFormatter
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
#: Narrow on purpose: on a phone the chart is scaled down to the screen's width (328 CSS px
#: at 360 px wide) and its text shrinks with it. At 4 in (384 CSS px) the scale is about 0.85,
#: so text set at :data:`SMALLEST_FONT` points still shows at about 11 CSS px.
WIDTH_INCHES = 4.0
#: The smallest text in any chart, in points (tick labels, legends, values on bars and cells).
SMALLEST_FONT = 10.0
#: Characters per line of a chart's title (12 pt bold) at :data:`WIDTH_INCHES`.
TITLE_WIDTH = 36

#: Fonts for the interface's other scripts. Where installed they are used to measure Bengali
#: and Burmese labels, which DejaVu Sans lacks and would measure as rows of wide boxes, so
#: the layout leaves them the room the browser will really need.
SCRIPT_FONTS = ("Noto Sans Bengali", "Noto Sans Myanmar")
_INSTALLED = {font.name for font in font_manager.fontManager.ttflist}

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "empower",
    "font.family": ["DejaVu Sans", *(f for f in SCRIPT_FONTS if f in _INSTALLED), "sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 10.5,
    "xtick.labelsize": SMALLEST_FONT,
    "ytick.labelsize": SMALLEST_FONT,
    "legend.fontsize": SMALLEST_FONT,
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
    """Break text into lines of about ``width`` characters, between words only."""
    lines = textwrap.wrap(_plain(text), width, break_long_words=False)
    return "\n".join(lines) or _plain(text)


def _title(fig: Figure, title: str) -> None:
    """The chart's title at the figure's left edge (not the plot's, which long labels push to
    the right), wrapped so that it never runs past the chart's right edge."""
    fig.suptitle(_wrap(title, TITLE_WIDTH), x=0.01, ha="left", fontsize=12,
                 fontweight="bold")


def _label(key: object, labels: Mapping[str, str] | None) -> str:
    return str((labels or {}).get(str(key), key))


def _signed(value: float) -> str:
    """One decimal with a true minus sign; −0.0 shows as 0.0."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def _with_sign(value: float) -> str:
    """A whole number on the effect scale with its sign written out: −2, −1, 0, +1, +2."""
    number = round(float(value))
    return f"+{number}" if number > 0 else str(number).replace("-", "\u2212")


def _no_data(ax: Axes, message: str = "No data") -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")


def _legend_below(fig: Figure, handles: Sequence[Any], ncol: int = 1) -> None:
    """A legend under the plot, inside the figure, so that it never covers a line or a bar and
    never runs past the chart's edge on a narrow screen."""
    fig.legend(handles=handles, loc="outside lower left", ncol=ncol, frameon=False,
               alignment="left")


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
        f' style="width:100%;max-width:{sizes.get("width", "288")}pt;height:auto"'
    )
    opening = _SIZE.sub("", root.group(0))[:-1] + attributes + ">"
    return opening + f"\n <title>{escape(title)}</title>" + svg[root.end() :]


#: A chart is never narrowed below this share of the width it was made with.
FIT_FLOOR = 0.6


def _fit_width(fig: Figure) -> None:
    """Narrow the figure until everything drawn, slanted headings included, fits the width it
    was made with: the saved chart grows to take in whatever sticks out, and a wider chart is
    scaled down further on a phone, shrinking its text below legibility."""
    target = fig.get_figwidth()
    for _ in range(3):
        fig.draw_without_rendering()
        excess = fig.get_tightbbox().width - target
        narrower = fig.get_figwidth() - excess
        if excess <= 0.01 or narrower < FIT_FLOOR * target:
            # Fits, or cannot be made to: text measured without its script's font (Bengali,
            # Burmese) is far wider than the browser will draw it. Then the chart keeps its
            # width and the saved drawing takes in whatever sticks out.
            return
        fig.set_figwidth(narrower)


def _to_svg(fig: Figure, title: str) -> str:
    FigureCanvasSVG(fig)
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Bengali or Burmese labels: matplotlib measures them with a font that lacks those
        # glyphs and says so. The text is written as text (svg.fonttype "none") and the
        # browser draws it with the reader's own fonts, so the warning is expected.
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        # Labels too long for any layout: the saved chart grows to take them in instead.
        warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
        fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.06,
                    metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), title)


def describe(svg: str, element_id: str) -> str:
    """Point a chart's ``aria-describedby`` at the element (a table of its numbers) with the id
    ``element_id``, so that a screen reader can reach the figures the chart draws.

    Examples
    --------
    >>> describe(bar_chart_svg([("a", 1)], "t"), "numbers").count('aria-describedby="numbers"')
    1
    """
    root = _ROOT.search(svg)
    if root is None:
        return svg
    opening = root.group(0)[:-1] + f" aria-describedby={quoteattr(element_id)}>"
    return svg[: root.start()] + opening + svg[root.end() :]


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
        labels = [_wrap(label, 22) for label, _ in counts]
        lines = sum(label.count("\n") + 1 for label in labels)
        fig = Figure(figsize=(WIDTH_INCHES, 1.1 + 0.2 * max(lines, 1) + 0.2 * len(counts)),
                     layout="constrained")
        ax = fig.add_subplot()
        _title(fig, title)
        if not counts:
            _no_data(ax)
            return _to_svg(fig, title)
        positions = np.arange(len(counts))
        values = [int(count) for _, count in counts]
        bars = ax.barh(positions, values, color=PALETTE[0], height=0.7)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.bar_label(bars, labels=[str(v) for v in values], padding=3, fontsize=SMALLEST_FONT)
        # Room at the right for the longest count written after its bar.
        ax.set_xlim(0, max(max(values) * 1.2, 1))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
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
            fontsize=SMALLEST_FONT,
            color="white" if strong else "#222222",
        )


def _count_text(value: object) -> str:
    return "\u2013" if pd.isna(value) else str(int(value))  # type: ignore[call-overload]


def _effect_scale(fig: Figure, mesh: Any, ax: Axes, vmin: float, vmax: float) -> None:
    """The colour bar under the map, its ends written out in words with their signs."""
    bar = fig.colorbar(mesh, ax=ax, location="bottom", shrink=0.9, aspect=25)
    ticks = np.arange(np.ceil(vmin), np.floor(vmax) + 1)
    bar.set_ticks(ticks, labels=[_with_sign(t) for t in ticks])
    bar.set_label(
        f"mean effect, from\n{_with_sign(vmin)} strongly disempowering\n"
        f"to {_with_sign(vmax)} strongly empowering"
    )


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
    ``matrix``) is given, the number of answers it rests on. The column headings are set at
    a slant so that four axes fit a phone's width with their full names.

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
        row_text = [_wrap(_label(r, row_labels), 20) for r in matrix.index]
        lines = sum(text.count("\n") + 1 for text in row_text)
        fig = Figure(
            figsize=(max(WIDTH_INCHES, 1.5 + 0.62 * cols), 2.9 + 0.16 * lines + 0.3 * rows),
            layout="constrained",
        )
        ax = fig.add_subplot()
        _title(fig, title)
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
            np.arange(cols) + 0.5,
            # One line each: wrapped headings at a slant would run into their neighbours.
            [_plain(_label(c, col_labels)) for c in matrix.columns],
            rotation=45, ha="left", rotation_mode="anchor",
        )
        ax.set_yticks(np.arange(rows) + 0.5, row_text)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.invert_yaxis()
        for spine in ax.spines.values():
            spine.set_visible(False)
        _effect_scale(fig, mesh, ax, vmin, vmax)
        # The slanted headings reach past the last column, beyond what the layout reserves.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
            warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
            _fit_width(fig)
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


def _date_axis(ax: Axes) -> None:
    """At most four dates on the axis, written briefly ("Jul", "2026"), so that the labels
    never run into each other on a phone, whatever the span."""
    locator = AutoDateLocator(minticks=2, maxticks=4)
    # Spans of 19–24 months need steps longer than the six months offered by default.
    locator.intervald[MONTHLY] = [1, 2, 3, 4, 6, 8, 12]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _trajectory_legend(
    fig: Figure, axes: list[str], instruments: list[str], axis_labels: Mapping[str, str] | None
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
            label=_wrap(instrument, 40),
        )
        for j, instrument in enumerate(instruments)
    ]
    _legend_below(fig, handles)


#: Score axes run a little beyond 0–100 so that a point at either end is drawn whole.
SCORE_LIMITS = (-4, 104)
SCORE_TICKS = (0, 25, 50, 75, 100)


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
        frame = points.dropna(subset=["score"])
        entries = frame["axis"].nunique() + frame["instrument"].nunique() if not frame.empty else 0
        fig = Figure(figsize=(WIDTH_INCHES, 3.2 + 0.22 * entries), layout="constrained")
        ax = fig.add_subplot()
        _title(fig, title)
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
        ax.set_ylim(*SCORE_LIMITS)
        ax.set_yticks(SCORE_TICKS)
        ax.set_ylabel("score (0\u2013100)")
        # Room either side so that the first and last points are drawn whole.
        ax.margins(x=0.06)
        _date_axis(ax)
        _single_date_limits(ax, frame["date"])
        _trajectory_legend(fig, axes, instruments, axis_labels)
        return _to_svg(fig, title)


# --------------------------------------------------------------------------------------------
# axis scores


def _n_text(counts: pd.Series) -> str:
    known = pd.to_numeric(counts, errors="coerce").dropna()
    if known.empty:  # counts suppressed or unknown
        return "n = \u2013"
    low, high = int(known.min()), int(known.max())
    return f"n = {low}" if low == high else f"n = {low}\u2013{high}"


def _score_bars(ax: Axes, rows: pd.DataFrame, y: np.ndarray, height: float, colour: str) -> None:
    means = rows["mean"].astype(float).to_numpy()
    sds = rows["sd"].astype(float).to_numpy() if "sd" in rows else np.full(len(rows), np.nan)
    shown, spread = ~np.isnan(means), ~np.isnan(means) & ~np.isnan(sds)
    ax.barh(y[shown], means[shown], height=height, color=colour)
    ax.errorbar(
        means[spread],
        y[spread],
        xerr=sds[spread],
        fmt="none",
        ecolor="#333333",
        capsize=3,
        elinewidth=1,
    )
    ends = np.where(spread, means + np.nan_to_num(sds), means)
    for yi, mean, end in zip(y[shown], means[shown], ends[shown], strict=True):
        ax.text(min(end, 100) + 2, yi, f"{mean:.1f}", ha="left", va="center",
                fontsize=SMALLEST_FONT)


def axis_scores_svg(
    summary: pd.DataFrame, title: str, axis_labels: Mapping[str, str] | None = None,
    version_labels: Mapping[str, str] | None = None,
) -> str:
    """Grouped horizontal bars of the mean 0–100 score per axis, one bar per instrument
    version, with the mean written beside each bar.

    Versions sit side by side rather than pooled because they asked different questions;
    the legend gives how many participants each version's bars rest on, error bars show
    ±1 standard deviation where one exists (n ≥ 2). Horizontal so that the axes' full names
    and the values stay legible on a phone.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`empower.metrics.cohort.axis_summary`: columns ``instrument_id``,
        ``instrument_version``, ``axis``, ``n``, ``mean`` and ``sd``.
    axis_labels : mapping, optional
        Display label per axis id.
    version_labels : mapping, optional
        Display name per instrument version, keyed ``"id@version"`` (for example
        ``"Empowerment scales 1.0"``); without one the legend shows ``id vversion``.
    """
    with _chart_style():
        axes = list(dict.fromkeys(summary["axis"]))
        pairs = zip(summary["instrument_id"], summary["instrument_version"], strict=True)
        versions = list(dict.fromkeys(pairs))
        fig = Figure(
            figsize=(WIDTH_INCHES, 1.6 + 0.3 * len(versions) + 0.25 * len(axes) * len(versions)),
            layout="constrained",
        )
        ax = fig.add_subplot()
        _title(fig, title)
        if summary.empty:
            _no_data(ax)
            return _to_svg(fig, title)
        position = {axis: i for i, axis in enumerate(axes)}
        height, legend = 0.8 / len(versions), []
        for k, (instrument, version) in enumerate(versions):
            mask = (summary["instrument_id"] == instrument) & (
                summary["instrument_version"] == version
            )
            rows = summary[mask]
            y = rows["axis"].map(position).to_numpy(dtype=float) - 0.4 + height * (k + 0.5)
            _score_bars(ax, rows, y, height, PALETTE[k % len(PALETTE)])
            name = (version_labels or {}).get(f"{instrument}@{version}",
                                              f"{instrument} v{version}")
            legend.append(
                Patch(
                    color=PALETTE[k % len(PALETTE)],
                    label=_wrap(f"{name} ({_n_text(rows['n'])})", 44),
                )
            )
        ax.set_yticks(np.arange(len(axes)), [_wrap(_label(a, axis_labels), 14) for a in axes])
        ax.invert_yaxis()
        # Room at the right for a mean written after an error bar that reaches 100.
        ax.set_xlim(0, 118)
        ax.set_xticks(SCORE_TICKS)
        ax.set_xlabel("mean score (0\u2013100)")
        _legend_below(fig, legend)
        return _to_svg(fig, title)


# --------------------------------------------------------------------------------------------
# change over time

CHANGE_COLOURS = {"reliably_improved": "#1b7837", "no_reliable_change": "#bdbdbd",
                  "reliably_deteriorated": "#b2182b"}
CHANGE_LABELS = {"reliably_improved": "Reliably improved",
                 "no_reliable_change": "No reliable change",
                 "reliably_deteriorated": "Reliably deteriorated"}
#: A share is written inside its bar segment only when the segment is wide enough to hold it.
SHARE_LABEL_MINIMUM = 0.12


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
        labels = [_wrap(_label(r["axis"], axis_labels), 20) for r in shown]
        lines = sum(label.count("\n") + 1 for label in labels)
        fig = Figure(figsize=(WIDTH_INCHES, 1.9 + 0.18 * max(lines, 1) + 0.25 * len(shown)),
                     layout="constrained")
        ax = fig.add_subplot()
        _title(fig, title)
        if not shown:
            _no_data(ax, "Too few people with follow-ups to show")
            return _to_svg(fig, title)
        positions = np.arange(len(shown))
        left = np.zeros(len(shown))
        handles = []
        for key, colour in CHANGE_COLOURS.items():
            shares = np.array([float(r[f"{key}_share"]) for r in shown])  # type: ignore[arg-type]
            bars = ax.barh(positions, shares, left=left, color=colour, height=0.6,
                           label=CHANGE_LABELS[key])
            handles.append(bars)
            ax.bar_label(bars, labels=[f"{round(100 * s)} %" if s >= SHARE_LABEL_MINIMUM
                                       else "" for s in shares],
                         label_type="center", color="white" if key != "no_reliable_change"
                         else "#222222", fontsize=SMALLEST_FONT)
            left += shares
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.5, 1], ["0", "50 %", "100 %"])
        _legend_below(fig, handles, ncol=2)
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
        drawn = [(axis, c) for axis, c in curves.items() if len(c.get("timeline", [])) > 0]
        fig = Figure(figsize=(WIDTH_INCHES, 3.2 + 0.22 * len(drawn)), layout="constrained")
        ax = fig.add_subplot()
        _title(fig, title)
        if not drawn:
            _no_data(ax, "No follow-ups yet")
            return _to_svg(fig, title)
        for i, (axis, curve) in enumerate(drawn):
            days = [0.0, *[float(d) for d in curve["timeline"]]]
            improved = [0.0, *[1.0 - float(s) for s in curve["survival"]]]
            ax.step(days, improved, where="post", color=PALETTE[i % len(PALETTE)],
                    label=_wrap(_label(axis, axis_labels), 40), linewidth=1.6)
        # A little beyond 0 and 100 % so that a curve along either end is drawn whole.
        ax.set_ylim(-0.03, 1.03)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0", "25 %", "50 %", "75 %", "100 %"])
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_xlabel("days since the first assessment")
        ax.set_ylabel("reliably improved")
        _legend_below(fig, ax.get_legend_handles_labels()[0])
        return _to_svg(fig, title)


def cohort_trajectory_svg(
    rows: Sequence[Mapping[str, object]], title: str,
    axis_labels: Mapping[str, str] | None = None,
) -> str:
    """Mean score per axis against days since the first assessment (rows with ``axis``,
    ``days``, ``n``, ``mean``; a ``mean`` of None — a withheld small group — is a gap)."""
    with _chart_style():
        frame = pd.DataFrame(list(rows), columns=["axis", "days", "n", "mean"])
        fig = Figure(figsize=(WIDTH_INCHES, 3.2 + 0.22 * frame["axis"].nunique()),
                     layout="constrained")
        ax = fig.add_subplot()
        _title(fig, title)
        if frame["mean"].dropna().empty:
            _no_data(ax, "No follow-ups yet")
            return _to_svg(fig, title)
        for i, (axis, group) in enumerate(frame.groupby("axis", sort=False)):
            ax.plot(group["days"], pd.to_numeric(group["mean"], errors="coerce"), marker="o",
                    color=PALETTE[i % len(PALETTE)], label=_wrap(_label(axis, axis_labels), 40))
        ax.set_ylim(*SCORE_LIMITS)
        ax.set_yticks(SCORE_TICKS)
        ax.margins(x=0.06)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_xlabel("days since the first assessment")
        ax.set_ylabel("mean score (0\u2013100)")
        _legend_below(fig, ax.get_legend_handles_labels()[0])
        return _to_svg(fig, title)
