"""The PRISMA 2020 flow diagram, drawn with matplotlib as SVG, PNG or PDF.

Layout and wording follow the PRISMA 2020 template for new systematic reviews which included
searches of databases, registers and other sources (Page et al. 2021, BMJ 372:n71): the phase
labels Identification, Screening and Included down the left; the column "Identification of
studies via databases and registers"; and the column "Identification of studies via other
methods", drawn only when other methods were used. Every number comes from a
:class:`~empower.evidence.prisma.PrismaCounts`, itself counted from the decision log.

Each box is drawn line by line, one text element per line, and every element carries an id
(``<box>-box`` for the frame, ``<box>-<line>`` for the lines, e.g. ``records_screened-1``),
so the SVG can be searched and tested. Output is deterministic: text stays text in SVG
(``svg.fonttype = "none"``), ids are salted with a fixed ``svg.hashsalt``, and neither the SVG
nor the PDF carries a date. Figures are built on their own :class:`~matplotlib.figure.Figure`,
never through ``pyplot``, so a web server may draw several in parallel.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from empower.evidence.prisma import PrismaCounts

TITLE = "PRISMA 2020 flow diagram"

FONT_SIZE = 8.5  # points
LINE = 0.16  # inches between text lines
PAD = 0.1  # inches of space inside a box
WRAP = 36  # characters per line in a box
BOX = 2.5  # box width, inches
GAP = 0.4  # between a main box and its side box
COLUMN_GAP = 0.5  # between the two columns
ROW_GAP = 0.35  # between rows
LEFT = 0.65  # the phase labels take the space left of the first column
MARGIN = 0.15

#: Colours close to the template's: a yellow heading for databases and registers, grey for
#: other methods, light blue phase labels.
DBR_HEADING = "#F6D36B"
OTHER_HEADING = "#D9D9D9"
PHASE = "#A9C7E8"

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "empower-prisma",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": FONT_SIZE,
}
_LOCK = threading.RLock()  # rcParams are global; one diagram's settings must not leak


@contextmanager
def _style() -> Iterator[None]:
    with _LOCK, matplotlib.rc_context(_RC):
        yield


# --------------------------------------------------------------------------------------------
# box contents


@dataclass(frozen=True)
class _Line:
    text: str
    indent: float = 0  # levels of indentation; wrapped lines hang by half a level


def _n(label: str, n: int) -> str:
    # Non-breaking spaces keep "(n = 1,234)" on one line; they are turned back into spaces.
    return f"{label} (n\u00a0=\u00a0{n:,})"


def _wrap(text: str, indent: float = 0) -> list[str]:
    width = WRAP - round(3 * indent) - 1
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    return [line.replace("\u00a0", " ") for line in lines] or [""]


def _lines(*items: _Line) -> list[_Line]:
    out = []
    for item in items:
        wrapped = _wrap(item.text, item.indent)
        out += [_Line(wrapped[0], item.indent)]
        out += [_Line(text, item.indent + 0.5) for text in wrapped[1:]]
    return out


def _per_source(title: str, total: int, sources: Mapping[str, int]) -> list[_Line]:
    return [_Line(_n(title, total), 1)] + [_Line(_n(name, n), 2) for name, n in sources.items()]


def _reasons(excluded: Mapping[str, int]) -> list[_Line]:
    if not excluded:
        return [_Line(_n("Reports excluded", 0))]
    return [_Line("Reports excluded:")] + [_Line(_n(reason, n), 1)
                                           for reason, n in excluded.items()]


def _boxes(c: PrismaCounts) -> dict[str, tuple[list[_Line], bool]]:
    """Each box's lines, and whether it is a list (left-aligned) rather than a statement."""
    boxes = {
        "dbr_identified": (_lines(
            _Line("Records identified from:"),
            *_per_source("Databases", c.databases_total, c.databases),
            *_per_source("Registers", c.registers_total, c.registers),
        ), True),
        "removed_before_screening": (_lines(
            _Line("Records removed before screening:"),
            _Line(_n("Duplicate records removed", c.duplicates), 1),
            _Line(_n("Records marked as ineligible by automation tools", c.automation), 1),
            _Line(_n("Records removed for other reasons", c.removed_other), 1),
        ), True),
        "records_screened": (_lines(_Line(_n("Records screened", c.records_screened))), False),
        "records_excluded": (_lines(_Line(_n("Records excluded", c.records_excluded))), False),
        "dbr_sought": (_lines(_Line(_n("Reports sought for retrieval", c.dbr_sought))), False),
        "dbr_not_retrieved": (
            _lines(_Line(_n("Reports not retrieved", c.dbr_not_retrieved))), False),
        "dbr_assessed": (
            _lines(_Line(_n("Reports assessed for eligibility", c.dbr_assessed))), False),
        "dbr_excluded": (_lines(*_reasons(c.dbr_excluded)), bool(c.dbr_excluded)),
        "included": (_lines(
            _Line(_n("Studies included in review", c.studies_included)),
            _Line(_n("Reports of included studies", c.reports_included)),
        ), False),
    }
    if c.uses_other_methods:
        boxes |= {
            "other_identified": (_lines(
                _Line("Records identified from:"),
                *[_Line(_n(name, n), 1) for name, n in c.other_sources.items()],
            ), True),
            "other_sought": (
                _lines(_Line(_n("Reports sought for retrieval", c.other_sought))), False),
            "other_not_retrieved": (
                _lines(_Line(_n("Reports not retrieved", c.other_not_retrieved))), False),
            "other_assessed": (
                _lines(_Line(_n("Reports assessed for eligibility", c.other_assessed))), False),
            "other_excluded": (_lines(*_reasons(c.other_excluded)), bool(c.other_excluded)),
        }
    return boxes


