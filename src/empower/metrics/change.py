"""Change over time: who reliably improved on each axis, and how soon.

Donors want to know who is better off, not how many people were "assisted". A rise in a
cohort's average can come from a few large gains, from measurement noise, or from the people
who did worse having left. This module therefore judges each participant's change on each axis
against the noise of the instrument that measured it, and only then counts people:

* :func:`reliable_change` – the Jacobson–Truax reliable change index (RCI) of one change;
* :func:`classify_change` – one row per participant and axis: reliably improved, no reliable
  change or reliably deteriorated, plus a minimal-important-difference (0.5 SD) lens;
* :func:`time_to_improvement` – Kaplan–Meier estimate of the time to the first reliable
  improvement, with people not (yet) improved censored rather than counted as failures;
* :func:`cohort_change_summary` – per axis, counts and shares of the three categories with
  Wilson intervals, ready for a report; :func:`protect_change_summary` applies the
  small-cell rules of :mod:`empower.metrics.privacy` before it leaves the organisation.

Scores are on the common 0–100 metric and higher means more empowered. Each score stays tied
to the instrument version that produced it; assessments made with different versions are
compared only through an axis both versions measure, with the reliabilities of both versions
(see :func:`standard_error_of_difference`), and every such row says so.

Every function takes plain data. Consent is the caller's job: pass only the scores of
participants whose consent covers this use (the web layer does so).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from empower.metrics.privacy import (
    DEFAULT_THRESHOLD,
    Audience,
    DisclosureError,
    suppress_breakdown,
    threshold_for,
)

#: Columns of the long score frame.
SCORE_COLUMNS = ("participant", "date", "instrument_id", "instrument_version", "axis", "score")
#: Reliable-change categories, in report order.
CATEGORIES = ("reliably_improved", "no_reliable_change", "reliably_deteriorated")
#: Categories of the minimal-important-difference lens, in the same order.
MID_CATEGORIES = ("improved", "unchanged", "deteriorated")
#: |RCI| above this is unlikely (p < .05, two-sided) to be measurement error alone.
RCI_CRITERION = 1.96
#: Half a baseline standard deviation (Norman, Sloan & Wyrwich 2003).
MID_FRACTION = 0.5
#: Ways of choosing the assessments to compare in :func:`classify_change`.
COMPARISONS = ("first_latest", "consecutive")

Reliabilities = Mapping[tuple[Hashable, Hashable, Hashable], float]

_CLASSIFIED_COLUMNS = (
    "participant",
    "axis",
    "baseline_date",
    "latest_date",
    "days",
    "baseline_instrument",
    "baseline_version",
    "latest_instrument",
    "latest_version",
    "baseline",
    "latest",
    "change",
    "sd",
    "reliability_baseline",
    "reliability_latest",
    "s_diff",
    "rci",
    "category",
    "mid",
    "comparison_note",
)


# --------------------------------------------------------------------------------------------
# one change


def _real(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise ValueError(f"{what} must be a number, not {value!r}")
    return float(value)


def _finite(value: Any, what: str) -> float:
    number = _real(value, what)
    if math.isinf(number):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return number


def _reliability(value: Any, what: str = "reliability") -> float:
    r = _real(value, what)
    if not 0 <= r < 1:
        raise ValueError(f"{what} must lie in [0, 1): {value!r}")
    return r


def _sd(value: Any, what: str = "sd_baseline") -> float:
    sd = _real(value, what)
    if not sd > 0 or math.isinf(sd):
        raise ValueError(f"{what} must be a positive number: {value!r}")
    return sd


def standard_error_of_difference(
    sd_baseline: float, reliability: float, reliability_follow_up: float | None = None
) -> float:
    """The standard error of the difference between two scores, S_diff.

    Parameters
    ----------
    sd_baseline : float
        Standard deviation of the scores at baseline, SD₁ (> 0).
    reliability : float
        Reliability r₁ of the baseline measurement, 0 ≤ r < 1 (Cronbach's alpha of the axis's
        subscale, or a test–retest coefficient).
    reliability_follow_up : float, optional
        Reliability r₂ of the follow-up measurement when it used another instrument version;
        defaults to ``reliability``.

    Returns
    -------
    float

    Notes
    -----
    Jacobson & Truax (1991): the standard error of measurement is ``S_E = SD₁·√(1 − r)`` and,
    both scores carrying that error, ``S_diff = √(2·S_E²) = SD₁·√(2·(1 − r))``.

    When the two scores come from instrument versions with different reliabilities, each
    carries its own error variance, ``SD₁²·(1 − r₁)`` and ``SD₁²·(1 − r₂)``, and the variance
    of the difference is their sum: ``S_diff = SD₁·√((1 − r₁) + (1 − r₂))``. With ``r₁ = r₂``
    this is the Jacobson–Truax formula. Both errors are scaled by the one baseline SD, since
    the versions report on the common 0–100 metric.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: a statistical approach to
    defining meaningful change in psychotherapy research. *Journal of Consulting and
    Clinical Psychology*, 59(1), 12–19.

    Examples
    --------
    >>> round(standard_error_of_difference(15, 0.84), 3)  # S_E = 6
    8.485
    >>> round(standard_error_of_difference(15, 0.75, 0.84), 3)
    9.605
    """
    sd = _sd(sd_baseline)
    r1 = _reliability(reliability)
    r2 = r1 if reliability_follow_up is None else _reliability(reliability_follow_up)
    return sd * math.sqrt((1 - r1) + (1 - r2))


def reliable_change(
    baseline: float,
    follow_up: float,
    sd_baseline: float,
    reliability: float,
    reliability_follow_up: float | None = None,
) -> float:
    """Jacobson–Truax reliable change index of one participant's change on one axis.

    Parameters
    ----------
    baseline, follow_up : float
        The two scores x₁ and x₂ (0–100; higher is more empowered).
    sd_baseline : float
        Standard deviation of baseline scores, SD₁ (> 0).
    reliability : float
        Reliability r₁ of the measurement, 0 ≤ r < 1.
    reliability_follow_up : float, optional
        Reliability r₂ of the follow-up when another instrument version was used; see
        :func:`standard_error_of_difference`.

    Returns
    -------
    float
        ``RCI = (x₂ − x₁) / S_diff``. Above +1.96: reliably improved; below −1.96: reliably
        deteriorated (a change that large arises from measurement error alone less than 5 %
        of the time).

    Notes
    -----
    ``S_E = SD₁·√(1 − r)``, ``S_diff = √(2·S_E²)`` (Jacobson & Truax 1991); with two
    versions ``S_diff = SD₁·√((1 − r₁) + (1 − r₂))``. The divisor is the standard error of
    the *difference* (the correction of Christensen & Mendoza 1986 that Jacobson & Truax
    adopted), not ``S_E`` alone: both scores carry measurement error.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). *Journal of Consulting and Clinical Psychology*,
    59(1), 12–19. Christensen, L., & Mendoza, J. L. (1986). *Behavior Therapy*, 17, 305–308.

    Examples
    --------
    SD 15 and r 0.84 give S_E = 15·√0.16 = 6 and S_diff = √72 = 8.485; a gain of 20 points
    is 20 / 8.485 = 2.357 > 1.96, a reliable improvement:

    >>> round(reliable_change(50, 70, 15, 0.84), 3)
    2.357
    """
    x1 = _finite(baseline, "baseline")
    x2 = _finite(follow_up, "follow_up")
    return (x2 - x1) / standard_error_of_difference(sd_baseline, reliability, reliability_follow_up)


def _category(rci: float, criterion: float) -> str:
    if rci > criterion:
        return CATEGORIES[0]
    if rci < -criterion:
        return CATEGORIES[2]
    return CATEGORIES[1]


def _mid_category(change: float, threshold: float) -> str:
    if change >= threshold:
        return MID_CATEGORIES[0]
    if change <= -threshold:
        return MID_CATEGORIES[2]
    return MID_CATEGORIES[1]


# --------------------------------------------------------------------------------------------
# preparing the score frame


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def _prepare(scores: pd.DataFrame) -> pd.DataFrame:
    """Validated copy: dates as days, scores as floats; every row kept (NaN scores too)."""
    _require_columns(scores, SCORE_COLUMNS, "scores")
    for column in ("participant", "date", "instrument_id", "instrument_version", "axis"):
        if scores[column].isna().any():
            raise ValueError(f"scores: every row needs a {column}")
    try:
        dates = pd.to_datetime(scores["date"]).dt.normalize()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scores: date must be dates: {exc}") from None
    try:
        values = pd.to_numeric(scores["score"].astype(object).where(scores["score"].notna()))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scores: score must be numbers or missing: {exc}") from None
    values = values.astype(float)
    if ((values < 0) | (values > 100)).any():
        raise ValueError("scores: score must lie between 0 and 100 (or be missing)")
    frame = scores.loc[:, list(SCORE_COLUMNS)].assign(date=dates, score=values)
    known = frame[frame["score"].notna()]
    twice = known.duplicated(["participant", "axis", "date"], keep=False)
    if twice.any():
        row = known[twice].iloc[0]
        raise ValueError(
            f"scores: participant {row['participant']!r} has two scores on axis "
            f"{row['axis']!r} on {row['date'].date()}; keep one assessment per day"
        )
    return frame.reset_index(drop=True)


def _reliability_of(
    reliabilities: Reliabilities, instrument: Any, version: Any, axis: Any
) -> float:
    try:
        value = reliabilities[(instrument, version, axis)]
    except KeyError:
        raise ValueError(
            f"no reliability given for axis {axis!r} of {instrument!r} version {version!r}"
        ) from None
    return _reliability(value, f"reliability of {(instrument, version, axis)!r}")


def baseline_sd(scores: pd.DataFrame) -> dict[Hashable, float]:
    """Standard deviation of the baseline scores, per axis.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long frame with columns ``participant``, ``date``, ``instrument_id``,
        ``instrument_version``, ``axis``, ``score`` (0–100 or NaN).

    Returns
    -------
    dict
        Axis → sample standard deviation (n − 1 in the denominator) of each participant's
        *baseline* score on that axis, the score of their first assessment that measured it;
        NaN when fewer than two participants have one. Axes in order of first appearance.

    Notes
    -----
    Jacobson & Truax (1991) use the SD of a pre-treatment (or normal) population. Empower has
    no published norms for its axes, so the cohort's own baseline stands in for it: this is
    what it was like at intake, in this cohort. Versions are pooled, as all report on the
    common 0–100 metric. With few participants this SD is itself uncertain; pass a value
    from a larger cohort to :func:`classify_change` when one is available.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"participant": ["A", "A", "B", "C"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-02-01", "2024-03-01"]),
    ...     "instrument_id": "four_axis", "instrument_version": 2,
    ...     "axis": "inner_peace", "score": [40.0, 90.0, 50.0, 60.0]})
    >>> baseline_sd(frame)  # SD of 40, 50, 60
    {'inner_peace': 10.0}
    """
    return _baseline_sd(_prepare(scores))


def _baseline_sd(frame: pd.DataFrame) -> dict[Hashable, float]:
    known = frame[frame["score"].notna()].sort_values("date", kind="stable")
    first = known.drop_duplicates(["participant", "axis"], keep="first")
    result: dict[Hashable, float] = {}
    for axis in pd.unique(frame["axis"]):
        values = first.loc[first["axis"] == axis, "score"]
        result[axis] = float(values.std(ddof=1)) if len(values) >= 2 else math.nan
    return result


def _sd_by_axis(
    frame: pd.DataFrame, sd: float | Mapping[Hashable, float] | None
) -> dict[Hashable, float]:
    """Given SDs where the caller gave them, estimated from the baseline otherwise."""
    estimated = _baseline_sd(frame)
    if sd is None:
        given: Mapping[Hashable, float] = {}
    elif isinstance(sd, Mapping):
        given = sd
    else:
        given = dict.fromkeys(estimated, sd)
    return {axis: given.get(axis, value) for axis, value in estimated.items()}


def _checked_sd(value: float, axis: Any) -> float:
    if isinstance(value, Real) and not math.isnan(value) and value > 0:
        return _sd(value, f"sd of axis {axis!r}")
    raise ValueError(
        f"the baseline SD of axis {axis!r} is {value!r}, not a positive number: estimating "
        "it needs at least two different baseline scores; pass sd= (e.g. from a larger cohort)"
    )


# --------------------------------------------------------------------------------------------
# comparisons


def _version_label(instrument: Any, version: Any) -> str:
    return f"{instrument} v{version}"


def _axes_by_version(frame: pd.DataFrame, reliabilities: Reliabilities) -> set[tuple]:
    """(instrument, version, axis) triples known to exist, from the data and the reliabilities."""
    keys = zip(frame["instrument_id"], frame["instrument_version"], frame["axis"], strict=True)
    return set(keys) | set(reliabilities)


def _lacking_note(
    versions: Iterable[tuple[Any, Any]], axis: Any, known_axes: set[tuple], base: str
) -> str:
    """Add to ``base`` which of the participant's instrument versions have no such axis."""
    lacking = [_version_label(i, v) for i, v in versions if (i, v, axis) not in known_axes]
    if lacking:
        return f"{base}; {', '.join(lacking)} has no {axis} axis, so it is skipped"
    return base


