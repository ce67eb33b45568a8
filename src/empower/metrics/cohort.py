"""Cohort summaries: who was interviewed, how they score on each axis, how factors move axes.

These are the three tables every cohort report opens with (see ``domain/BRIEF.md`` §1, "sample
at a glance"). The functions take plain pandas frames – one row per participant, per score or
per effect – so that the web layer, the command line and an analyst's notebook all compute the
same numbers from the same code.

Missing values are kept visible instead of being dropped: a participant whose destination was
not given is counted under the category ``None`` ("not given"), a missing score is counted in
``n_missing``, an effect marked "not applicable" is counted in ``n_not_applicable``. A reader can
then always see what each percentage or mean is based on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

#: Columns of :func:`axis_summary` and :func:`factor_axis_map`, in order.
AXIS_SUMMARY_COLUMNS = (
    "instrument_id", "instrument_version", "axis",
    "n", "n_missing", "mean", "sd", "median", "minimum", "maximum",
)
FACTOR_MAP_COLUMNS = (
    "factor", "axis", "n", "n_not_applicable", "n_unanswered",
    "mean_effect", "share_empowering", "share_disempowering", "share_no_effect",
)

#: Single-choice columns of the participant frame that get a breakdown, in report order.
SINGLE_CHOICE_BREAKDOWNS = ("gender", "status", "destination", "region")
#: Multi-select column: each participant may count under several categories.
MULTI_CHOICE_BREAKDOWNS = ("exploitation_types",)
#: Keys of :attr:`SampleProfile.breakdowns`, in the order a report shows them.
BREAKDOWN_KEYS = ("gender", "status", "destination", "exploitation_types", "region")

PARTICIPANT_COLUMNS = ("code", "age", *BREAKDOWN_KEYS)
SCORE_COLUMNS = ("participant", "instrument_id", "instrument_version", "axis", "score")
EFFECT_COLUMNS = ("participant", "factor", "axis", "effect", "not_applicable")

#: Limits of an effect rating: −2 strongly disempowering … +2 strongly empowering.
EFFECT_MIN, EFFECT_MAX = -2, 2


@dataclass(frozen=True)
class CategoryCount:
    """How many participants fall in one category, and what percent of the sample that is.

    ``category`` is ``None`` for "not given", so that missing answers are counted, not hidden.
    """

    category: str | None
    count: int
    percent: float


@dataclass(frozen=True)
class AgeSummary:
    """Range and mean of the known ages at interview; ``n`` says how many ages were known."""

    n: int
    minimum: int
    maximum: int
    mean: float


@dataclass(frozen=True)
class SampleProfile:
    """The sample at a glance: size, one breakdown per characteristic, and the ages."""

    n: int
    breakdowns: dict[str, list[CategoryCount]]
    age: AgeSummary | None


# --------------------------------------------------------------------------------------------
# helpers


def round_half_up(value: Fraction | int, digits: int = 2) -> float:
    """Round an exact rational ``value`` half away from zero to ``digits`` decimals.

    Percentages are computed as exact fractions and rounded once, the way they are computed
    by hand or in a spreadsheet: 1/32 = 3.125 % becomes 3.13 (Python's ``round`` on the float
    would give 3.12 because it rounds half to even). Rounding the exact value also avoids
    binary floating point artefacts such as ``round(2.675, 2) == 2.67``.
    """
    scale = 10**digits
    scaled = Fraction(value) * scale
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return math.copysign(magnitude, scaled) / scale if magnitude else 0.0


def percent_of(count: int, n: int) -> float:
    """``100 · count / n`` rounded half up to 2 decimals; 0.0 for an empty sample."""
    return round_half_up(Fraction(100 * count, n)) if n else 0.0


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def _is_missing(value: Any) -> bool:
    """True for None, NaN, pd.NA and blank strings – all mean "not given"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        return False  # a (possibly empty) multi-select answer is given, not missing
    return bool(pd.isna(value))