# --------------------------------------------------------------------------------------------
# layout

#: rows of the diagram, top to bottom: (phase, {column slot: box})
#: slots: 0 = main box and 1 = side box of the first column; 2 and 3 of the second.
_ROWS: tuple[tuple[str, dict[int, str]], ...] = (
    ("Identification", {0: "dbr_identified", 1: "removed_before_screening",
                        2: "other_identified"}),
    ("Screening", {0: "records_screened", 1: "records_excluded"}),
    ("Screening", {0: "dbr_sought", 1: "dbr_not_retrieved", 2: "other_sought",
                   3: "other_not_retrieved"}),
    ("Screening", {0: "dbr_assessed", 1: "dbr_excluded", 2: "other_assessed",
                   3: "other_excluded"}),
    ("Included", {0: "included"}),
)
#: arrows between boxes: (from, to); sideways arrows go from a main box to its side box
_ARROWS = (
    ("dbr_identified", "removed_before_screening"),
    ("dbr_identified", "records_screened"),
    ("records_screened", "records_excluded"),
    ("records_screened", "dbr_sought"),
    ("dbr_sought", "dbr_not_retrieved"),
    ("dbr_sought", "dbr_assessed"),
    ("dbr_assessed", "dbr_excluded"),
    ("dbr_assessed", "included"),
    ("other_identified", "other_sought"),
    ("other_sought", "other_not_retrieved"),
    ("other_sought", "other_assessed"),
    ("other_assessed", "other_excluded"),
)


def _slot_x(slot: int) -> float:
    column, side = divmod(slot, 2)
    return LEFT + column * (2 * BOX + GAP + COLUMN_GAP) + side * (BOX + GAP)


@dataclass(frozen=True)
class _Place:
    x: float
    y: float  # top; y grows downwards
    height: float

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


def _layout(
    boxes: Mapping[str, tuple[list[_Line], bool]],
) -> tuple[dict[str, _Place], list[tuple[str, float, float]], float]:
    """Where each box goes, the phase bands (label, top, bottom), and the total height."""
    places: dict[str, _Place] = {}
    bands: list[tuple[str, float, float]] = []
    y = MARGIN + 0.45 + ROW_GAP / 2  # below the column headings
    for phase, row in _ROWS:
        present = {slot: key for slot, key in row.items() if key in boxes}
        height = max(len(boxes[key][0]) for key in present.values()) * LINE + 2 * PAD
        for slot, key in present.items():
            places[key] = _Place(_slot_x(slot), y, height)
        if bands and bands[-1][0] == phase:
            bands[-1] = (phase, bands[-1][1], y + height)
        else:
            bands.append((phase, y, y + height))
        y += height + ROW_GAP
    return places, bands, y - ROW_GAP + MARGIN


# --------------------------------------------------------------------------------------------
# drawing


def _plain(text: str) -> str:
    """Escape ``$`` so names from the log are never parsed as mathtext."""
    return text.replace("$", r"\$")


