"""Disclosure control: which fields an audience may see, and small-cell suppression.

Reports leave the organisation (to donors, partners, the public), and a small number in a
table can point at one survivor: "1 participant from region X was exploited in country Y" is
enough for someone who knows the region to guess who. This module turns a report into one
that is safe for its audience (``domain/BRIEF.md`` §6, ``docs/disclosure-control.md``):

* every field carries a :class:`Sensitivity` tag, and identifying fields are never shown to
  anyone outside the organisation (:func:`fields_for`);
* each :class:`Audience` has a threshold (:func:`threshold_for`): a count of people that is
  not zero but below it is *primary* suppressed, and further cells are *secondary*
  (complementary) suppressed so that a hidden count cannot be worked out by subtracting the
  published cells from a published total (:func:`suppress_breakdown`, :func:`suppress_table`,
  checked by :func:`audit_table`);
* statistics over fewer people than the threshold are withheld (:func:`suppress_statistic`),
  and minimum and maximum values, which describe one person each, are never published;
  ages can instead be summarised by :func:`safe_range`;
* :func:`protect_cohort_report` applies all of this to the report dictionary built by
  :func:`empower.reports.cohort.build_cohort_report`, and :func:`round_for_release` rounds its
  statistics to what readers outside the organisation need;
* :func:`plan_release` compares a release with every earlier one, so that subtracting two
  releases never describes fewer people than the threshold (the differencing attack).

The rules are the standard ones of statistical disclosure control for frequency tables
(threshold rule, primary and secondary cell suppression; Hundepool A. et al., *Statistical
Disclosure Control*, Wiley 2012) with the thresholds used in the field: 5 by default and 11
for public release, the k-anonymity threshold of the Counter Trafficking Data
Collaborative (CTDC, IOM).

Zeros are published and never suppressed: "nobody" says nothing about any one person, and a
fixed rule lets readers trust the zeros they see. The price is that readers may also assume
every suppressed cell is at least 1; all checks here take that into account.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

#: Threshold for viewers and external audiences unless the organisation sets another.
DEFAULT_THRESHOLD = 5
#: Least threshold for public release: CTDC's k-anonymity threshold.
PUBLIC_THRESHOLD = 11
#: No organisation may go below this: with a threshold of 2, each of two people in a published
#: cell of 2 would learn the other's answer (the minimum frequency rule, Hundepool et al. 2012).
MIN_THRESHOLD = 3
#: Label of the row and column of totals added by :func:`with_margins`.
TOTAL = "Total"
#: Width of the age bands used by :func:`safe_range`.
AGE_BAND_WIDTH = 5
#: Label of the one row that replaces a breakdown that cannot be shown safely at all.
WITHHELD_LABEL = "Withheld to protect privacy"


class Sensitivity(StrEnum):
    """How much harm a field can do if it leaves the organisation.

    ``identifying`` names or locates a person on its own (name, phone number, address,
    narrative, photo); ``quasi_identifying`` can single someone out in combination (gender,
    year of birth, region of origin, destination); ``sensitive`` is harmful to have known about
    a person (type of exploitation, status, answers to the interview); ``plain`` is neither
    (the random participant code, instrument version).
    """

    IDENTIFYING = "identifying"
    QUASI_IDENTIFYING = "quasi_identifying"
    SENSITIVE = "sensitive"
    PLAIN = "plain"


class Audience(StrEnum):
    """Who a report or export is for.

    ``internal``: the organisation's own staff with a role that lets them see participants;
    ``viewer``: people who may look at aggregates only (e.g. a board member, a donor with an
    account); ``external``: a report or export sent outside the organisation (a donor, a
    partner); ``public``: published for anyone.
    """

    INTERNAL = "internal"
    VIEWER = "viewer"
    EXTERNAL = "external"
    PUBLIC = "public"


#: Tags of the participant fields Empower records; the web layer may extend this.
PARTICIPANT_FIELD_SENSITIVITY: dict[str, Sensitivity] = {
    "code": Sensitivity.PLAIN,
    "name": Sensitivity.IDENTIFYING,
    "phone": Sensitivity.IDENTIFYING,
    "address": Sensitivity.IDENTIFYING,
    "narrative": Sensitivity.IDENTIFYING,
    "photo": Sensitivity.IDENTIFYING,
    "gender": Sensitivity.QUASI_IDENTIFYING,
    "year_of_birth": Sensitivity.QUASI_IDENTIFYING,
    "age": Sensitivity.QUASI_IDENTIFYING,
    "region": Sensitivity.QUASI_IDENTIFYING,
    "region_of_origin": Sensitivity.QUASI_IDENTIFYING,
    "destination": Sensitivity.QUASI_IDENTIFYING,
    "destination_country": Sensitivity.QUASI_IDENTIFYING,
    "exploitation_types": Sensitivity.SENSITIVE,
    "status": Sensitivity.SENSITIVE,
    "answers": Sensitivity.SENSITIVE,
}


class DisclosureError(ValueError):
    """A table cannot be published safely in any form that keeps its total."""


class SafeRange(NamedTuple):
    """Bottom- and top-coded ends of a range (see :func:`safe_range`)."""

    younger_than: int
    at_least: int


# --------------------------------------------------------------------------------------------
# audiences, thresholds and fields


def _threshold(value: Any, what: str = "threshold") -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < MIN_THRESHOLD:
        raise ValueError(f"{what} must be a whole number of at least {MIN_THRESHOLD}: {value!r}")
    return int(value)


def threshold_for(
    audience: Audience | str, organisation_threshold: int = DEFAULT_THRESHOLD
) -> int | None:
    """The suppression threshold for an audience.

    Parameters
    ----------
    audience : Audience or str
    organisation_threshold : int, default 5
        The organisation's own threshold; at least :data:`MIN_THRESHOLD` (3).

    Returns
    -------
    int or None
        ``None`` for ``internal`` (nothing is suppressed); the organisation's threshold for
        ``viewer`` and ``external``; ``max(11, organisation_threshold)`` for ``public``.

    Notes
    -----
    A cell count ``c`` is suppressed when ``0 < c < threshold``. 11 for public release is the
    k-anonymity threshold CTDC applies to its published counter-trafficking data.

    Examples
    --------
    >>> threshold_for("viewer"), threshold_for("public"), threshold_for("public", 15)
    (5, 11, 15)
    >>> threshold_for("internal") is None
    True
    """
    audience = Audience(audience)
    threshold = _threshold(organisation_threshold, "organisation threshold")
    if audience is Audience.INTERNAL:
        return None
    if audience is Audience.PUBLIC:
        return max(PUBLIC_THRESHOLD, threshold)
    return threshold


def fields_for(
    audience: Audience | str, sensitivity_by_field: Mapping[str, Sensitivity | str]
) -> list[str]:
    """The fields an audience may see, in the order given.

    Parameters
    ----------
    audience : Audience or str
    sensitivity_by_field : mapping of str to Sensitivity or str
        Every field's tag, e.g. :data:`PARTICIPANT_FIELD_SENSITIVITY`.

    Returns
    -------
    list of str
        ``internal``: all fields (the web layer still checks each person's role and audits
        every read of an identifying field). ``viewer``, ``external`` and ``public``: every
        field except the identifying ones.

    Notes
    -----
    Public release drops no more *fields* than the other outside audiences: free text and
    photos are tagged identifying, so they never leave the organisation for anyone, and
    sensitive fields such as the type of exploitation are what a report is about — they are
    protected by the higher public threshold instead.

    Examples
    --------
    >>> fields_for("external", {"code": "plain", "name": "identifying", "status": "sensitive"})
    ['code', 'status']
    """
    audience = Audience(audience)
    tags = {}
    for field, tag in sensitivity_by_field.items():
        try:
            tags[field] = Sensitivity(tag)
        except ValueError:
            raise ValueError(f"field {field!r} has an unknown sensitivity tag: {tag!r}") from None
    if audience is Audience.INTERNAL:
        return list(tags)
    return [field for field, tag in tags.items() if tag is not Sensitivity.IDENTIFYING]


# --------------------------------------------------------------------------------------------
# one-way tables


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{where} must be a whole number of people, not {value!r}")
    return int(value)


def _derivable(counts: Sequence[int], mask: Sequence[bool]) -> bool:
    """Can a reader who knows the total work out a suppressed count exactly?

    The suppressed cells add up to ``S = total − published``. One suppressed cell is ``S``
    itself. With ``k ≥ 2`` each lies between 1 (zeros are published) and ``S − (k − 1)``,
    which pins all of them down exactly when ``S = k``, i.e. when all are 1.
    """
    hidden = [c for c, m in zip(counts, mask, strict=True) if m]
    return len(hidden) == 1 or (len(hidden) >= 2 and sum(hidden) == len(hidden))


def _one_way_mask(
    counts: Sequence[int],
    threshold: int,
    primary: Sequence[bool] | None = None,
    total_known: bool = True,
) -> list[bool]:
    """Primary, then (if the total is known) complementary suppression of a one-way table.

    ``primary[i]`` says whether cell ``i`` is a count of people with a characteristic
    (suppressed when small) rather than a plain count that may only serve as a complement.
    Raises :class:`DisclosureError` when no choice of complements protects the table.
    """
    eligible = primary if primary is not None else [True] * len(counts)
    mask = [e and 0 < c < threshold for c, e in zip(counts, eligible, strict=True)]
    while total_known and _derivable(counts, mask):
        candidates = [i for i, c in enumerate(counts) if c > 0 and not mask[i]]
        if not candidates:
            raise DisclosureError(
                "the suppressed counts could be worked out from the total whatever else is "
                "suppressed; withhold the whole table"
            )
        mask[min(candidates, key=lambda i: (counts[i], i))] = True
    return mask


def suppress_breakdown(
    rows: Sequence[Mapping[str, Any]],
    threshold: int,
    count_key: str = "count",
    total: int | None = None,
    multi_select: bool = False,
    percent_key: str = "percent",
) -> list[dict[str, Any]]:
    """Suppress the small cells of a one-way frequency table (a breakdown of the sample).

    Parameters
    ----------
    rows : sequence of mapping
        One row per category with a whole-number count under ``count_key``.
    threshold : int
        Counts ``0 < c < threshold`` are suppressed; at least 3.
    count_key, percent_key : str
        Keys of the count and (if present) the percentage of each row.
    total : int, optional
        The published total (the sample size ``n``); defaults to the sum of the counts. For a
        single-select table the counts must add up to it.
    multi_select : bool, default False
        True when one person may count in several categories, so that the counts do not add
        up to the total.

    Returns
    -------
    list of dict
        Copies of the rows with ``suppressed: bool`` added; a suppressed row has its count and
        percentage set to ``None``.

    Raises
    ------
    DisclosureError
        When the table cannot be protected while its total is published (every non-zero count
        is 1 and the total equals the number of categories).

    Notes
    -----
    *Primary suppression* (threshold rule): every cell with ``0 < count < threshold``. Zeros
    are published.

    *Complementary (secondary) suppression* for a single-select table: its cells add up to
    the published total, so one suppressed cell alone is ``total − Σ published``. While a
    suppressed cell can be derived that way, the smallest published non-zero cell is
    suppressed too (ties: the first listed). With ``k ≥ 2`` suppressed cells adding up to
    ``S``, each is only known to lie in ``[1, S − k + 1]`` — unless ``S = k``, when all are 1,
    so that case gets a further complement as well (secondary cell suppression, Hundepool et
    al. 2012).

    A multi-select table has no such equation (a person may be counted in several cells, or
    in none), so differencing from the total cannot recover a cell and only primary
    suppression applies.

    What suppression alone cannot prevent: comparing two releases of an overlapping cohort
    (before and after one person withdraws) can reveal the category of the person who left if
    it was published; :func:`plan_release` checks a release against earlier ones for that
    (``docs/disclosure-control.md`` §7).

    Examples
    --------
    >>> rows = [{"category": c, "count": k} for c, k in [("A", 50), ("B", 23), ("C", 3)]]
    >>> [(r["category"], r["count"]) for r in suppress_breakdown(rows, 5)]
    [('A', 50), ('B', None), ('C', None)]
    """
    threshold = _threshold(threshold)
    counts = [_count(row.get(count_key), f"{count_key} of row {i}") for i, row in enumerate(rows)]
    if total is not None:
        total = _count(total, "total")
        if not multi_select and sum(counts) != total:
            raise ValueError(
                f"the counts of a single-select table must add up to its total: "
                f"{sum(counts)} ≠ {total}"
            )
        if multi_select and any(c > total for c in counts):
            raise ValueError("no count of a multi-select table may exceed its total")
    mask = _one_way_mask(counts, threshold, total_known=not multi_select)
    protected = []
    for row, hidden in zip(rows, mask, strict=True):
        out = {**row, "suppressed": hidden}
        if hidden:
            out[count_key] = None
            if percent_key in out:
                out[percent_key] = None
        protected.append(out)
    return protected


def suppress_statistic(n: int, threshold: int) -> bool:
    """Whether a statistic computed over ``n`` people must be withheld.

    Means, standard deviations, medians and shares over fewer than ``threshold`` people are
    withheld (the threshold rule applied to the cell a statistic describes, Hundepool et al.
    2012): with few people, each one's answer weighs enough to be guessed.

    Examples
    --------
    >>> suppress_statistic(4, 5), suppress_statistic(5, 5)
    (True, False)
    """
    return _count(n, "n") < _threshold(threshold)


def safe_range(
    values: Iterable[Any], threshold: int, width: int = AGE_BAND_WIDTH
) -> SafeRange | None:
    """Both ends of a range, coarsened so that neither describes fewer than ``threshold`` people.

    The youngest and the oldest participant are one person each; publishing their exact ages
    (or even the 5-year band each falls in) tells readers something about that one person.
    Instead each end is bottom- or top-coded (Hundepool et al. 2012, global recoding):

    * ``younger_than`` is the smallest multiple of ``width`` with at least ``threshold``
      values below it — "at least 5 participants were under 30";
    * ``at_least`` is the largest multiple of ``width`` with at least ``threshold`` values at
      or above it — "at least 5 participants were 25 or older".

    Parameters
    ----------
    values : iterable of int
        Whole, non-negative numbers (e.g. ages); ``None`` and NaN are skipped.
    threshold : int
    width : int, default 5

    Returns
    -------
    SafeRange or None
        ``None`` when fewer than ``threshold`` values are known: then no range is published.

    Notes
    -----
    With the values sorted, ``x₍ₜ₎`` the t-th smallest and ``x⁽ᵗ⁾`` the t-th largest
    (t = threshold): ``younger_than = width·(⌊x₍ₜ₎ / width⌋ + 1)`` and
    ``at_least = width·⌊x⁽ᵗ⁾ / width⌋``. The two bands may overlap when most people are of
    similar age; that is the price of not describing the extremes.

    Examples
    --------
    >>> safe_range([15, 49] + [26] * 49 + [25] * 25, 5)
    SafeRange(younger_than=30, at_least=25)
    >>> safe_range([15, 18, 22, 30, 41], 5)  # five people: each end covers all of them
    SafeRange(younger_than=45, at_least=15)
    >>> safe_range([15, 18, 22, 30], 5) is None
    True
    """
    threshold = _threshold(threshold)
    width = _count(width, "width")
    if width < 1:
        raise ValueError("width must be at least 1")
    known = sorted(_whole(v) for v in values if not _missing(v))
    if len(known) < threshold:
        return None
    return SafeRange(
        younger_than=width * (known[threshold - 1] // width + 1),
        at_least=width * (known[-threshold] // width),
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, Real) and math.isnan(value))


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
        raise ValueError(f"values must be whole, non-negative numbers, not {value!r}")
    if not float(value).is_integer():
        raise ValueError(f"values must be whole numbers, not {value!r}")
    return int(float(value))


# --------------------------------------------------------------------------------------------
# two-way tables


def with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    """The table with a row and a column of totals labelled :data:`TOTAL`.

    Examples
    --------
    >>> import pandas as pd
    >>> with_margins(pd.DataFrame({"a": [1, 2], "b": [3, 4]}, index=["x", "y"]))
           a  b  Total
    x      1  3      4
    y      2  4      6
    Total  3  7     10
    """
    if counts.empty:
        raise ValueError("the table is empty")
    if TOTAL in counts.index or TOTAL in counts.columns:
        raise ValueError(f"a row or column is already called {TOTAL!r}")
    if not (counts.index.is_unique and counts.columns.is_unique):
        raise ValueError("every row and every column needs its own label")
    if any(pd.api.types.is_bool_dtype(dtype) for dtype in counts.dtypes):
        raise ValueError("a table of counts must hold numbers, not True/False")
    try:
        numbers = counts.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError("a table of counts must hold numbers only") from None
    if not np.isfinite(numbers).all() or (numbers != np.round(numbers)).any():
        raise ValueError("a table of counts must hold whole numbers only")
    if (numbers < 0).any():
        raise ValueError("a table of counts cannot hold negative numbers")
    table = pd.DataFrame(numbers.astype("int64"), index=counts.index, columns=counts.columns)
    table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    return table


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """Every row, then every column, of a table with margins, as lists of positions."""
    rows, cols = shape
    return [[(i, j) for j in range(cols)] for i in range(rows)] + [
        [(i, j) for i in range(rows)] for j in range(cols)
    ]


def _partner(
    values: np.ndarray, mask: np.ndarray, cells: Iterable[tuple[int, int]]
) -> tuple[int, int] | None:
    """The best complement among ``cells``: smallest count, inner cells before totals, then a
    cell whose other line also still needs a partner, then reading order."""
    rows, cols = values.shape

    def lonely(line: np.ndarray) -> bool:
        return int(line.sum()) == 1

    def key(cell: tuple[int, int]) -> tuple[int, bool, bool, tuple[int, int]]:
        i, j = cell
        is_total = i == rows - 1 or j == cols - 1
        helps = lonely(mask[:, j]) or lonely(mask[i, :])
        return (int(values[i, j]), is_total, not helps, cell)

    candidates = [(i, j) for i, j in cells if values[i, j] > 0 and not mask[i, j]]
    return min(candidates, key=key) if candidates else None


def _two_per_line(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Give every row and column with exactly one suppressed cell a second one, until stable."""
    mask = mask.copy()
    changed = True
    while changed:
        changed = False
        for line in _lines(values.shape):
            if sum(mask[cell] for cell in line) == 1:
                cell = _partner(values, mask, line)
                if cell is not None:  # a line summing to its total always has one
                    mask[cell] = True
                    changed = True
    return mask


