"""Agreement between reviewers: Cohen's kappa, weighted kappa, and pairwise tables per stage."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from empower.evidence.screening import DecisionScale

Weights = Literal["linear", "quadratic"]


@dataclass(frozen=True)
class KappaResult:
    """A kappa statistic with what it was computed from.

    ``observed`` and ``expected`` are the (weighted) proportions of agreement, ``table`` the
    confusion matrix of counts (rows: first rater, columns: second rater). ``se`` is the
    large-sample standard error of Fleiss, Cohen & Everitt (1969) and ``ci`` the normal
    interval built from it. When kappa is undefined it is NaN and ``reason`` says why.
    """

    kappa: float
    observed: float
    expected: float
    n: int
    table: pd.DataFrame
    se: float = math.nan
    ci: tuple[float, float] = (math.nan, math.nan)
    weights: str | None = None
    reason: str | None = None


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    categories: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
) -> KappaResult:
    r"""Cohen's kappa for two raters who sorted the same items into nominal categories.

    Parameters
    ----------
    a, b : sequence
        The two raters' decisions, item by item (same length).
    categories : sequence, optional
        Every category, in the order used for the table. Defaults to the sorted categories
        seen; give it so that an unused category still shows in the table.
    confidence : float
        Level of the interval ``ci``.

    Returns
    -------
    KappaResult

    Notes
    -----
    With :math:`p_{ij}` the proportion of items the first rater put in category *i* and the
    second in *j*, and :math:`p_{i\cdot}`, :math:`p_{\cdot j}` the margins (Cohen, 1960):

    .. math::

        p_o = \sum_i p_{ii}, \qquad p_e = \sum_i p_{i\cdot}\,p_{\cdot i}, \qquad
        \kappa = \frac{p_o - p_e}{1 - p_e}.

    When :math:`p_e = 1` (both raters used one and the same category for every item) kappa is
    0/0 and is returned as NaN with a ``reason``. The standard error is the large-sample one
    of Fleiss, Cohen & Everitt (1969), the weighted formula of :func:`weighted_kappa` with
    :math:`w_{ij} = 1` if :math:`i = j` else 0.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement*, 20(1), 37–46.

    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
    and weighted kappa. *Psychological Bulletin*, 72(5), 323–327.

    Examples
    --------
    20 items both raters included, 15 both excluded, 5 and 10 split:

    >>> a = ["in"] * 25 + ["out"] * 25
    >>> b = ["in"] * 20 + ["out"] * 5 + ["in"] * 10 + ["out"] * 15
    >>> r = cohen_kappa(a, b)
    >>> round(r.observed, 3), round(r.expected, 3), round(r.kappa, 3)
    (0.7, 0.5, 0.4)
    """
    cats, table = _table(a, b, categories)
    agreement = np.eye(len(cats))
    return _kappa(cats, table, agreement, None, confidence)


def weighted_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    categories: Sequence[Hashable],
    weights: Weights | Sequence[Sequence[float]] | np.ndarray = "linear",
    *,
    confidence: float = 0.95,
) -> KappaResult:
    r"""Weighted kappa for two raters on an ordered scale.

    Parameters
    ----------
    a, b : sequence
        The two raters' decisions, item by item.
    categories : sequence
        Every category **in scale order**; a disagreement between neighbours costs less than
        one between the ends.
    weights : {"linear", "quadratic"} or k×k array
        Disagreement weights :math:`v_{ij}`: ``"linear"`` is :math:`|i-j|`, ``"quadratic"``
        :math:`(i-j)^2`; an array gives them directly (zero on the diagonal), rows for the
        first rater.

    Returns
    -------
    KappaResult
        ``observed`` and ``expected`` are the *weighted* proportions of agreement.

    Notes
    -----
    Cohen (1968):

    .. math::

        \kappa_w = 1 - \frac{\sum_{ij} v_{ij}\,p_{ij}}{\sum_{ij} v_{ij}\,p_{i\cdot}p_{\cdot j}}.

    With agreement weights :math:`w_{ij} = 1 - v_{ij}/\max v` this is
    :math:`(p_{o(w)} - p_{e(w)}) / (1 - p_{e(w)})`, where
    :math:`p_{o(w)} = \sum w_{ij} p_{ij}` and :math:`p_{e(w)} = \sum w_{ij} p_{i\cdot}p_{\cdot j}`.
    Its large-sample variance (Fleiss, Cohen & Everitt, 1969) is

    .. math::

        \widehat{\operatorname{var}}(\kappa_w) = \frac{
            \sum_{ij} p_{ij}\,[w_{ij}(1 - p_{e(w)}) - (\bar w_{i\cdot} + \bar w_{\cdot j})
            (1 - p_{o(w)})]^2 - [p_{o(w)}p_{e(w)} - 2p_{e(w)} + p_{o(w)}]^2
        }{n\,(1 - p_{e(w)})^4},

    with :math:`\bar w_{i\cdot} = \sum_j p_{\cdot j} w_{ij}` and
    :math:`\bar w_{\cdot j} = \sum_i p_{i\cdot} w_{ij}`.

    References
    ----------
    Cohen, J. (1968). Weighted kappa: nominal scale agreement with provision for scaled
    disagreement or partial credit. *Psychological Bulletin*, 70(4), 213–220.

    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
    and weighted kappa. *Psychological Bulletin*, 72(5), 323–327.

    Examples
    --------
    >>> r = weighted_kappa([1, 2, 3, 3], [1, 3, 3, 2], categories=[1, 2, 3])
    >>> round(r.kappa, 3)
    0.429
    """
    if categories is None or len(categories) < 2:
        raise ValueError("categories: weighted kappa needs every category, in scale order")
    cats, table = _table(a, b, categories)
    k = len(cats)
    i, j = np.indices((k, k))
    if isinstance(weights, str):
        if weights == "linear":
            disagreement = np.abs(i - j).astype(float)
        elif weights == "quadratic":
            disagreement = ((i - j) ** 2).astype(float)
        else:
            raise ValueError(f"weights must be 'linear', 'quadratic' or a matrix, not {weights!r}")
        label = weights
    else:
        disagreement = np.asarray(weights, dtype=float)
        if disagreement.shape != (k, k):
            raise ValueError(f"weights: expected a {k}×{k} matrix, got {disagreement.shape}")
        if np.any(np.diag(disagreement) != 0) or np.any(disagreement < 0):
            raise ValueError("weights: disagreement weights are ≥ 0 with zeros on the diagonal")
        label = "custom"
    top = disagreement.max()
    if top <= 0:
        raise ValueError("weights: at least one disagreement must carry a weight")
    return _kappa(cats, table, 1.0 - disagreement / top, label, confidence)


def _table(
    a: Sequence[Hashable], b: Sequence[Hashable], categories: Sequence[Hashable] | None
) -> tuple[list[Hashable], np.ndarray]:
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"the raters must rate the same items ({len(a)} vs {len(b)} ratings)")
    if categories is None:
        cats = sorted(set(a) | set(b), key=lambda c: (str(type(c)), c))
    else:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise ValueError("categories: each category may appear only once")
        unknown = (set(a) | set(b)) - set(cats)
        if unknown:
            raise ValueError(f"ratings outside the categories: {sorted(map(str, unknown))}")
    index = {c: n for n, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    np.add.at(table, ([index[x] for x in a], [index[y] for y in b]), 1)
    return cats, table


def _kappa(
    cats: list[Hashable],
    table: np.ndarray,
    agreement: np.ndarray,
    weights: str | None,
    confidence: float,
) -> KappaResult:
    n = int(table.sum())
    frame = pd.DataFrame(
        table.astype(int),
        index=pd.Index(cats, name="a"),
        columns=pd.Index(cats, name="b"),
    )
    if n == 0:
        return KappaResult(
            math.nan,
            math.nan,
            math.nan,
            0,
            frame,
            weights=weights,
            reason="no items rated by both raters",
        )
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float((agreement * p).sum())
    pe = float((agreement * np.outer(rows, cols)).sum())
    if math.isclose(pe, 1.0, abs_tol=1e-12):
        return KappaResult(
            math.nan,
            po,
            pe,
            n,
            frame,
            weights=weights,
            reason="kappa is undefined: chance agreement is 1 (every rating in one category)",
        )
    kappa = (po - pe) / (1 - pe)
    w_row = agreement @ cols  # w̄_i. = Σ_j p_.j w_ij
    w_col = agreement.T @ rows  # w̄_.j = Σ_i p_i. w_ij
    core = agreement * (1 - pe) - (w_row[:, None] + w_col[None, :]) * (1 - po)
    var = ((p * core**2).sum() - (po * pe - 2 * pe + po) ** 2) / (n * (1 - pe) ** 4)
    se = math.sqrt(max(var, 0.0))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return KappaResult(
        kappa, po, pe, n, frame, se=se, ci=(kappa - z * se, kappa + z * se), weights=weights
    )


def pairwise_agreement(
    decisions: Mapping[Hashable, Mapping[Hashable, Any]],
    scale: DecisionScale,
    *,
    weights: Weights = "linear",
) -> pd.DataFrame:
    """Agreement of every pair of reviewers at one stage.

    ``decisions`` maps a record id to ``{reviewer: value}``. One row per pair of reviewers who
    screened at least one record in common: ``n`` records both screened, ``agreed`` and
    ``disagreed`` counts, ``observed`` agreement, ``kappa`` with ``kappa_se`` and
    ``kappa_note`` (why it is NaN, if it is), and for an ordinal scale ``weighted_kappa``
    (``weights``, in the scale's inclusiveness order).
    """
    reviewers = sorted({r for votes in decisions.values() for r in votes}, key=str)
    rows = []
    for first, second in itertools.combinations(reviewers, 2):
        pairs = [
            (scale.validate(votes[first]), scale.validate(votes[second]))
            for votes in decisions.values()
            if first in votes and second in votes
        ]
        if not pairs:
            continue
        a, b = [x for x, _ in pairs], [y for _, y in pairs]
        plain = cohen_kappa(a, b, categories=list(scale.inclusiveness))
        row = {
            "reviewer_a": first,
            "reviewer_b": second,
            "n": plain.n,
            "agreed": int(np.trace(plain.table.to_numpy())),
            "disagreed": plain.n - int(np.trace(plain.table.to_numpy())),
            "observed": plain.observed,
            "kappa": plain.kappa,
            "kappa_se": plain.se,
            "kappa_note": plain.reason or "",
        }
        if scale.ordinal:
            weighted = weighted_kappa(a, b, list(scale.inclusiveness), weights)
            row["weighted_kappa"] = weighted.kappa
            row["weighted_kappa_se"] = weighted.se
            row["weights"] = weights
        rows.append(row)
    columns = [
        "reviewer_a",
        "reviewer_b",
        "n",
        "agreed",
        "disagreed",
        "observed",
        "kappa",
        "kappa_se",
        "kappa_note",
    ]
    if scale.ordinal:
        columns += ["weighted_kappa", "weighted_kappa_se", "weights"]
    return pd.DataFrame(rows, columns=columns)


def agreement_by_stage(
    decisions: Mapping[str, Mapping[Hashable, Mapping[Hashable, Any]]],
    scale: DecisionScale | Mapping[str, DecisionScale],
    *,
    weights: Weights = "linear",
) -> pd.DataFrame:
    """:func:`pairwise_agreement` for each stage, stacked with a ``stage`` column.

    ``decisions`` maps a stage name (``"title_abstract"``, ``"full_text"`` …) to that stage's
    ``{record_id: {reviewer: value}}``. ``scale`` is one scale for every stage or a mapping
    from stage name to its scale. Weighted-kappa columns are NaN for nominal stages.
    """
    frames = []
    for stage, stage_decisions in decisions.items():
        stage_scale = scale if isinstance(scale, DecisionScale) else scale[stage]
        frame = pairwise_agreement(stage_decisions, stage_scale, weights=weights)
        frame.insert(0, "stage", stage)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["stage", "reviewer_a", "reviewer_b", "n", "kappa"])
    return pd.concat(frames, ignore_index=True)