def _draw_box(ax: Axes, key: str, place: _Place, lines: list[_Line], listing: bool) -> None:
    ax.add_patch(Rectangle((place.x, place.y), BOX, place.height, facecolor="white",
                           edgecolor="black", linewidth=0.8, gid=f"{key}-box"))
    top = place.middle - (len(lines) - 1) * LINE / 2
    for number, line in enumerate(lines, start=1):
        x = place.x + PAD + 0.14 * line.indent if listing else place.x + BOX / 2
        ax.text(x, top + (number - 1) * LINE, _plain(line.text),
                ha="left" if listing else "center", va="center", gid=f"{key}-{number}")


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9,
                                 linewidth=0.8, color="black", shrinkA=0, shrinkB=0))


def _connect(ax: Axes, places: Mapping[str, _Place], source: str, target: str) -> None:
    a, b = places[source], places[target]
    if abs(a.x - b.x) < 1e-9:  # downwards
        _arrow(ax, (a.x + BOX / 2, a.y + a.height), (b.x + BOX / 2, b.y))
    else:  # sideways, at the height of the main box's middle
        _arrow(ax, (a.x + BOX, a.middle), (b.x, a.middle))


def _heading(ax: Axes, key: str, slot: int, text: str, colour: str) -> None:
    x, width = _slot_x(slot), 2 * BOX + GAP
    ax.add_patch(FancyBboxPatch((x, MARGIN), width, 0.45, boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=colour, edgecolor="none", gid=f"{key}-box"))
    ax.text(x + width / 2, MARGIN + 0.225, text, ha="center", va="center", fontweight="bold",
            gid=f"{key}-1")


def _phase(ax: Axes, label: str, top: float, bottom: float) -> None:
    key = label.lower()
    ax.add_patch(FancyBboxPatch((MARGIN, top), 0.32, bottom - top,
                                boxstyle="round,pad=0,rounding_size=0.06", facecolor=PHASE,
                                edgecolor="none", gid=f"phase_{key}-box"))
    ax.text(MARGIN + 0.16, (top + bottom) / 2, label, rotation=90, ha="center", va="center",
            fontweight="bold", gid=f"phase_{key}-1")


def _figure(counts: PrismaCounts) -> Figure:
    """The flow diagram on a figure sized, in inches, to its content."""
    boxes = _boxes(counts)
    places, bands, height = _layout(boxes)
    columns = 2 if counts.uses_other_methods else 1
    width = _slot_x(2 * columns - 1) + BOX + MARGIN
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    _heading(ax, "heading_dbr", 0, "Identification of studies via databases and registers",
             DBR_HEADING)
    if columns == 2:
        _heading(ax, "heading_other", 2, "Identification of studies via other methods",
                 OTHER_HEADING)
    for label, top, bottom in bands:
        _phase(ax, label, top, bottom)
    for key, (lines, listing) in boxes.items():
        _draw_box(ax, key, places[key], lines, listing)
    for source, target in _ARROWS:
        if source in places and target in places:
            _connect(ax, places, source, target)
    if columns == 2:  # from the other column's assessed reports down and across to included
        a, b = places["other_assessed"], places["included"]
        x = a.x + BOX / 2
        ax.plot([x, x], [a.y + a.height, b.middle], color="black", linewidth=0.8)
        _arrow(ax, (x, b.middle), (b.x + BOX, b.middle))
    return fig


def _save(counts: PrismaCounts, **options: Any) -> bytes:
    with _style():
        fig = _figure(counts)
        buffer = io.BytesIO()
        fig.savefig(buffer, **options)
        return buffer.getvalue()


def prisma_svg(counts: PrismaCounts) -> str:
    """The flow diagram as an SVG document (text as text, no date, same bytes every time)."""
    return _save(counts, format="svg",
                 metadata={"Title": TITLE, "Date": None, "Creator": None}).decode("utf-8")


def prisma_png(counts: PrismaCounts, dpi: int = 200) -> bytes:
    """The flow diagram as a PNG image at ``dpi`` dots per inch."""
    return _save(counts, format="png", dpi=dpi, facecolor="white",
                 metadata={"Title": TITLE, "Software": None})


def prisma_pdf(counts: PrismaCounts) -> bytes:
    """The flow diagram as a one-page PDF, without a creation date."""
    return _save(counts, format="pdf",
                 metadata={"Title": TITLE, "CreationDate": None, "Creator": None,
                           "Producer": None})