def suppress_table(counts: pd.DataFrame, threshold: int, audit: bool = True) -> pd.DataFrame:
    """Primary and secondary suppression of a two-way table whose totals are published.

    Parameters
    ----------
    counts : pandas.DataFrame
        Whole numbers of people, without totals (they are added, see :func:`with_margins`).
    threshold : int
        Counts ``0 < c < threshold`` are suppressed, totals included; at least 3.
    audit : bool, default True
        Also check the result with :func:`audit_table` (needs scipy) and suppress more until
        no suppressed cell can be worked out exactly.

    Returns
    -------
    pandas.DataFrame
        A boolean mask shaped like ``with_margins(counts)``: True where the count must not be
        published. ``with_margins(counts).mask(mask)`` is the table to publish.

    Notes
    -----
    1. *Primary*: every cell, row total or column total with ``0 < count < threshold``.
    2. *Secondary*: every row and every column (totals included) that holds exactly one
       suppressed cell gets a second one — the smallest published non-zero cell of that line,
       preferring inner cells to totals and cells that also complete their crossing line —
       repeated until every line has none or at least two (the classic heuristic: Cox L.H.,
       JASA 75, 1980; Hundepool et al. 2012).
    3. With ``audit``: a reader who knows that zeros are published and that each line adds up
       can still pin a cell down in some patterns (two suppressed 1s in a row whose other
       cells are published, for instance). Each cell found exact by :func:`audit_table` gets a
       further complement from its row or column (or, failing those, anywhere), and steps 2–3
       repeat.

    The "two per line" rule alone is a heuristic: it is not a guarantee against a reader
    solving the whole system of row and column equations (linear programming) in larger
    tables, which is why the audit runs by default. The audit only guarantees that no cell is
    *exactly* determined; a suppressed cell's feasible interval may still be narrow.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"a": [20, 25, 18], "b": [30, 12, 22], "c": [3, 40, 35]},
    ...                       index=["x", "y", "z"])
    >>> mask = suppress_table(counts, 5)
    >>> sorted(mask.stack()[lambda s: s].index.tolist())
    [('x', 'a'), ('x', 'c'), ('z', 'a'), ('z', 'c')]
    """
    threshold = _threshold(threshold)
    table = with_margins(counts)
    values = table.to_numpy()
    mask = _two_per_line(values, (values > 0) & (values < threshold))
    while audit:
        found = audit_table(counts, pd.DataFrame(mask, index=table.index, columns=table.columns))
        exact = found[found["determined"]]
        if exact.empty:
            break
        i = table.index.get_loc(exact.iloc[0]["row"])
        j = table.columns.get_loc(exact.iloc[0]["column"])
        rows, cols = values.shape
        crossing = [(i, c) for c in range(cols)] + [(r, j) for r in range(rows)]
        everywhere = [(r, c) for r in range(rows) for c in range(cols)]
        cell = _partner(values, mask, crossing) or _partner(values, mask, everywhere)
        if cell is None:  # cannot happen: with every non-zero cell hidden, nothing is exact
            raise DisclosureError("the table cannot be protected")
        mask[cell] = True
        mask = _two_per_line(values, mask)
    return pd.DataFrame(mask, index=table.index, columns=table.columns)