def _pair_row(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    sd: float,
    reliabilities: Reliabilities,
    criterion: float,
    mid_fraction: float,
) -> dict[str, Any]:
    axis = first["axis"]
    v1 = (first["instrument_id"], first["instrument_version"])
    v2 = (second["instrument_id"], second["instrument_version"])
    r1 = _reliability_of(reliabilities, *v1, axis)
    r2 = _reliability_of(reliabilities, *v2, axis)
    s_diff = standard_error_of_difference(sd, r1, r2)
    change = float(second["score"] - first["score"])
    rci = change / s_diff
    if v1 == v2:
        note = f"same instrument version ({_version_label(*v1)})"
    else:
        note = (
            "compared across versions through the shared axis "
            f"({_version_label(*v1)} → {_version_label(*v2)})"
        )
    return {
        "latest_date": second["date"],
        "days": int((second["date"] - first["date"]).days),
        "latest_instrument": v2[0],
        "latest_version": v2[1],
        "latest": float(second["score"]),
        "change": change,
        "reliability_baseline": r1,
        "reliability_latest": r2,
        "s_diff": s_diff,
        "rci": rci,
        "category": _category(rci, criterion),
        "mid": _mid_category(change, mid_fraction * sd),
        "comparison_note": note,
    }


def _pairs(known: Sequence[Any], compare: str) -> list[tuple[int, int]]:
    """Positions (in date order) of the assessments to compare."""
    last = len(known) - 1
    if compare == "first_latest":
        return [(0, last)]
    if compare == "consecutive":
        return [(i, i + 1) for i in range(last)]
    return [(0, i) for i in range(1, last + 1)]  # "baseline": every follow-up vs baseline