def _sorted_counts(counter: Counter[str | None], n: int) -> list[CategoryCount]:
    """Largest category first, ties by name; "not given" (None) always last."""
    known = sorted(
        ((c, k) for c, k in counter.items() if c is not None), key=lambda ck: (-ck[1], ck[0])
    )
    rows = [CategoryCount(c, k, percent_of(k, n)) for c, k in known]
    if counter.get(None):
        rows.append(CategoryCount(None, counter[None], percent_of(counter[None], n)))
    return rows


def _single_choice_counts(values: Iterable[Any], n: int) -> list[CategoryCount]:
    counter: Counter[str | None] = Counter(
        None if _is_missing(v) else str(v).strip() for v in values
    )
    return _sorted_counts(counter, n)


def _types_of(value: Any) -> set[str]:
    """The distinct, non-blank types one participant reported (a list, or None/NaN for none)."""
    if isinstance(value, str):
        value = [value]
    elif _is_missing(value):
        return set()
    return {str(v).strip() for v in value if not _is_missing(v)}


def _multi_choice_counts(values: Iterable[Any], n: int) -> list[CategoryCount]:
    counter: Counter[str | None] = Counter()
    for value in values:
        types = _types_of(value)
        counter.update(types if types else [None])
    return _sorted_counts(counter, n)


def _age_summary(ages: pd.Series) -> AgeSummary | None:
    known = [a for a in ages if not _is_missing(a)]
    if not known:
        return None
    if any(not isinstance(a, Real) or not float(a).is_integer() or float(a) < 0 for a in known):
        raise ValueError("age must be a whole number of years (or missing)")
    whole = [int(float(a)) for a in known]
    return AgeSummary(
        n=len(whole),
        minimum=min(whole),
        maximum=max(whole),
        mean=round_half_up(Fraction(sum(whole), len(whole))),
    )