def audit_table(
    counts: pd.DataFrame, mask: pd.DataFrame, zeros_published: bool = True
) -> pd.DataFrame:
    """What a reader can work out about each suppressed cell of a two-way table.

    The reader knows every published cell, that each row and column adds up to its total,
    that counts are not negative and — when ``zeros_published`` — that every suppressed cell
    is at least 1. For each suppressed cell the smallest and largest value consistent with
    that is found by linear programming (scipy's HiGHS solver), as an intruder would
    (the *audit* of a suppression pattern, Hundepool et al. 2012).

    Parameters
    ----------
    counts : pandas.DataFrame
        The table without totals.
    mask : pandas.DataFrame of bool
        True where suppressed; shaped like ``counts`` (totals then count as published) or like
        ``with_margins(counts)``.
    zeros_published : bool, default True

    Returns
    -------
    pandas.DataFrame
        One row per suppressed cell with ``row``, ``column``, ``value`` (the true count),
        ``lower`` and ``upper`` (the feasible interval; ``upper`` is ``inf`` when unbounded)
        and ``determined`` (``lower == upper``: the cell is disclosed).

    Notes
    -----
    The constraints of a two-way table with margins form a network-flow problem, whose
    constraint matrix is totally unimodular: with whole-number totals the extreme values are
    whole numbers, so the LP interval is exactly the set of values a whole-number table can
    take. Practical for tables the size of a report (a few dozen cells); it solves two small
    LPs per suppressed cell.
    """
    try:
        from scipy.optimize import linprog
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("audit_table needs scipy: pip install scipy") from exc

    table = with_margins(counts)
    hidden = _aligned_mask(mask, table)
    values = table.to_numpy()
    if zeros_published and (hidden & (values == 0)).any():
        raise ValueError("a zero is suppressed although zeros_published is True")
    cells = list(zip(*np.nonzero(hidden), strict=True))
    index = {cell: k for k, cell in enumerate(cells)}
    equations, rhs = [], []
    for line in _lines(values.shape):
        if not any(hidden[cell] for cell in line):
            continue
        row = np.zeros(len(cells))
        known = 0
        for cell in line:  # Σ cells − the line's total (its last cell) = 0
            a = -1 if cell == line[-1] else 1
            if hidden[cell]:
                row[index[cell]] = a
            else:
                known += a * int(values[cell])
        equations.append(row)
        rhs.append(-known)
    lower_bound = 1 if zeros_published else 0
    bounds = [(lower_bound, None)] * len(cells)
    records = []
    for cell in cells:
        objective = np.zeros(len(cells))
        objective[index[cell]] = 1
        ends = []
        for sign in (1, -1):
            result = linprog(
                sign * objective,
                A_eq=np.array(equations) if equations else None,
                b_eq=np.array(rhs) if equations else None,
                bounds=bounds,
                method="highs",
            )
            if result.status == 3:  # unbounded
                ends.append(math.inf)
            elif result.status != 0:
                raise ValueError(f"the published table is inconsistent: {result.message}")
            else:
                ends.append(float(round(sign * result.fun)))
        i, j = cell
        records.append(
            {
                "row": table.index[i],
                "column": table.columns[j],
                "value": int(values[i, j]),
                "lower": ends[0],
                "upper": ends[1],
                "determined": ends[0] == ends[1],
            }
        )
    columns = ["row", "column", "value", "lower", "upper", "determined"]
    return pd.DataFrame(records, columns=columns).astype({"determined": bool})