def _comparisons(
    frame: pd.DataFrame,
    reliabilities: Reliabilities,
    sd: float | Mapping[Hashable, float] | None,
    criterion: float,
    mid_fraction: float,
    compare: str,
) -> list[dict[str, Any]]:
    sds = _sd_by_axis(frame, sd)
    known_axes = _axes_by_version(frame, reliabilities)
    #: each participant's instrument versions, in order of first appearance
    versions_of: dict[Hashable, dict[tuple[Any, Any], None]] = {}
    # Plain records grouped in one pass: per-group pandas calls (filter, sort, iloc) cost tens
    # of microseconds each and dominated the run time on large cohorts.
    groups: dict[tuple[Hashable, Hashable], list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        groups.setdefault((record["participant"], record["axis"]), []).append(record)
        versions_of.setdefault(record["participant"], {})[
            (record["instrument_id"], record["instrument_version"])
        ] = None
    rows: list[dict[str, Any]] = []
    # Rows in order of first appearance of participant and axis; assessments in date order
    # (Python's sort is stable, so same-day order is the input order, as before).
    for (participant, axis), group in groups.items():
        known = sorted((r for r in group if not pd.isna(r["score"])), key=lambda r: r["date"])
        head = {"participant": participant, "axis": axis}
        if len(known) < 2:
            base = (
                "not compared: only one assessment scored this axis"
                if len(known)
                else "not compared: no assessment scored this axis"
            )
            note = _lacking_note(versions_of[participant], axis, known_axes, base)
            only = known[0] if known else None
            rows.append({**head, **_single(only, sds.get(axis)), "comparison_note": note})
            continue
        axis_sd = _checked_sd(sds[axis], axis)
        for i, j in _pairs(known, compare):
            first = known[i]
            rows.append(
                {
                    **head,
                    "baseline_date": first["date"],
                    "baseline_instrument": first["instrument_id"],
                    "baseline_version": first["instrument_version"],
                    "baseline": float(first["score"]),
                    "sd": axis_sd,
                    **_pair_row(
                        first, known[j], axis_sd, reliabilities, criterion, mid_fraction
                    ),
                }
            )
    return rows


def _single(only: Mapping[str, Any] | None, sd: float | None) -> dict[str, Any]:
    if only is None:
        return {"sd": sd}
    return {
        "baseline_date": only["date"],
        "baseline_instrument": only["instrument_id"],
        "baseline_version": only["instrument_version"],
        "baseline": float(only["score"]),
        "sd": sd,
    }


def _check_reliabilities(frame: pd.DataFrame, reliabilities: Reliabilities) -> None:
    """Every measured (instrument, version, axis) needs a reliability, in [0, 1)."""
    known = frame[frame["score"].notna()]
    keys = zip(known["instrument_id"], known["instrument_version"], known["axis"], strict=True)
    for key in dict.fromkeys(keys):
        _reliability_of(reliabilities, *key)


def _check_options(criterion: float, mid_fraction: float) -> None:
    if not _real(criterion, "criterion") > 0:
        raise ValueError("criterion must be positive")
    if not _real(mid_fraction, "mid_fraction") > 0:
        raise ValueError("mid_fraction must be positive")


def classify_change(
    scores: pd.DataFrame,
    reliabilities: Reliabilities,
    *,
    sd: float | Mapping[Hashable, float] | None = None,
    criterion: float = RCI_CRITERION,
    mid_fraction: float = MID_FRACTION,
    compare: str = "first_latest",
) -> pd.DataFrame:
    """Classify each participant's change on each axis as reliable improvement or not.

    Consent is the caller's job: pass only the scores of participants whose consent covers
    this use.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long frame, one row per score: ``participant``, ``date``, ``instrument_id``,
        ``instrument_version``, ``axis``, ``score`` (0–100, higher is more empowered; NaN when
        it could not be computed). Times of day are ignored; a participant may have one score
        per axis and day.
    reliabilities : mapping
        ``{(instrument_id, instrument_version, axis): r}`` with 0 ≤ r < 1, e.g. Cronbach's
        alpha of the axis's subscale or a test–retest coefficient. Every measured
        (instrument, version, axis) needs one. A key also tells that the version has the axis.
    sd : float or mapping of axis to float, optional
        Baseline SD per axis (one number for all axes, or a mapping; axes it does not name are
        estimated). By default estimated by :func:`baseline_sd` from these scores.
    criterion : float, default 1.96
        |RCI| must exceed it for a change to count as reliable.
    mid_fraction : float, default 0.5
        Minimal important difference as a fraction of the baseline SD.
    compare : {"first_latest", "consecutive"}, default "first_latest"
        ``first_latest``: one row per participant and axis, the first assessment that scored
        the axis (baseline) against the latest one. ``consecutive``: one row per pair of
        consecutive scored assessments (baseline_* then means the earlier of the two).

    Returns
    -------
    pandas.DataFrame
        Columns ``participant``, ``axis``, ``baseline_date``, ``latest_date``, ``days``,
        ``baseline_instrument``, ``baseline_version``, ``latest_instrument``,
        ``latest_version``, ``baseline``, ``latest``, ``change`` (latest − baseline), ``sd``,
        ``reliability_baseline``, ``reliability_latest``, ``s_diff``, ``rci``, ``category``
        (:data:`CATEGORIES`), ``mid`` (:data:`MID_CATEGORIES`) and ``comparison_note``.
        A participant with fewer than two scores on an axis still gets a row, with ``category``
        and ``mid`` missing and a note saying why ("not compared: …") — including which of
        their instrument versions lack the axis. Rows follow the order in which participants
        and axes first appear in ``scores``.

    Notes
    -----
    ``RCI = (x₂ − x₁) / S_diff``, ``S_diff = SD·√((1 − r₁) + (1 − r₂))``, which is
    Jacobson & Truax's ``√(2·S_E²)``, ``S_E = SD·√(1 − r)``, when both assessments used
    the same version (see :func:`standard_error_of_difference`). RCI > criterion:
    ``reliably_improved``; RCI < −criterion: ``reliably_deteriorated``; otherwise
    ``no_reliable_change``.

    MID lens: ``change ≥ mid_fraction·SD``: ``improved``; ``change ≤ −mid_fraction·SD``:
    ``deteriorated``; otherwise ``unchanged`` (half a standard deviation, Norman et al. 2003).

    Across instrument versions an axis is compared only when both versions measured it;
    the row's note then reads "compared across versions through the shared axis (… → …)".
    An axis only one version has is compared only between assessments that measured it,
    and the note names the versions that skipped it.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). *Journal of Consulting and Clinical Psychology*,
    59(1), 12–19. Norman, G. R., Sloan, J. A., & Wyrwich, K. W. (2003). Interpretation of
    changes in health-related quality of life: the remarkable universality of half a
    standard deviation. *Medical Care*, 41(5), 582–592.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"participant": ["A", "A"],
    ...     "date": pd.to_datetime(["2024-01-10", "2024-07-10"]),
    ...     "instrument_id": "four_axis", "instrument_version": 2,
    ...     "axis": "self_capacity", "score": [50.0, 70.0]})
    >>> row = classify_change(frame, {("four_axis", 2, "self_capacity"): 0.84}, sd=15).iloc[0]
    >>> round(float(row["rci"]), 3), row["category"], row["mid"]
    (2.357, 'reliably_improved', 'improved')
    """
    if compare not in COMPARISONS:
        raise ValueError(f"compare must be one of {', '.join(COMPARISONS)}: {compare!r}")
    _check_options(criterion, mid_fraction)
    frame = _prepare(scores)
    _check_reliabilities(frame, reliabilities)
    rows = _comparisons(frame, reliabilities, sd, criterion, mid_fraction, compare)
    return _classified_table(rows)


def _classified_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    # Built as objects so that identifiers and versions keep their own type (an integer
    # version stays 2, not 2.0, beside a row that has none).
    table = pd.DataFrame(rows, columns=list(_CLASSIFIED_COLUMNS), dtype=object)
    numbers = ["baseline", "latest", "change", "sd", "reliability_baseline"]
    numbers += ["reliability_latest", "s_diff", "rci"]
    table[numbers] = table[numbers].astype(float)
    for column in ("baseline_date", "latest_date"):
        table[column] = pd.to_datetime(table[column])
    return table.astype({"days": "Int64"})


# --------------------------------------------------------------------------------------------
# time to improvement


@dataclass(frozen=True, eq=False)
class KMResult:
    """A Kaplan–Meier curve of the share of participants not yet reliably improved.

    ``timeline`` holds the distinct times (days since baseline) at which someone improved or
    was censored, ascending; ``survival[i]`` is S(t) just after ``timeline[i]`` (S = 1 before
    the first time); ``n_at_risk[i]``, ``events[i]`` and ``censored[i]`` are nᵢ, dᵢ and the
    number censored at that time. ``median_days`` is ``None`` while S(t) has not reached 0.5.
    ``n`` participants entered the curve; ``n_without_follow_up`` more had only a baseline and
    could not enter it.
    """

    timeline: np.ndarray
    survival: np.ndarray
    median_days: float | None
    n_at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    n: int
    n_without_follow_up: int = 0


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> KMResult:
    """Kaplan–Meier product-limit estimate of the share still without the event.

    Parameters
    ----------
    durations : sequence of float
        Time (≥ 0) to the event or to censoring, per participant.
    observed : sequence of bool
        True when the event happened at that time, False when the participant was censored
        (followed until then without the event).

    Returns
    -------
    KMResult

    Raises
    ------
    ValueError
        For no participants at all (an empty curve would read as "nobody improved"), lengths
        that differ, flags other than True/False, or a negative or non-finite duration.

    Notes
    -----
    At each distinct time tᵢ, with dᵢ events and nᵢ participants still at risk (time ≥ tᵢ),
    ``S(t) = Π_{tᵢ ≤ t} (1 − dᵢ / nᵢ)``. Participants censored at tᵢ count as at risk at tᵢ
    (they were known to be without the event up to then). The median is the first time with
    ``S(t) ≤ 0.5`` (as in Collett 2015 and lifelines); when S stays exactly at 0.5 over an
    interval, some software (R's survival) reports the middle of that interval instead. The
    product is computed in exact fractions: in floating point 5/6 · 3/5 can come out a hair
    above 1/2, which would move the median to a later time.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    *Journal of the American Statistical Association*, 53(282), 457–481.
    Collett, D. (2015). *Modelling Survival Data in Medical Research* (3rd ed.), §2.4.

    Examples
    --------
    >>> km = kaplan_meier([30, 60, 60, 60, 90, 120], [True, True, True, False, False, True])
    >>> km.survival.round(4).tolist(), km.median_days
    ([0.8333, 0.5, 0.5, 0.0], 60.0)
    """
    times = np.asarray(durations, dtype=float)
    flags = np.asarray(observed)
    if times.ndim != 1 or flags.shape != times.shape:
        raise ValueError("durations and observed must be one-dimensional and of equal length")
    if times.size == 0:
        raise ValueError(
            "no participants: a Kaplan–Meier curve needs at least one duration (time to the "
            "event or to censoring)"
        )
    if not np.all(np.isin(flags, [True, False])):
        raise ValueError("observed must hold True/False only")
    flags = flags.astype(bool)
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("durations must be finite and not negative")
    timeline = np.unique(times)
    events = np.array([np.sum(flags & (times == t)) for t in timeline], dtype=int)
    censored = np.array([np.sum(~flags & (times == t)) for t in timeline], dtype=int)
    at_risk = np.array([np.sum(times >= t) for t in timeline], dtype=int)
    exact: list[Fraction] = []
    running = Fraction(1)
    for d, n in zip(events, at_risk, strict=True):
        running *= Fraction(int(n - d), int(n))
        exact.append(running)
    # Exact fractions, so that a curve that reaches one half exactly is seen to reach it.
    reached = [i for i, value in enumerate(exact) if value <= Fraction(1, 2)]
    median = float(timeline[reached[0]]) if reached else None
    survival = np.array([float(value) for value in exact], dtype=float)
    return KMResult(timeline, survival, median, at_risk, events, censored, n=len(times))


def time_to_improvement(
    scores: pd.DataFrame,
    reliabilities: Reliabilities,
    *,
    axis: Hashable,
    sd: float | Mapping[Hashable, float] | None = None,
    criterion: float = RCI_CRITERION,
) -> KMResult:
    """Kaplan–Meier estimate of the time from baseline to the first reliable improvement.

    Consent is the caller's job: pass only the scores of participants whose consent covers
    this use.

    Parameters
    ----------
    scores : pandas.DataFrame
        As for :func:`classify_change`.
    reliabilities : mapping
        As for :func:`classify_change`.
    axis : hashable
        The axis to follow.
    sd : float or mapping, optional
        Baseline SD (see :func:`classify_change`); estimated from the baselines by default.
    criterion : float, default 1.96

    Returns
    -------
    KMResult
        Times in days since each participant's baseline on the axis; ``survival`` is the share
        not yet reliably improved. When nobody has a follow-up yet the curve is empty:
        ``n`` is 0, ``median_days`` is ``None`` and ``n_without_follow_up`` counts those
        waiting for one.

    Notes
    -----
    Each participant's baseline is their first assessment that scored the axis. The event is
    the first later assessment with ``RCI > criterion`` against that baseline (RCI and
    cross-version rule as in :func:`classify_change`); what happens after it does not
    matter here. A participant who has not reliably improved is *censored* at their latest
    assessment: they are still in the programme, not a failure. Participants with a baseline
    only are left out of the curve and counted in ``n_without_follow_up``. The event time is
    the day the improvement was *seen*, so it depends on how often people are assessed.
    Estimator: :func:`kaplan_meier`.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). *JASA*, 53(282), 457–481.
    Jacobson, N. S., & Truax, P. (1991). *JCCP*, 59(1), 12–19.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"participant": ["A", "A", "B", "B"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01", "2024-04-10"]),
    ...     "instrument_id": "four_axis", "instrument_version": 2,
    ...     "axis": "inner_peace", "score": [40.0, 65.0, 45.0, 50.0]})
    >>> km = time_to_improvement(frame, {("four_axis", 2, "inner_peace"): 0.84},
    ...                          axis="inner_peace", sd=15)
    >>> km.timeline.tolist(), km.survival.tolist(), km.median_days
    ([60.0, 100.0], [0.5, 0.5], 60.0)
    """
    _check_options(criterion, MID_FRACTION)
    frame = _prepare(scores)
    _check_reliabilities(frame, reliabilities)
    chosen = frame[frame["axis"] == axis]
    if chosen.empty:
        raise ValueError(f"scores have no axis {axis!r}")
    rows = _comparisons(chosen, reliabilities, sd, criterion, MID_FRACTION, "baseline")
    durations: list[int] = []
    observed: list[bool] = []
    without = 0
    by_person: dict[Hashable, list[dict[str, Any]]] = {}
    for row in _classified_table(rows).to_dict("records"):
        by_person.setdefault(row["participant"], []).append(row)
    for group in by_person.values():  # participants in order of first appearance
        compared = [r for r in group if not pd.isna(r["category"])]
        if not compared:
            without += 1
            continue
        improved = [r for r in compared if r["category"] == CATEGORIES[0]]
        stop = improved[0] if improved else compared[-1]
        durations.append(int(stop["days"]))
        observed.append(bool(improved))
    if not durations:
        # Everyone has a baseline only: a known state of a young programme, not bad input.
        # The curve is empty and says why (n = 0, n_without_follow_up), the median is None.
        empty = np.array([], dtype=int)
        return KMResult(empty.astype(float), empty.astype(float), None, empty, empty, empty,
                        n=0, n_without_follow_up=without)  # fmt: skip
    km = kaplan_meier(durations, observed)
    return KMResult(
        km.timeline,
        km.survival,
        km.median_days,
        km.n_at_risk,
        km.events,
        km.censored,
        n=km.n,
        n_without_follow_up=without,
    )


# --------------------------------------------------------------------------------------------
# cohort summary


def wilson_interval(count: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``count / n``.

    Parameters
    ----------
    count, n : int
        0 ≤ count ≤ n.
    confidence : float, default 0.95

    Returns
    -------
    (float, float)
        Lower and upper limit; ``(nan, nan)`` when n = 0.

    Notes
    -----
    With ``p̂ = count/n`` and ``z`` the ``1 − (1 − confidence)/2`` normal quantile::

        centre = (p̂ + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)

    Unlike the textbook ``p̂ ± z·√(p̂(1 − p̂)/n)`` it stays inside [0, 1] and does not
    collapse to a point at 0 of n or n of n, which matters for the small groups of this field.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209–212.

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(7, 20)]
    [0.181, 0.567]
    """
    if isinstance(count, bool) or isinstance(n, bool):
        raise ValueError("count and n must be whole numbers")
    if int(count) != count or int(n) != n or not 0 <= count <= n:
        raise ValueError(f"need whole numbers 0 ≤ count ≤ n: {count!r} of {n!r}")
    level = _real(confidence, "confidence")
    if not 0 < level < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if n == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def _summary_columns() -> list[str]:
    columns = ["axis", "n", "n_not_compared", "n_across_versions"]
    for category in CATEGORIES:
        columns += [category, f"{category}_share", f"{category}_lower", f"{category}_upper"]
    for category in MID_CATEGORIES:
        columns += [f"mid_{category}", f"mid_{category}_share"]
    return [*columns, "median_days_to_improvement"]


def _summary_row(
    axis: Any, rows: pd.DataFrame, confidence: float, times: Mapping[Hashable, KMResult]
) -> dict[str, Any]:
    compared = rows[rows["category"].notna()]
    n = len(compared)
    across = 0
    if {"baseline_version", "latest_version"} <= set(compared.columns):
        differs = compared["baseline_version"] != compared["latest_version"]
        if {"baseline_instrument", "latest_instrument"} <= set(compared.columns):
            differs |= compared["baseline_instrument"] != compared["latest_instrument"]
        across = int(differs.sum())
    out: dict[str, Any] = {
        "axis": axis,
        "n": n,
        "n_not_compared": len(rows) - n,
        "n_across_versions": across,
    }
    for category in CATEGORIES:
        count = int((compared["category"] == category).sum())
        lower, upper = wilson_interval(count, n, confidence)
        out[category] = count
        out[f"{category}_share"] = count / n if n else math.nan
        out[f"{category}_lower"], out[f"{category}_upper"] = lower, upper
    for category in MID_CATEGORIES:
        count = int((compared["mid"] == category).sum())
        out[f"mid_{category}"] = count
        out[f"mid_{category}_share"] = count / n if n else math.nan
    km = times.get(axis)
    out["median_days_to_improvement"] = None if km is None else km.median_days
    return out


def cohort_change_summary(
    classified: pd.DataFrame,
    *,
    confidence: float = 0.95,
    times: Mapping[Hashable, KMResult] | None = None,
) -> pd.DataFrame:
    """Per axis: how many participants reliably improved, did not change, deteriorated.

    Consent is the caller's job: pass only rows of participants whose consent covers this
    use. The result holds exact small counts; apply :func:`protect_change_summary` before
    it leaves the organisation.

    Parameters
    ----------
    classified : pandas.DataFrame
        The output of :func:`classify_change` with ``compare="first_latest"`` (one row per
        participant and axis).
    confidence : float, default 0.95
        Level of the Wilson intervals.
    times : mapping of axis to KMResult, optional
        :func:`time_to_improvement` per axis, for the median time to improvement.

    Returns
    -------
    pandas.DataFrame
        One row per axis (order of first appearance): ``n`` (participants compared),
        ``n_not_compared`` (fewer than two scores on the axis), ``n_across_versions``
        (compared across instrument versions through the shared axis); for each of
        :data:`CATEGORIES` the count, ``<category>_share`` and the Wilson interval
        ``<category>_lower`` / ``<category>_upper``; for the MID lens ``mid_improved``,
        ``mid_unchanged``, ``mid_deteriorated`` and their ``_share``;
        ``median_days_to_improvement`` (``None`` if not reached or not given).

    Notes
    -----
    ``share = count / n`` over the participants compared; interval by
    :func:`wilson_interval`. Shares and intervals are NaN when n = 0.

    References
    ----------
    Wilson, E. B. (1927). *JASA*, 22(158), 209–212.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"participant": list("ABCD"), "axis": "inner_peace",
    ...     "category": ["reliably_improved", "no_reliable_change", "reliably_improved", None],
    ...     "mid": ["improved", "unchanged", "improved", None]})
    >>> row = cohort_change_summary(rows).iloc[0]
    >>> int(row["n"]), int(row["reliably_improved"]), int(row["n_not_compared"])
    (3, 2, 1)
    >>> [round(float(row[k]), 3) for k in ("reliably_improved_lower", "reliably_improved_upper")]
    [0.208, 0.939]
    """
    _require_columns(classified, ("participant", "axis", "category", "mid"), "classified")
    if classified.duplicated(["participant", "axis"]).any():
        raise ValueError(
            "classified has several rows for one participant and axis; summarise the "
            "first-versus-latest comparison (compare='first_latest')"
        )
    unknown = set(classified["category"].dropna()) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown category: {sorted(map(str, unknown))}")
    rows = [
        _summary_row(axis, group, confidence, times or {})
        for axis, group in classified.groupby("axis", sort=False)
    ]
    return pd.DataFrame(rows, columns=_summary_columns())


def _protected_counts(
    row: dict[str, Any], keys: Sequence[str], total: int, threshold: int
) -> list[str]:
    """Keys of a one-way table adding up to ``total`` that must be hidden."""
    cells = [{"key": key, "count": int(row[key])} for key in keys]
    try:
        protected = suppress_breakdown(cells, threshold, total=total)
    except DisclosureError:
        return [key for key in keys if row[key] > 0]
    return [cell["key"] for cell in protected if cell["suppressed"]]


def protect_change_summary(
    summary: pd.DataFrame, audience: Audience | str, threshold: int = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """A copy of :func:`cohort_change_summary` that is safe to show to ``audience``.

    Parameters
    ----------
    summary : pandas.DataFrame
        The output of :func:`cohort_change_summary`; never modified.
    audience : Audience or str
    threshold : int, default 5
        The organisation's threshold; the audience's rule applies on top
        (:func:`empower.metrics.privacy.threshold_for`).

    Returns
    -------
    pandas.DataFrame
        Unchanged (but for a ``withheld`` column of False) for ``internal``. Otherwise, with
        ``t`` the effective threshold, hidden values are ``None`` and ``withheld`` says whether
        anything in the row was hidden:

        * ``n`` (participants compared) is hidden when ``0 < n < t``, and then every other
          number of the row too: counts, shares and intervals computed over ``n``, and
          ``n_not_compared`` and ``n_across_versions``, which with the published cohort size
          would give ``n`` back;
        * ``n_not_compared`` (people with a baseline only) says nothing about anyone's life and
          is published otherwise;
        * the three reliable-change counts add up to ``n``: primary and complementary
          suppression (:func:`empower.metrics.privacy.suppress_breakdown`); a hidden count
          hides its share and interval, which would give it back;
        * the three MID counts likewise;
        * ``n_across_versions`` (which instrument version was used) is plain and published
          unless ``n`` is hidden.

    Notes
    -----
    The rules of ``docs/disclosure-control.md``: counts ``0 < c < t`` are hidden, zeros are
    published. A count equal to ``n`` (everyone on the axis improved) is published; read it
    as a statement about the group.
    """
    audience = Audience(audience)
    limit = threshold_for(audience, threshold)
    protected = summary.copy().astype(object)
    protected["withheld"] = False
    if limit is None:
        return protected
    for index, row in summary.iterrows():
        values = row.to_dict()
        hidden: list[str] = []
        if 0 < int(values["n"]) < limit:
            hidden = [c for c in summary.columns if c != "axis"]
        else:
            n = int(values["n"])
            for category in _protected_counts(values, list(CATEGORIES), n, limit):
                hidden += [category, *(f"{category}_{s}" for s in ("share", "lower", "upper"))]
            mid_keys = [f"mid_{c}" for c in MID_CATEGORIES]
            for key in _protected_counts(values, mid_keys, n, limit):
                hidden += [key, f"{key}_share"]
        for column in hidden:
            protected.at[index, column] = None
        protected.at[index, "withheld"] = bool(hidden)
    return protected


def mean_trajectory(scores: pd.DataFrame, *, bin_days: int = 90) -> pd.DataFrame:
    """Mean score per axis by time since each participant's first assessment.

    Time is cut into bins of ``bin_days`` (the first bin, 0, holds the baselines); within a bin
    each participant counts once, with their mean score there, so people assessed often do not
    weigh more. Returns columns ``axis``, ``days`` (the bin's start), ``n`` and ``mean``.

    Consent is the caller's job, as everywhere in this module; small bins are the caller's too
    (see :func:`empower.metrics.privacy.suppress_statistic`).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"participant": [1, 1, 2, 2], "axis": "healing",
    ...                   "date": pd.to_datetime(["2025-01-01", "2025-04-15", "2025-02-01",
    ...                                           "2025-05-05"]),
    ...                   "score": [40.0, 60.0, 50.0, 80.0]})
    >>> mean_trajectory(s)[["days", "n", "mean"]].values.tolist()
    [[0.0, 2.0, 45.0], [90.0, 2.0, 70.0]]
    """
    if bin_days < 1:
        raise ValueError("bin_days must be at least 1")
    frame = scores.dropna(subset=["score"]).copy()
    if frame.empty:
        return pd.DataFrame(columns=["axis", "days", "n", "mean"])
    frame["date"] = pd.to_datetime(frame["date"])
    first = frame.groupby(["participant", "axis"])["date"].transform("min")
    frame["days"] = ((frame["date"] - first).dt.days // bin_days) * bin_days
    per_person = frame.groupby(["axis", "days", "participant"], sort=True)["score"].mean()
    table = per_person.groupby(level=["axis", "days"]).agg(["size", "mean"]).reset_index()
    table = table.rename(columns={"size": "n"})
    return table.astype({"days": int, "n": int})[["axis", "days", "n", "mean"]]