def _require_keys(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Identifiers must be present: a score or effect without its axis cannot be placed."""
    for column in columns:
        if frame[column].map(_is_missing).any():
            raise ValueError(f"{what}: every row needs a {column}")


def _ordered(present: Iterable[Hashable], order: Sequence[Hashable] | None) -> list[Hashable]:
    """``order`` first, then anything else present in order of first appearance."""
    seen = list(dict.fromkeys(present))
    head = list(dict.fromkeys(order or []))
    return head + [x for x in seen if x not in head]


# --------------------------------------------------------------------------------------------
# sample profile


def sample_profile(participants: pd.DataFrame) -> SampleProfile:
    """Describe a sample: its size, a count and percent per category, and the ages.

    Parameters
    ----------
    participants : pandas.DataFrame
        One row per participant with columns ``code``, ``gender``, ``age`` (whole years at
        interview, or missing), ``region``, ``exploitation_types`` (list of str, may be empty),
        ``destination`` and ``status``. ``None``, NaN and blank strings mean "not given".

    Returns
    -------
    SampleProfile
        ``n`` is the number of rows. ``breakdowns`` maps each of ``gender``, ``status``,
        ``destination``, ``exploitation_types`` and ``region`` to a list of
        :class:`CategoryCount`, largest count first (ties by name) and "not given" (``None``)
        last. ``age`` is an :class:`AgeSummary` of the known ages, or ``None`` if none is known.

    Notes
    -----
    ``percent = 100 · count / n``, computed exactly and rounded half up to 2 decimals (see
    :func:`round_half_up`); the mean age is rounded the same way. Single-choice percentages
    sum to 100 up to rounding.

    Exploitation types are multi-select: a participant counts once under each type they
    reported, so the percentages are *of participants* and may sum to more than 100. A
    participant who reported no type counts under ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "code": ["A", "B", "C"], "gender": ["female", "female", None],
    ...     "age": [20, 31, None], "region": ["north", "south", "north"],
    ...     "exploitation_types": [["labour"], ["labour", "forced_marriage"], []],
    ...     "destination": ["Thailand", None, "China"], "status": ["returned"] * 3})
    >>> profile = sample_profile(frame)
    >>> [(c.category, c.count, c.percent) for c in profile.breakdowns["gender"]]
    [('female', 2, 66.67), (None, 1, 33.33)]
    >>> profile.age
    AgeSummary(n=2, minimum=20, maximum=31, mean=25.5)
    """
    _require_columns(participants, PARTICIPANT_COLUMNS, "participants")
    n = len(participants)
    breakdowns: dict[str, list[CategoryCount]] = {}
    for key in BREAKDOWN_KEYS:
        counts = _multi_choice_counts if key in MULTI_CHOICE_BREAKDOWNS else _single_choice_counts
        breakdowns[key] = counts(participants[key], n)
    return SampleProfile(n=n, breakdowns=breakdowns, age=_age_summary(participants["age"]))


# --------------------------------------------------------------------------------------------
# axis scores


def _numeric(series: pd.Series, what: str) -> pd.Series:
    try:
        return pd.to_numeric(series.astype(object).where(series.notna(), np.nan)).astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numbers or missing: {exc}") from None


def _describe(scores: pd.Series) -> dict[str, float | int]:
    known = scores.dropna()
    n = len(known)
    return {
        "n": n,
        "n_missing": len(scores) - n,
        "mean": known.mean() if n else np.nan,
        "sd": known.std(ddof=1) if n >= 2 else np.nan,
        "median": known.median() if n else np.nan,
        "minimum": known.min() if n else np.nan,
        "maximum": known.max() if n else np.nan,
    }


def axis_summary(scores: pd.DataFrame, axis_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Describe the 0–100 axis scores per instrument version and axis.

    Scores from different instrument versions are never pooled: each version asked different
    questions, so each ``(instrument_id, instrument_version, axis)`` gets its own row.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per score with columns ``participant``, ``instrument_id``,
        ``instrument_version``, ``axis`` and ``score`` (0–100, or NaN when it could not be
        computed). For a cross-section pass one assessment per participant.
    axis_order : sequence of str, optional
        Axes in the order they should appear; axes not listed follow in order of first
        appearance.

    Returns
    -------
    pandas.DataFrame
        Columns ``instrument_id``, ``instrument_version``, ``axis``, ``n`` (non-missing scores),
        ``n_missing``, ``mean``, ``sd``, ``median``, ``minimum``, ``maximum``; sorted by
        instrument id and version, then axis order.

    Notes
    -----
    ``mean = Σx / n``; ``sd = sqrt(Σ(x − mean)² / (n − 1))`` (sample standard deviation,
    NaN when n < 2); statistics are NaN when n = 0. Nothing is rounded.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"participant": ["A", "B", "C"], "instrument_id": "four_axis",
    ...     "instrument_version": 2, "axis": "inner_peace", "score": [20.0, 40.0, 90.0]})
    >>> row = axis_summary(frame).iloc[0]
    >>> int(row["n"]), float(row["mean"]), round(float(row["sd"]), 4)
    (3, 50.0, 36.0555)
    """
    _require_columns(scores, SCORE_COLUMNS, "scores")
    _require_keys(scores, ["instrument_id", "instrument_version", "axis"], "scores")
    values = _numeric(scores["score"], "score")
    if ((values < 0) | (values > 100)).any():
        raise ValueError("score must lie between 0 and 100 (or be missing)")
    frame = scores.assign(score=values)
    axes = _ordered(frame["axis"], axis_order)
    keys = ["instrument_id", "instrument_version", "axis"]
    rows = [
        {**dict(zip(keys, key, strict=True)), **_describe(group["score"])}
        for key, group in frame.groupby(keys, sort=False, dropna=False)
    ]
    table = pd.DataFrame(rows, columns=list(AXIS_SUMMARY_COLUMNS))
    rank = table["axis"].map({axis: i for i, axis in enumerate(axes)})
    order = table.assign(_rank=rank).sort_values(
        ["instrument_id", "instrument_version", "_rank"], kind="stable"
    )
    return order.drop(columns="_rank").reset_index(drop=True).astype({"n": int, "n_missing": int})


# --------------------------------------------------------------------------------------------
# factor × axis map