def _aligned_mask(mask: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    unknown = [r for r in mask.index if r not in table.index]
    unknown += [c for c in mask.columns if c not in table.columns]
    if unknown:
        raise ValueError(f"the mask has rows or columns the table lacks: {unknown}")
    if not all(pd.api.types.is_bool_dtype(dtype) for dtype in mask.dtypes):
        raise ValueError("the mask must hold True/False only")
    aligned = mask.reindex(index=table.index, columns=table.columns, fill_value=False)
    return aligned.to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------
# the cohort report

_AXIS_STATISTICS = ("mean", "sd", "median", "minimum", "maximum")
_SHARES = ("share_empowering", "share_disempowering", "share_no_effect")
_FACTOR_COUNTS = ("n", "n_not_applicable", "n_unanswered")


def _withheld_row() -> dict[str, Any]:
    return {
        "category": None,
        "label": WITHHELD_LABEL,
        "count": None,
        "percent": None,
        "suppressed": True,
        "withheld": True,
    }


def _protect_breakdowns(sample: dict[str, Any], threshold: int) -> int:
    cells = 0
    for key, rows in sample["breakdowns"].items():
        multi = key in sample.get("multi_select", [])
        try:
            protected = suppress_breakdown(
                rows, threshold, total=None if multi else sample["n"], multi_select=multi
            )
        except DisclosureError:
            protected = [_withheld_row()]
            cells += len(rows)
        else:
            cells += sum(row["suppressed"] for row in protected)
        sample["breakdowns"][key] = protected
    return cells


def _protect_age(sample: dict[str, Any], threshold: int, ages: Iterable[Any] | None) -> None:
    age = sample.get("age")
    if age is None:
        return
    bands = None
    if ages is not None:
        known = [_whole(a) for a in ages if not _missing(a)]
        if (len(known), min(known, default=None), max(known, default=None)) != (
            age["n"],
            age["minimum"],
            age["maximum"],
        ):
            raise ValueError("the ages given do not match the report's age summary")
        bands = safe_range(known, threshold)
    age.update(
        minimum=None,
        maximum=None,
        mean=None if suppress_statistic(age["n"], threshold) else age["mean"],
        lower_band=None if bands is None else f"under {bands.younger_than}",
        upper_band=None if bands is None else f"{bands.at_least} or older",
    )


def _protect_axis_scores(rows: list[dict[str, Any]], threshold: int) -> int:
    cells = 0
    for row in rows:
        if 0 < row["n"] < threshold:
            row.update(dict.fromkeys(_AXIS_STATISTICS))
            cells += 1
        row.update(minimum=None, maximum=None)  # one person's score each
    return cells


def _protect_factor_cell(row: dict[str, Any], threshold: int) -> bool:
    """Suppress one factor × axis cell in place; True when anything was withheld.

    ``n``, ``n_not_applicable`` and ``n_unanswered`` add up to the number of people asked,
    which readers may know (everyone in the sample, typically), so they are treated as one
    one-way table: "not applicable" is an answer about a person's life and is suppressed when
    small, as is ``n``; "unanswered" is plain and only serves as a complement. The shares are
    a one-way table of counts adding up to ``n``. A hidden ``n`` hides the statistics too:
    with ``n`` known, shares and mean (fractions over ``n``) would reveal it.
    """
    before = [row[key] for key in (*_FACTOR_COUNTS, "mean_effect", *_SHARES)]
    counts = [_count(row[key], key) for key in _FACTOR_COUNTS]
    try:
        mask = _one_way_mask(counts, threshold, primary=[True, True, False])
    except DisclosureError:
        mask = [c > 0 for c in counts]
    for key, hidden in zip(_FACTOR_COUNTS, mask, strict=True):
        if hidden:
            row[key] = None
    if row["n"] is None:
        row.update(dict.fromkeys(("mean_effect", *_SHARES)))
    elif row["n"] > 0:
        n = row["n"]
        ratings = [0 if row[key] is None else round(row[key] * n) for key in _SHARES]
        try:
            hidden_shares = _one_way_mask(ratings, threshold)
        except DisclosureError:
            hidden_shares = [True] * len(_SHARES)
        for key, hidden in zip(_SHARES, hidden_shares, strict=True):
            if hidden:
                row[key] = None
    after = [row[key] for key in (*_FACTOR_COUNTS, "mean_effect", *_SHARES)]
    return any(b is not None and a is None for b, a in zip(before, after, strict=True))


def _withhold_everything(report: dict[str, Any]) -> int:
    sample = report["sample"]
    cells = 1
    sample["n"] = None
    for key, rows in sample["breakdowns"].items():
        if rows:
            cells += len(rows)
            sample["breakdowns"][key] = [_withheld_row()]
    if sample.get("age") is not None:
        sample["age"] = dict.fromkeys(
            ("n", "minimum", "maximum", "mean", "lower_band", "upper_band")
        )
    for row in report["axis_scores"]:
        row.update(dict.fromkeys(("n", "n_missing", *_AXIS_STATISTICS)))
        cells += 1
    for row in report["factor_axis_map"]:
        row.update(dict.fromkeys((*_FACTOR_COUNTS, "mean_effect", *_SHARES)))
        cells += 1
    return cells


def _note(threshold: int, cells: int, everything: bool) -> str:
    if everything:
        return (
            f"This cohort has fewer than {threshold} participants, so every number in this "
            "report is withheld to protect their privacy."
        )
    return (
        f"To protect participants' privacy, numbers about fewer than {threshold} people are "
        "not shown (–), nor are a few others that would let them be worked out by "
        "subtraction; the youngest and oldest ages and the lowest and highest scores are "
        f"never shown. Table cells withheld: {cells}."
    )


def protect_cohort_report(
    report: Mapping[str, Any],
    audience: Audience | str,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    ages: Iterable[Any] | None = None,
) -> dict[str, Any]:
    """A copy of a cohort report that is safe to show to ``audience``.

    Parameters
    ----------
    report : mapping
        As built by :func:`empower.reports.cohort.build_cohort_report` (or its JSON); never
        modified.
    audience : Audience or str
    threshold : int, default 5
        The organisation's threshold; the audience's own rule is applied on top (see
        :func:`threshold_for`: none for ``internal``, at least 11 for ``public``).
    ages : iterable of int, optional
        The ages behind ``sample.age``; when given, the age range is published as bands
        (:func:`safe_range`) in ``age.lower_band`` / ``age.upper_band``.

    Returns
    -------
    dict
        For ``internal``: the report unchanged but for ``meta.disclosure = {"audience":
        "internal", "threshold": None, "suppressed_cells": 0, "note": ...}``.

        Otherwise, with ``t`` the effective threshold:

        * ``sample.breakdowns``: single-select breakdowns get primary and complementary
          suppression (:func:`suppress_breakdown` with total ``n``), multi-select ones primary
          only; every row gains ``suppressed``. A breakdown that cannot be protected at all is
          replaced by one row labelled :data:`WITHHELD_LABEL`.
        * ``sample.age``: ``minimum`` and ``maximum`` always ``None``; ``mean`` ``None`` when
          fewer than ``t`` ages are known; ``lower_band`` and ``upper_band`` as above.
        * ``axis_scores``: ``minimum`` and ``maximum`` always ``None``; a row with
          ``0 < n < t`` has ``mean``, ``sd`` and ``median`` ``None`` too. ``n`` and
          ``n_missing`` (how many scores could be computed) are published.
        * ``factor_axis_map``: per cell, ``n`` and ``n_not_applicable`` below ``t`` are
          suppressed with a complement among ``n``, ``n_not_applicable`` and
          ``n_unanswered``; when ``n`` is hidden (in particular when ``n < t``), the mean
          effect and shares are ``None``; otherwise the shares, as counts adding up to ``n``,
          get primary and complementary suppression.
        * ``meta.disclosure = {"audience", "threshold": t, "suppressed_cells", "note"}``:
          ``suppressed_cells`` counts table cells (a breakdown category, an axis-score row, a
          factor × axis cell) with a number withheld; removing minima and maxima, which
          happens always, is not counted. ``note`` says it in plain language.

        When the whole sample has fewer than ``t`` participants, every number — ``n``
        included — is ``None`` and the note says why.

    Raises
    ------
    ValueError
        If the report was already protected for an outside audience, or ``ages`` do not match
        the report.

    Notes
    -----
    The renderer (:func:`empower.reports.cohort.render_cohort_html`) shows ``None`` as "–".
    """
    audience = Audience(audience)
    limit = threshold_for(audience, threshold)
    protected = copy.deepcopy(dict(report))
    meta = protected.setdefault("meta", {})
    previous = meta.get("disclosure") or {}
    if previous.get("audience", Audience.INTERNAL) != Audience.INTERNAL:
        raise ValueError("this report is already protected; protect the original instead")
    if limit is None:
        meta["disclosure"] = {
            "audience": str(Audience.INTERNAL),
            "threshold": None,
            "suppressed_cells": 0,
            "note": "Internal report: no numbers are withheld. Do not share it outside the "
            "organisation.",
        }
        return protected
    sample = protected["sample"]
    everything = _count(sample["n"], "sample n") < limit
    if everything:
        cells = _withhold_everything(protected)
    else:
        cells = _protect_breakdowns(sample, limit)
        _protect_age(sample, limit, ages)
        cells += _protect_axis_scores(protected["axis_scores"], limit)
        cells += sum(_protect_factor_cell(row, limit) for row in protected["factor_axis_map"])
    meta["disclosure"] = {
        "audience": str(audience),
        "threshold": limit,
        "suppressed_cells": cells,
        "note": _note(limit, cells, everything),
    }
    return protected


# --------------------------------------------------------------------------------------------
# comparing releases: the differencing attack

#: What one release published, to compare it with another: ``table → cell → person → token``.
#: A cell is one group of people a figure describes ("gender: female", "healing scores of
#: instrument X"); the token stands for what the person contributed to it (their score, or
#: just "counted"), so that the same token in two releases means the cell used the same data
#: about them.
Contributions = Mapping[str, Mapping[str, Mapping[str, str]]]
#: The table of everyone a release counts. When it changes by too few people, the whole
#: release is held back; any other table can be withheld on its own.
SAMPLE_TABLE = "sample"
#: Cell of a single-select table that stands for all of its suppressed categories together:
#: a reader can work out only their sum (the total minus the published counts).
WITHHELD_CELL = "(withheld)"


class ReleasePlan(NamedTuple):
    """What may be published (see :func:`plan_release`).

    ``hold``: the people counted changed by too few since an earlier release; publish that
    release's figures again instead. ``withhold``: tables not to publish in this release.
    ``fewest``: for each failing table, the fewest people that changed in one of its cells.
    """

    hold: bool
    withhold: frozenset[str]
    fewest: dict[str, int]


def changed_people(
    earlier: Mapping[str, Mapping[str, str]], current: Mapping[str, Mapping[str, str]]
) -> dict[str, int]:
    """How many people joined, left or changed their contribution, per cell of one table.

    Parameters
    ----------
    earlier, current : mapping of cell to mapping of person to token
        One table of two releases (:data:`Contributions`). A cell missing from one release
        had nobody in it there.

    Returns
    -------
    dict of str to int
        For each cell of either release, ``|{p : earlier[p] ≠ current[p]}|`` where a person
        absent from a cell has no token there.

    Examples
    --------
    >>> changed_people({"female": {"a": "1", "b": "1"}}, {"female": {"b": "1"}, "male": {}})
    {'female': 1, 'male': 0}
    """
    changed = {}
    for cell in list(earlier) + [c for c in current if c not in earlier]:
        before, after = earlier.get(cell, {}), current.get(cell, {})
        people = set(before) | set(after)
        changed[str(cell)] = sum(before.get(p) != after.get(p) for p in people)
    return changed


def plan_release(
    current: Contributions,
    earlier: Iterable[tuple[Contributions, int]],
    threshold: int,
) -> ReleasePlan:
    """Which tables of a new release may be published, given every earlier release.

    Parameters
    ----------
    current : Contributions
        What the new release would publish.
    earlier : iterable of (Contributions, int)
        Every earlier release that may have reached the same readers: the tables it
        published and the threshold it was made with.
    threshold : int
        The new release's threshold.

    Returns
    -------
    ReleasePlan

    Notes
    -----
    A reader who holds two releases can subtract them: ``n₁·mean₁ − n₂·mean₂`` is the sum of
    the scores of the people who differ, and a count that went down by one says which group
    the person who left was in. Both are figures about the people who *changed*, so the
    threshold rule is applied to them: for every pair (earlier, new) and every cell of a table
    both published, the number of people that changed must be 0 or at least ``t``, with ``t``
    the smaller of the two releases' thresholds (a reader of both may see cells of that
    size). A table that fails against any earlier release is withheld from the new one; when
    :data:`SAMPLE_TABLE` fails — too few people joined or left in all — the release is held
    back whole.

    Examples
    --------
    >>> old = {"sample": {"n": {p: "1" for p in "abcdef"}}}
    >>> new = {"sample": {"n": {p: "1" for p in "abcde"}}}  # f withdrew
    >>> plan_release(new, [(old, 5)], 5).hold
    True
    """
    threshold = _threshold(threshold)
    fewest: dict[str, int] = {}
    for contributions, earlier_threshold in earlier:
        limit = min(threshold, _threshold(earlier_threshold, "earlier threshold"))
        for table in current:
            if table not in contributions:
                continue
            changed = changed_people(contributions[table], current[table])
            small = [c for c in changed.values() if 0 < c < limit]
            if small:
                fewest[table] = min(min(small), fewest.get(table, limit))
    return ReleasePlan(SAMPLE_TABLE in fewest, frozenset(fewest), fewest)


def published_contributions(contributions: Contributions, report: Mapping[str, Any]
                            ) -> dict[str, dict[str, dict[str, str]]]:
    """The contributions a protected cohort report actually publishes.

    Suppressed categories of a single-select breakdown become one cell, :data:`WITHHELD_CELL`
    (a reader knows only their sum); suppressed categories of a multi-select breakdown are
    dropped (nothing about them can be worked out), and so is a breakdown withheld whole.
    Where the mean age, an axis mean or a mean effect is withheld, nothing about the values
    is published, so each person there only counts ("1"); a trajectory point whose mean is
    withheld is dropped. Everything else is kept as it is, which can only make
    :func:`plan_release` more cautious. Table names are those of :func:`withhold_tables`.
    """
    sample = report.get("sample", {})
    if sample.get("n") is None:
        return {}  # everything withheld: nothing about anyone is published
    published = {t: {c: dict(m) for c, m in cells.items()} for t, cells in contributions.items()}
    for key, rows in sample.get("breakdowns", {}).items():
        table = published.get(f"breakdown:{key}")
        if table is None:
            continue
        if any(r.get("withheld") for r in rows):
            del published[f"breakdown:{key}"]  # nothing of it is published
            continue
        hidden = [_cell_name(r["category"]) for r in rows if r.get("suppressed")]
        pooled: dict[str, str] = {}
        for cell in hidden:
            pooled.update(table.pop(cell, {}))
        if key not in sample.get("multi_select", []) and hidden:
            table[WITHHELD_CELL] = pooled
    means = [("age", sample.get("age") or {}, "mean")]
    means += [(f"axis:{r['instrument_id']}@{r['instrument_version']}:{r['axis']}", r, "mean")
              for r in report.get("axis_scores", [])]
    means += [(f"factor:{r['factor']}:{r['axis']}", r, "mean_effect")
              for r in report.get("factor_axis_map", [])]
    for name, row, key in means:
        if name in published and row.get(key) is None:
            _counted_only(published[name])
    for point in (report.get("change") or {}).get("trajectory", []):
        if point.get("mean") is None:
            published.get(f"change:{point['axis']}", {}).pop(f"days:{point['days']}", None)
    return published


def _counted_only(table: dict[str, dict[str, str]]) -> None:
    # the statistic over these people was not published: only whether each one is counted
    for cell, members in table.items():
        table[cell] = dict.fromkeys(members, "1")


def _cell_name(category: Any) -> str:
    return "" if category is None else str(category)


def withhold_tables(report: Mapping[str, Any], tables: Iterable[str]) -> dict[str, Any]:
    """A copy of a cohort report without the figures of ``tables``.

    Table names: ``age``; ``breakdown:<key>`` (the breakdown becomes one row labelled
    :data:`WITHHELD_LABEL`); ``axis:<instrument>@<version>:<axis>`` and
    ``axis-missing:<instrument>@<version>:<axis>`` (the axis-score row's statistics, or its
    count of missing scores); ``factor:<factor>:<axis>`` (a factor × axis cell);
    ``change:<axis>`` (the row of the change table and the points of the trajectory on that
    axis). ``sample`` is not withheld here: without it the release is held back whole.
    """
    withheld = set(tables)
    out = copy.deepcopy(dict(report))
    sample = out.get("sample") or {}
    if "age" in withheld and sample.get("age") is not None:
        sample["age"] = dict.fromkeys(sample["age"])
    for key in list(sample.get("breakdowns", {})):
        if f"breakdown:{key}" in withheld and sample["breakdowns"][key]:
            sample["breakdowns"][key] = [_withheld_row()]
    for row in out.get("axis_scores", []):
        key = f"{row['instrument_id']}@{row['instrument_version']}:{row['axis']}"
        if f"axis:{key}" in withheld:
            row.update(dict.fromkeys(("n", "n_missing", *_AXIS_STATISTICS)))
        if f"axis-missing:{key}" in withheld:
            row["n_missing"] = None
    for row in out.get("factor_axis_map", []):
        if f"factor:{row['factor']}:{row['axis']}" in withheld:
            row.update(dict.fromkeys((*_FACTOR_COUNTS, "mean_effect", *_SHARES)))
    change = out.get("change") or {}
    for row in change.get("axes", []):
        if f"change:{row['axis']}" in withheld:
            row.update({k: None for k in row if k not in ("axis", "axis_label")}, withheld=True)
    for point in change.get("trajectory", []):
        if f"change:{point['axis']}" in withheld:
            point["mean"] = point["n"] = None
    return out


# --------------------------------------------------------------------------------------------
# rounding what is published

#: Decimals of each published statistic outside the organisation: scores on the 0–100 scale
#: and ages to whole numbers, effects on the −2…+2 scale to one decimal, shares (0–1) to whole
#: percent. That is all a reader needs, and it blurs what subtracting two releases can tell.
RELEASE_DECIMALS = {"score": 0, "age": 0, "effect": 1, "share": 2, "days": 0}


def round_half_up(value: Any, decimals: int) -> int | float | None:
    """``value`` rounded half away from zero (not to even), as a whole number when
    ``decimals`` is 0; ``None`` stays ``None``.

    >>> round_half_up(2.5, 0), round_half_up(-0.25, 1), round_half_up(0.125, 2)
    (3, -0.3, 0.13)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    from decimal import ROUND_HALF_UP, Decimal

    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return int(rounded) if decimals == 0 else float(rounded)


def _round_keys(row: dict[str, Any], keys: Iterable[str], kind: str) -> None:
    for key in keys:
        if key in row:
            row[key] = round_half_up(row[key], RELEASE_DECIMALS[kind])


def round_for_release(report: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a protected cohort report with its statistics rounded for readers outside
    the organisation (:data:`RELEASE_DECIMALS`).

    Means, standard deviations and medians of scores become whole numbers, the mean age
    whole years, mean effects one decimal, shares (and their intervals) whole percent, the
    median days to improvement whole days; the trajectory's means whole numbers. Counts and
    the breakdowns' percentages are left alone: each is exact already, or follows from
    published counts. Rounding is half up. An internal report is returned unchanged.

    Notes
    -----
    A mean is a sum divided by ``n``; published exactly, two releases give the sum of the
    scores of whoever differs between them (``n₁·mean₁ − n₂·mean₂``). Rounded to whole
    numbers, that difference is known only within ``±(n₁ + n₂)/2`` points.
    """
    out = copy.deepcopy(dict(report))
    disclosure = (out.get("meta") or {}).get("disclosure") or {}
    if disclosure.get("audience", str(Audience.INTERNAL)) == Audience.INTERNAL:
        return out
    age = (out.get("sample") or {}).get("age")
    if age is not None:
        _round_keys(age, ["mean"], "age")
    for row in out.get("axis_scores", []):
        _round_keys(row, ["mean", "sd", "median", "minimum", "maximum"], "score")
    for row in out.get("factor_axis_map", []):
        _round_keys(row, ["mean_effect"], "effect")
        _round_keys(row, _SHARES, "share")
    change = out.get("change") or {}
    for row in change.get("axes", []):
        _round_keys(row, [k for k in row if k.endswith(("_share", "_lower", "_upper"))],
                    "share")
        _round_keys(row, ["median_days_to_improvement"], "days")
    for point in change.get("trajectory", []):
        _round_keys(point, ["mean"], "score")
    return out