def _clean_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Validate effects and flags; an effect marked not applicable must have no value."""
    values = _numeric(effects["effect"], "effect")
    known = values.dropna()
    if ((known < EFFECT_MIN) | (known > EFFECT_MAX) | (known != known.round())).any():
        raise ValueError(f"effect must be a whole number from {EFFECT_MIN} to {EFFECT_MAX}")
    flags = effects["not_applicable"].astype(object).where(effects["not_applicable"].notna(), False)
    not_applicable = flags.astype(bool)
    if (not_applicable & values.notna()).any():
        raise ValueError("an effect marked not applicable must not also have a value")
    return effects.assign(effect=values, not_applicable=not_applicable)


def _effect_cell(group: pd.DataFrame) -> dict[str, float | int]:
    effect = group["effect"].dropna()
    n = len(effect)
    share = (lambda mask: mask.sum() / n) if n else (lambda mask: np.nan)
    return {
        "n": n,
        "n_not_applicable": int(group["not_applicable"].sum()),
        "n_unanswered": int((group["effect"].isna() & ~group["not_applicable"]).sum()),
        "mean_effect": effect.mean() if n else np.nan,
        "share_empowering": share(effect > 0),
        "share_disempowering": share(effect < 0),
        "share_no_effect": share(effect == 0),
    }


def factor_axis_map(
    effects: pd.DataFrame,
    factor_order: Sequence[str] | None = None,
    axis_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Summarise how each factor moved each axis: direction, strength and how often.

    The same factor can empower one survivor and disempower another, so besides the mean
    effect the table gives the share of participants for whom it was empowering and
    disempowering; a mean near 0 with large shares on both sides reads very differently from a
    mean near 0 with "no effect" for everyone.

    Parameters
    ----------
    effects : pandas.DataFrame
        One row per participant, factor and axis with columns ``participant``, ``factor``,
        ``axis``, ``effect`` (whole number from −2 to +2, or missing) and ``not_applicable``
        (bool). A missing effect that is not marked not applicable was not answered.
    factor_order, axis_order : sequence of str, optional
        Rows and columns of the map. Every ``factor × axis`` cell is present, with ``n = 0``
        when nothing was recorded; factors or axes not listed follow in order of appearance.

    Returns
    -------
    pandas.DataFrame
        One row per ``(factor, axis)`` with columns ``factor``, ``axis``, ``n`` (numeric
        effects), ``n_not_applicable``, ``n_unanswered``, ``mean_effect``, ``share_empowering``,
        ``share_disempowering``, ``share_no_effect``.

    Notes
    -----
    With ``e`` the numeric effects of a cell: ``mean_effect = Σe / n``,
    ``share_empowering = #(e > 0) / n``, ``share_disempowering = #(e < 0) / n``,
    ``share_no_effect = #(e = 0) / n``; the three shares sum to 1. All are NaN when n = 0.
    Not-applicable and unanswered effects are counted but never enter the mean or shares.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"participant": ["A", "B", "C"], "factor": "family",
    ...     "axis": "inner_peace", "effect": [2, -1, None],
    ...     "not_applicable": [False, False, True]})
    >>> row = factor_axis_map(frame).iloc[0]
    >>> int(row["n"]), int(row["n_not_applicable"]), float(row["mean_effect"])
    (2, 1, 0.5)
    >>> float(row["share_empowering"]), float(row["share_disempowering"])
    (0.5, 0.5)
    """
    _require_columns(effects, EFFECT_COLUMNS, "effects")
    _require_keys(effects, ["factor", "axis"], "effects")
    frame = _clean_effects(effects)
    groups = {key: group for key, group in frame.groupby(["factor", "axis"], sort=False)}
    empty = frame.iloc[0:0]
    rows = [
        {"factor": factor, "axis": axis, **_effect_cell(groups.get((factor, axis), empty))}
        for factor in _ordered(frame["factor"], factor_order)
        for axis in _ordered(frame["axis"], axis_order)
    ]
    table = pd.DataFrame(rows, columns=list(FACTOR_MAP_COLUMNS))
    return table.astype({"n": int, "n_not_applicable": int, "n_unanswered": int})
