"""Reliability: do an instrument's items measure one thing, consistently?

Donors and partners ask whether a scale "works". The usual evidence is a reliability
coefficient computed from the answers themselves: Cronbach's alpha with its confidence
interval, the item statistics that show which item pulls alpha down, and McDonald's omega,
which also says how much of the total score reflects one general factor.
``docs/metrics-reliability.md`` explains each number in plain words and says when to worry.

Every function takes a pandas frame with one row per respondent and one column per item (the
answers after reverse keying, see :func:`reverse_key`); ``NaN`` marks a missing answer. Two
ways of handling missing answers are offered:

* ``"pairwise"`` (default): every variance, covariance or correlation uses the respondents
  who answered the items involved, as ``psych::alpha(use="pairwise")`` and
  ``pingouin.cronbach_alpha`` do. Nobody's answers are thrown away.
* ``"listwise"``: only respondents who answered every item are used.

The numbers agree with the reference implementations (R ``psych`` 2.2.9 and ``pingouin``
0.7) on their example data: alpha and item statistics to ten decimals, omega and its loadings
to five (``psych`` stops its optimisers earlier). ``tests/metrics/test_reliability.py`` shows
the comparisons.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

NanPolicy = Literal["pairwise", "listwise"]
NAN_POLICIES = ("pairwise", "listwise")
ROTATIONS = ("oblimin",)

#: Columns of :func:`item_statistics`, in order.
ITEM_STATISTICS_COLUMNS = ("n", "mean", "sd", "item_rest_r", "alpha_if_deleted")

#: Fewest respondents :func:`cronbach_alpha` and :func:`item_statistics` accept. With two, every
#: pair of items correlates exactly +1 or −1 (two points always lie on a line), so the answers
#: cannot show whether the items agree, and the Feldt interval, with one numerator degree of
#: freedom, spans almost every possible value. Three is the floor, not a target: for a usable
#: interval aim for 30 or more (Johanson & Brooks 2010; Bonett 2002 for planning).
MIN_ALPHA_RESPONDENTS = 3

#: An eigenvalue, variance or sum of squared loadings from a correlation matrix closer to 0 than
#: this counts as 0: far above rounding in a matrix computed from answers (about 1e-15), far
#: below any real difference between items.
_NEGLIGIBLE = 1e-8

#: Bounds on a uniqueness in the minimum-residual fit, as in ``psych::fa``: a uniqueness of 0
#: (an item fully explained by the factors, a "Heywood case") is not allowed.
_MIN_UNIQUENESS, _MAX_UNIQUENESS = 0.005, 1.0


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its Feldt confidence interval.

    ``n`` is the number of respondents the covariances were computed from (with ``"pairwise"``
    everyone who answered at least one item; with ``"listwise"`` everyone who answered all),
    ``k`` the number of items.
    """

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int


@dataclass(frozen=True, eq=False)
class OmegaResult:
    """McDonald's omega from a Schmid–Leiman solution.

    ``general_loadings`` (one per item) and ``group_loadings`` (items × group factors ``F1*``,
    ``F2*`` …, largest first) are the orthogonalised loadings; ``uniquenesses`` is the share of
    each item's variance that no factor explains. ``explained_common_variance`` (ECV) is the
    share of the common variance that belongs to the general factor.
    """

    omega_total: float
    omega_hierarchical: float
    general_loadings: pd.Series
    group_loadings: pd.DataFrame
    explained_common_variance: float
    uniquenesses: pd.Series


# --------------------------------------------------------------------------------------------
# reverse keying


def reverse_key(
    items: pd.DataFrame, reverse: Iterable[str], minimum: float, maximum: float
) -> pd.DataFrame:
    """Mirror reverse-keyed items on their response scale so that high always means "more".

    .. math:: x' = \\text{minimum} + \\text{maximum} - x

    This is the rule the instrument scoring uses (``empower.instruments.scoring``): on a 1–5
    scale, 1 becomes 5 and 4 becomes 2. Reliability must be computed on keyed answers: an item
    worded the other way round correlates negatively with the others and pulls alpha down.

    Parameters
    ----------
    items : pandas.DataFrame
        Answers, one row per respondent, one column per item; ``NaN`` for missing.
    reverse : iterable of str
        Names of the reverse-keyed columns (e.g. ``[i.id for i in instrument.items if
        i.reverse]``). A single name may be given as a string.
    minimum, maximum : number
        The lowest and highest value of the response scale (``ResponseScale.minimum`` and
        ``ResponseScale.maximum``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``items`` with the reverse-keyed columns mirrored; missing answers stay
        missing. ``items`` itself is not changed.

    Raises
    ------
    ValueError
        If a name is not a column, if ``minimum >= maximum``, or if a reverse-keyed column
        holds a value outside ``[minimum, maximum]`` (mirroring it would give nonsense).

    Examples
    --------
    >>> import pandas as pd
    >>> from empower.metrics.reliability import reverse_key
    >>> answers = pd.DataFrame({"calm": [1, 4, 5], "worried": [5, 2, None]})
    >>> reverse_key(answers, ["worried"], minimum=1, maximum=5)
       calm  worried
    0     1      1.0
    1     4      4.0
    2     5      NaN
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError("items must be a pandas DataFrame (rows = respondents, columns = items)")
    names = [reverse] if isinstance(reverse, str) else list(reverse)
    unknown = [str(name) for name in names if name not in items.columns]
    if unknown:
        raise ValueError(f"reverse-keyed item(s) not among the columns: {', '.join(unknown)}")
    if not minimum < maximum:
        raise ValueError(f"scale minimum ({minimum}) must be below its maximum ({maximum})")
    keyed = items.copy()
    for name in names:
        values = pd.to_numeric(items[name], errors="coerce")
        not_numeric = values.isna() & items[name].notna()
        bad = items[name][not_numeric | (values < minimum) | (values > maximum)]
        if len(bad):
            shown = ", ".join(sorted({repr(v) for v in bad.tolist()}))
            raise ValueError(
                f"item '{name}' has value(s) {shown} outside the scale {minimum}–{maximum}"
            )
        keyed[name] = minimum + maximum - values
    return keyed


# --------------------------------------------------------------------------------------------
# Cronbach's alpha


def cronbach_alpha(
    items: pd.DataFrame, *, nan_policy: NanPolicy = "pairwise", ci: float = 0.95
) -> AlphaResult:
    """Cronbach's alpha with a Feldt confidence interval.

    Alpha is computed from the item covariance matrix :math:`C` (:math:`k` items):

    .. math::

        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma^2_i}{\\sigma^2_t}\\right),
        \\qquad \\sum_i \\sigma^2_i = \\operatorname{tr} C,
        \\qquad \\sigma^2_t = \\sum_{i,j} C_{ij}

    where :math:`\\sigma^2_t` is the variance of the total score. With ``"pairwise"``
    each covariance uses the respondents who answered both items (as
    ``psych::alpha(use="pairwise")`` and ``pingouin.cronbach_alpha``).

    The confidence interval at level :math:`1-\\gamma` (Feldt, Woodruff & Salih 1987) uses
    the F distribution with :math:`d_1 = n-1` and :math:`d_2 = (n-1)(k-1)` degrees of freedom:

    .. math::

        \\alpha_{low} = 1 - (1-\\alpha)\\,F_{1-\\gamma/2}(d_1, d_2), \\qquad
        \\alpha_{high} = 1 - (1-\\alpha)\\,F_{\\gamma/2}(d_1, d_2)

    :math:`n` is the number of respondents used: with ``"listwise"`` only the complete cases.
    (``psych`` and ``pingouin`` keep the number of rows before deletion, which makes their
    interval too narrow when rows are dropped; without missing data the three agree.)

    Parameters
    ----------
    items : pandas.DataFrame
        Keyed answers, one row per respondent, one numeric column per item; ``NaN`` missing.
    nan_policy : {"pairwise", "listwise"}
        How missing answers are handled (see the module documentation).
    ci : float
        Confidence level of the interval, between 0 and 1 (default 0.95).

    Returns
    -------
    AlphaResult
        ``alpha``, ``ci_low``, ``ci_high``, ``n`` (respondents used) and ``k`` (items).

    Raises
    ------
    ValueError
        Fewer than 2 items, fewer than 3 respondents (:data:`MIN_ALPHA_RESPONDENTS`), a
        non-numeric column, an infinite value, an item everyone answered the same way (zero
        variance), or two items that nobody answered together.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11(1), 93–103.

    Examples
    --------
    Three items answered by five people (the hand-worked case in the tests: α = 57/68):

    >>> import pandas as pd
    >>> from empower.metrics.reliability import cronbach_alpha
    >>> answers = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5],
    ...                         "c": [1, 3, 2, 5, 4]})
    >>> result = cronbach_alpha(answers)
    >>> round(result.alpha, 6), result.n, result.k
    (0.838235, 5, 3)
    >>> round(result.ci_low, 3), round(result.ci_high, 3)
    (0.183, 0.982)
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci is a confidence level between 0 and 1, not {ci!r}")
    data = _prepare(items, nan_policy, min_items=2)
    _require_alpha_respondents(data, nan_policy)
    cov = _covariance(data)
    n, k = len(data), data.shape[1]
    alpha = _alpha_from_cov(cov)
    low, high = _feldt_interval(alpha, n, k, ci)
    return AlphaResult(alpha=alpha, ci_low=low, ci_high=high, n=n, k=k)


def item_statistics(items: pd.DataFrame, *, nan_policy: NanPolicy = "pairwise") -> pd.DataFrame:
    """Per-item statistics: which item fits the scale, which one pulls alpha down.

    For item :math:`i` with covariance matrix :math:`C` of all items and
    :math:`R_i = \\sum_{j \\ne i} X_j` (the rest score):

    .. math::

        r_{i,rest} = \\frac{\\operatorname{cov}(X_i, R_i)}{\\sigma_i\\,\\sigma_{R_i}}
        = \\frac{\\sum_{j \\ne i} C_{ij}}
               {\\sqrt{C_{ii}\\,\\sum_{j \\ne i}\\sum_{l \\ne i} C_{jl}}}

    the corrected item–total ("item–rest", ``r.drop`` in ``psych::alpha``) correlation, and
    ``alpha_if_deleted``: Cronbach's alpha of the remaining :math:`k-1` items, computed from
    :math:`C` without row and column :math:`i` (``NaN`` when only one item would remain).
    Both are computed from the same covariance matrix as :func:`cronbach_alpha`, so with
    ``"pairwise"`` they match ``psych::alpha(use="pairwise")``.

    ``n``, ``mean`` and ``sd`` (sample standard deviation, denominator :math:`n-1`) describe
    the answers used: each item's own answers with ``"pairwise"``, the complete cases with
    ``"listwise"``. (``psych`` reports every item's own answers in both cases.)

    Parameters
    ----------
    items : pandas.DataFrame
        Keyed answers, one row per respondent, one numeric column per item; ``NaN`` missing.
    nan_policy : {"pairwise", "listwise"}
        How missing answers are handled.

    Returns
    -------
    pandas.DataFrame
        One row per item (index ``item``), columns ``n``, ``mean``, ``sd``, ``item_rest_r``,
        ``alpha_if_deleted``.

    Raises
    ------
    ValueError
        As :func:`cronbach_alpha`.

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.), ch. 8.
    McGraw-Hill.

    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and Personality
    Research*, function ``alpha`` (version 2.2.9). Northwestern University.

    Examples
    --------
    >>> import pandas as pd
    >>> from empower.metrics.reliability import item_statistics
    >>> answers = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [1, 3, 2, 4]})
    >>> table = item_statistics(answers)
    >>> table.columns.tolist()
    ['n', 'mean', 'sd', 'item_rest_r', 'alpha_if_deleted']
    >>> table["item_rest_r"].round(4).tolist()  # 7/√50, 1/√10, 1/√5
    [0.9899, 0.3162, 0.4472]
    >>> table["alpha_if_deleted"].round(4).tolist()  # 0, 8/9, 3/4
    [0.0, 0.8889, 0.75]
    """
    data = _prepare(items, nan_policy, min_items=2)
    _require_alpha_respondents(data, nan_policy)
    cov = _covariance(data).to_numpy()
    k = cov.shape[0]
    rows = []
    for i in range(k):
        rest = [j for j in range(k) if j != i]
        rest_cov = cov[np.ix_(rest, rest)]
        r = cov[i, rest].sum() / math.sqrt(cov[i, i] * rest_cov.sum())
        deleted = _alpha_from_cov(pd.DataFrame(rest_cov)) if k > 2 else math.nan
        answered = data.iloc[:, i].dropna()
        rows.append((len(answered), answered.mean(), answered.std(ddof=1), r, deleted))
    table = pd.DataFrame(rows, columns=list(ITEM_STATISTICS_COLUMNS), index=data.columns)
    table.index.name = "item"
    return table


# --------------------------------------------------------------------------------------------
# McDonald's omega


def omega(
    items: pd.DataFrame,
    n_factors: int = 3,
    *,
    rotation: str = "oblimin",
    nan_policy: NanPolicy = "pairwise",
) -> OmegaResult:
    """McDonald's omega total and omega hierarchical from a Schmid–Leiman solution.

    Computes the item correlation matrix (pairwise-complete or listwise) and passes it to
    :func:`omega_from_correlation`, where the method is described. This is what
    ``psych::omega(items, nfactors)`` does with its defaults.

    Parameters
    ----------
    items : pandas.DataFrame
        Keyed answers, one row per respondent, one numeric column per item; ``NaN`` missing.
    n_factors : int
        Number of group factors (at least 2; default 3 as in ``psych::omega``).
    rotation : {"oblimin"}
        Oblique rotation of the first-order factors.
    nan_policy : {"pairwise", "listwise"}
        How missing answers are handled when computing correlations.

    Returns
    -------
    OmegaResult

    Raises
    ------
    ValueError
        As :func:`omega_from_correlation`, and for bad answers as :func:`cronbach_alpha`.
        Pairwise correlations from answers with many gaps can contradict one another (the
        matrix is then not positive semi-definite); the message suggests ``"listwise"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from empower.metrics.reliability import omega
    >>> rng = np.random.default_rng(7)
    >>> n = 500
    >>> g = rng.normal(size=n)
    >>> groups = rng.normal(size=(n, 3))
    >>> answers = pd.DataFrame({
    ...     f"q{3 * f + j}": 0.6 * g + 0.5 * groups[:, f] + 0.6 * rng.normal(size=n)
    ...     for f in range(3) for j in range(3)})
    >>> result = omega(answers, n_factors=3)
    >>> 0.5 < result.omega_hierarchical < result.omega_total < 1
    True
    """
    data = _prepare(items, nan_policy, min_items=3)
    names, R = _check_correlation(data.corr(), pairwise=nan_policy == "pairwise")
    return _schmid_leiman(names, R, n_factors, rotation)


def omega_from_correlation(
    correlation: pd.DataFrame, n_factors: int = 3, *, rotation: str = "oblimin"
) -> OmegaResult:
    """McDonald's omega total and omega hierarchical from an item correlation matrix.

    The Schmid–Leiman (1957) transformation, as in ``psych::omega`` (Revelle & Zinbarg 2009):

    1. Fit ``n_factors`` first-order factors to the correlation matrix :math:`R` by minimum
       residual (unweighted least squares): choose uniquenesses :math:`\\psi` minimising
       :math:`\\sum_{j>m} \\gamma_j^2`, the squared eigenvalues of :math:`R - \\Psi` beyond the
       first :math:`m`; loadings are :math:`L = V_m \\Gamma_m^{1/2}` (Harman 1976).
    2. Rotate obliquely with direct oblimin (:math:`\\gamma = 0`, quartimin) by gradient
       projection (Bernaards & Jennrich 2005), giving pattern :math:`P` and factor
       correlations :math:`\\Phi`. Factors are ordered by variance explained and signed so that
       their loadings sum to a positive number.
    3. Factor :math:`\\Phi` with one second-order factor: loadings :math:`\\mathbf{g}` by
       minimum residual (with two group factors, :math:`g_1 = g_2 = \\sqrt{\\phi_{12}}`).
    4. General loadings :math:`\\lambda_{g} = P\\mathbf{g}`; group loadings
       :math:`\\lambda_{ik} = P_{ik}\\sqrt{1 - g_k^2}`; communalities
       :math:`h^2 = \\operatorname{diag}(P\\Phi P^\\top)`, uniquenesses :math:`u^2 = 1 - h^2`.

    With :math:`V_t = \\sum_{ij} R_{ij}`, the variance of the sum of the standardised items:

    .. math::

        \\omega_h = \\frac{(\\sum_i \\lambda_{gi})^2}{V_t}, \\qquad
        \\omega_t = 1 - \\frac{\\sum_i u_i^2}{V_t}, \\qquad
        \\text{ECV} = \\frac{\\sum_i \\lambda_{gi}^2}{\\sum_i h_i^2}

    When the bifactor model fits exactly, :math:`V_t = (\\sum_i\\lambda_{gi})^2 +
    \\sum_k(\\sum_i\\lambda_{ik})^2 + \\sum_i u^2_i`, so :math:`\\omega_t` is the share of
    total-score variance due to all common factors and :math:`\\omega_h` the share due to the
    general factor alone.

    Items must be keyed in one direction first (:func:`reverse_key`); a negative general
    loading is reported with a warning (``psych`` reverses such items silently).

    Parameters
    ----------
    correlation : pandas.DataFrame
        A square, symmetric correlation matrix with the item names as index and columns.
    n_factors : int
        Number of group factors, at least 2. The model needs enough items:
        :math:`(k - m)^2 \\ge k + m`.
    rotation : {"oblimin"}
        Oblique rotation of the first-order factors.

    Returns
    -------
    OmegaResult

    Raises
    ------
    ValueError
        For a matrix that is not square and symmetric with ones on the diagonal, has missing
        or infinite entries or correlations outside [-1, 1], or is not positive semi-definite
        (a negative eigenvalue: no answers can have such correlations); for too few items for
        ``n_factors``; and for items that share no common variance (an identity matrix), where
        ECV would be 0/0. A singular matrix (an item that is an exact combination of others)
        is accepted with a ``UserWarning``.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.

    Harman, H. H. (1976). *Modern factor analysis* (3rd ed.). University of Chicago Press.

    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions.
    *Psychometrika*, 22(1), 53–61.

    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's α, Revelle's β, and
    McDonald's ω_H. *Psychometrika*, 70(1), 123–133.

    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika*, 74(1), 145–154.

    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software
    for arbitrary rotation criteria in factor analysis. *Educational and Psychological
    Measurement*, 65(5), 676–696.

    Examples
    --------
    Thurstone's nine ability tests (the example of ``psych::omega``, which reports
    ω_h = 0.74 and ω_t = 0.93):

    >>> import pandas as pd
    >>> from empower.metrics.reliability import omega_from_correlation
    >>> R = pd.read_csv("tests/metrics/data/psych_thurstone.csv", index_col=0)  # doctest: +SKIP
    >>> result = omega_from_correlation(R, n_factors=3)  # doctest: +SKIP
    >>> round(result.omega_hierarchical, 2), round(result.omega_total, 2)  # doctest: +SKIP
    (0.74, 0.93)
    """
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {', '.join(ROTATIONS)}, not {rotation!r}")
    names, R = _check_correlation(correlation)
    return _schmid_leiman(names, R, n_factors, rotation)


def _schmid_leiman(names: list[str], R: np.ndarray, n_factors: int, rotation: str) -> OmegaResult:
    """The computation of :func:`omega_from_correlation` on a checked matrix."""
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {', '.join(ROTATIONS)}, not {rotation!r}")
    k = len(names)
    if not isinstance(n_factors, int) or isinstance(n_factors, bool) or n_factors < 2:
        raise ValueError(
            "omega needs at least 2 group factors; for a single factor use omega_total_one_factor"
        )
    if (k - n_factors) ** 2 < k + n_factors:
        raise ValueError(
            f"{k} items are too few to estimate {n_factors} factors "
            "(need (items − factors)² ≥ items + factors)"
        )
    total = R.sum()
    if total <= _NEGLIGIBLE:
        raise ValueError(
            "the items cancel each other out: the sum of the standardised items has no "
            "variance, so omega is undefined; reverse-key the items first"
        )
    loadings = _minres(R, n_factors)
    if not (loadings**2).sum() > _NEGLIGIBLE:
        # Otherwise every loading is 0 and the share of common variance due to the general
        # factor (ECV) is 0/0.
        raise ValueError(
            "the items share no common variance (every correlation between them is zero), so "
            "there are no factors to find: omega would be 0 and the explained common variance "
            "(ECV) is undefined; check that these are the items of one instrument"
        )
    pattern, phi = _oblimin(loadings)
    pattern, phi = _order_and_sign(pattern, phi)
    g = _second_order(phi)
    general = pattern @ g
    group = pattern * np.sqrt(1 - g**2)
    h2 = np.einsum("ij,jk,ik->i", pattern, phi, pattern)
    u2 = 1 - h2
    if (general < 0).any():
        negative = ", ".join(str(n) for n, v in zip(names, general, strict=True) if v < 0)
        warnings.warn(
            f"item(s) {negative} load negatively on the general factor; reverse-key them "
            "before computing omega",
            stacklevel=3,
        )
    return OmegaResult(
        omega_total=float(1 - u2.sum() / total),
        omega_hierarchical=float(general.sum() ** 2 / total),
        general_loadings=pd.Series(general, index=names, name="g"),
        group_loadings=pd.DataFrame(
            group, index=names, columns=[f"F{j + 1}*" for j in range(n_factors)]
        ),
        explained_common_variance=float((general**2).sum() / h2.sum()),
        uniquenesses=pd.Series(u2, index=names, name="u2"),
    )


def omega_total_one_factor(items: pd.DataFrame, *, nan_policy: NanPolicy = "pairwise") -> float:
    """McDonald's omega for items that measure one common factor (a congeneric subscale).

    A single factor is fitted to the item correlation matrix by minimum residual (as step 1
    of :func:`omega_from_correlation`, like ``psych::fa(fm="minres")``), giving standardised
    loadings :math:`\\lambda_i` and uniquenesses :math:`\\theta_i = 1 - \\lambda_i^2`:

    .. math::

        \\omega = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i \\theta_i}

    the share of the variance of the sum of the standardised items that the common factor
    explains (McDonald 1999). Unlike alpha it does not assume that all items load
    equally (tau-equivalence); when they do, the two coincide.

    Parameters
    ----------
    items : pandas.DataFrame
        Keyed answers of at least 3 items, one row per respondent; ``NaN`` missing.
    nan_policy : {"pairwise", "listwise"}
        How missing answers are handled when computing correlations.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`omega`. Items that share no common variance give 0, which is their omega.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*, ch. 6. Erlbaum.

    Examples
    --------
    Three items with loadings 0.8, 0.7, 0.6 on one factor: ω = 2.1² / (2.1² + 1.51) ≈ 0.7449.

    >>> import numpy as np, pandas as pd
    >>> from empower.metrics.reliability import omega_total_one_factor
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=20000)
    >>> answers = pd.DataFrame({f"q{i}": lam * f + np.sqrt(1 - lam**2) * rng.normal(size=20000)
    ...                         for i, lam in enumerate([0.8, 0.7, 0.6])})
    >>> round(omega_total_one_factor(answers), 2)
    0.74
    """
    data = _prepare(items, nan_policy, min_items=3)
    names, R = _check_correlation(data.corr(), pairwise=nan_policy == "pairwise")
    loadings = _minres(R, 1)[:, 0]
    if not (loadings**2).sum() > _NEGLIGIBLE:
        # No common variance at all (all correlations 0): ω is 0, and the signs of loadings
        # this close to 0 are rounding noise, not items to reverse-key.
        return 0.0
    if loadings.sum() < 0:
        loadings = -loadings
    if (loadings < 0).any():
        negative = ", ".join(str(n) for n, v in zip(names, loadings, strict=True) if v < 0)
        warnings.warn(
            f"item(s) {negative} load negatively on the factor; reverse-key them first",
            stacklevel=2,
        )
    common = loadings.sum() ** 2
    return float(common / (common + (1 - loadings**2).sum()))


# --------------------------------------------------------------------------------------------
# input checks and shared pieces


def _prepare(items: pd.DataFrame, nan_policy: str, *, min_items: int) -> pd.DataFrame:
    """Check the answers and apply the missing-data policy; return float columns."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError("items must be a pandas DataFrame (rows = respondents, columns = items)")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be 'pairwise' or 'listwise', not {nan_policy!r}")
    not_numeric = [
        str(c) for c in items.columns if not pd.api.types.is_numeric_dtype(items[c].dtype)
    ]
    if not_numeric:
        raise ValueError(
            f"item(s) {', '.join(not_numeric)} are not numeric; score or reverse-key the "
            "answers first and mark missing answers as NaN"
        )
    data = items.astype(float)
    infinite = [str(c) for c in data.columns if np.isinf(data[c].to_numpy()).any()]
    if infinite:
        raise ValueError(
            f"item(s) {', '.join(infinite)} hold an infinite value (inf or -inf); answers must "
            "be finite numbers, with NaN for a missing answer"
        )
    if data.shape[1] < min_items:
        raise ValueError(f"at least {min_items} items are needed, got {data.shape[1]}")
    how = "any" if nan_policy == "listwise" else "all"
    data = data.dropna(axis=0, how=how)
    if len(data) < 2:
        who = "respondents who answered every item" if how == "any" else "respondents"
        raise ValueError(f"at least 2 {who} are needed, got {len(data)}")
    constant = [str(c) for c in data.columns if data[c].nunique(dropna=True) < 2]
    if constant:
        raise ValueError(
            f"item(s) {', '.join(constant)} have the same answer from everyone (or fewer than "
            "2 answers), so they say nothing about differences between people; leave them "
            "out of the reliability analysis"
        )
    return data


def _require_alpha_respondents(data: pd.DataFrame, nan_policy: str) -> None:
    """Refuse fewer than :data:`MIN_ALPHA_RESPONDENTS`; the reason is given there."""
    if len(data) < MIN_ALPHA_RESPONDENTS:
        who = "respondents who answered every item" if nan_policy == "listwise" else "respondents"
        raise ValueError(
            f"Cronbach's alpha needs at least {MIN_ALPHA_RESPONDENTS} {who}, got {len(data)}: "
            "with two people every pair of items agrees or disagrees perfectly, so the answers "
            "cannot show whether the items measure one thing (aim for 30 or more)"
        )


def _covariance(data: pd.DataFrame) -> pd.DataFrame:
    """Covariances from pairwise-complete answers (the same as complete cases if none miss)."""
    cov = data.cov()
    missing = cov.isna().to_numpy()
    if missing.any():
        i, j = np.argwhere(missing)[0]
        raise ValueError(
            f"items '{cov.index[i]}' and '{cov.columns[j]}' were answered together by fewer "
            "than 2 respondents; use nan_policy='listwise' or leave one of them out"
        )
    return cov


def _alpha_from_cov(cov: pd.DataFrame) -> float:
    k = cov.shape[0]
    total = float(cov.to_numpy().sum())
    if total <= 0:
        raise ValueError("the total score has no variance: the items cancel each other out")
    return k / (k - 1) * (1 - float(np.trace(cov.to_numpy())) / total)


def _feldt_interval(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987): (1 − α̂)/(1 − α) follows F(n − 1, (n − 1)(k − 1))."""
    gamma = 1 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - gamma / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(gamma / 2, df1, df2)
    return float(low), float(high)


def _check_correlation(
    correlation: pd.DataFrame, *, pairwise: bool = False
) -> tuple[list[str], np.ndarray]:
    """Check that ``correlation`` is a correlation matrix some set of answers could have.

    ``pairwise`` says it was computed from pairwise-complete answers, which is the usual
    reason for a matrix that is not positive semi-definite; the message then says so.
    """
    if not isinstance(correlation, pd.DataFrame):
        raise TypeError("correlation must be a pandas DataFrame with item names as labels")
    R = correlation.to_numpy(dtype=float)
    if (
        R.ndim != 2
        or R.shape[0] != R.shape[1]
        or list(correlation.index) != list(correlation.columns)
    ):
        raise ValueError("correlation must be square with the same items as rows and columns")
    infinite = [str(c) for c, column in zip(correlation.columns, R.T, strict=True)
                if np.isinf(column).any()]  # fmt: skip
    if infinite:
        raise ValueError(
            f"the correlation matrix has an infinite entry in column(s) {', '.join(infinite)}; "
            "correlations lie between -1 and 1"
        )
    if not np.isfinite(R).all():
        raise ValueError(
            "the correlation matrix has missing entries: some items were never answered "
            "together; use nan_policy='listwise' or leave one of them out"
        )
    if not np.allclose(R, R.T, atol=1e-8) or not np.allclose(np.diag(R), 1, atol=1e-8):
        raise ValueError("correlation must be symmetric with ones on the diagonal")
    outside = np.argwhere(np.abs(R) > 1 + 1e-8)
    if len(outside):
        i, j = outside[0]
        raise ValueError(
            f"the correlation of items '{correlation.index[i]}' and '{correlation.columns[j]}' "
            f"is {R[i, j]:g}; correlations lie between -1 and 1"
        )
    if R.shape[0] < 3:
        raise ValueError(f"at least 3 items are needed, got {R.shape[0]}")
    R = (R + R.T) / 2
    _check_semidefinite(R, [str(c) for c in correlation.columns], pairwise=pairwise)
    return [str(c) for c in correlation.columns], R


def _check_semidefinite(R: np.ndarray, names: list[str], *, pairwise: bool) -> None:
    """Refuse an indefinite matrix; warn about a singular one.

    A negative eigenvalue λ with eigenvector v would give the weighted sum vᵀx a variance
    λ < 0: no answers have such correlations, and every factor solution fitted to them is
    nonsense. A zero eigenvalue is possible (an item that is an exact combination of others)
    but leaves the minimum-residual fit at the Heywood bound, so it is reported.
    """
    smallest = float(np.linalg.eigvalsh(R)[0])
    if smallest < -_NEGLIGIBLE:
        why = (
            "each correlation was computed from the people who answered both items, and "
            "answers are missing in too uneven a pattern for them to fit together; use "
            "nan_policy='listwise' (only people who answered every item) or collect more "
            "complete answers"
            if pairwise
            else "no set of answers can have these correlations; check the entries (a matrix "
            "copied with few decimals or assembled from different samples can do this)"
        )
        raise ValueError(
            f"the correlation matrix is not positive semi-definite (smallest eigenvalue "
            f"{smallest:.3g}): {why}"
        )
    if smallest <= _NEGLIGIBLE:
        upper = np.triu(np.abs(R) >= 1 - _NEGLIGIBLE, k=1)
        pairs = [f"{names[i]} and {names[j]}" for i, j in np.argwhere(upper)]
        which = f" (perfectly correlated: {'; '.join(pairs)})" if pairs else ""
        warnings.warn(
            f"the correlation matrix is singular{which}: some item is an exact combination of "
            "others (the same question entered twice, say, or fewer respondents than items); "
            "the fit then puts a uniqueness at its lower bound (a Heywood case), so read the "
            "loadings with care and leave a duplicated item out",
            stacklevel=4,
        )


# --------------------------------------------------------------------------------------------
# factor extraction and rotation (what psych::fa(fm="minres", rotate="oblimin") does)


def _minres(R: np.ndarray, n_factors: int) -> np.ndarray:
    """Unrotated minimum-residual (unweighted least squares) loadings.

    Minimises :math:`f(\\psi) = \\sum_{j > m} \\gamma_j^2` over the uniquenesses, where
    :math:`\\gamma` are the eigenvalues of :math:`R` with :math:`1 - \\psi` on the diagonal;
    :math:`\\partial f / \\partial \\psi_i = -2 \\sum_{j>m} \\gamma_j v_{ij}^2` (Jöreskog 1977,
    "Factor analysis by least-squares and maximum-likelihood methods", in Enslein, Ralston &
    Wilf (eds.), *Statistical methods for digital computers*, Wiley). Uniquenesses are kept in
    [0.005, 1] as in ``psych``; the fit starts from :math:`1 - \\text{SMC}`.
    """
    p = R.shape[0]
    rest = p - n_factors
    try:
        smc = 1 - 1 / np.diag(np.linalg.inv(R))
    except np.linalg.LinAlgError:
        smc = np.full(p, 0.5)
    start = np.clip(1 - smc, _MIN_UNIQUENESS, _MAX_UNIQUENESS)

    def reduced(psi: np.ndarray) -> np.ndarray:
        S = R.copy()
        np.fill_diagonal(S, 1 - psi)
        return S

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        values, vectors = np.linalg.eigh(reduced(psi))  # ascending
        small, v = values[:rest], vectors[:, :rest]
        return float(small @ small), -2 * (v**2) @ small

    fit = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(_MIN_UNIQUENESS, _MAX_UNIQUENESS)] * p,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )
    values, vectors = np.linalg.eigh(reduced(fit.x))
    top = np.argsort(values)[::-1][:n_factors]
    return vectors[:, top] * np.sqrt(np.maximum(values[top], 0))


def _oblimin(
    loadings: np.ndarray, *, tol: float = 1e-8, max_iter: int = 10_000
) -> tuple[np.ndarray, np.ndarray]:
    """Direct oblimin with γ = 0 (quartimin) by gradient projection (Bernaards & Jennrich
    2005; the algorithm of ``GPArotation::GPFoblq``), started from the unrotated solution.

    Criterion :math:`Q(\\Lambda) = \\tfrac14 \\sum_i \\sum_{j \\ne l} \\lambda_{ij}^2
    \\lambda_{il}^2`. Returns the pattern :math:`\\Lambda = A (T^{-1})^\\top` and
    :math:`\\Phi = T^\\top T`. Stops when the projected gradient is below ``tol``
    (GPArotation stops at 1e-5) or when no step lowers the criterion any more.
    """
    m = loadings.shape[1]
    off = np.ones((m, m)) - np.eye(m)

    def criterion(T: np.ndarray) -> tuple[float, np.ndarray]:
        """Q and its gradient with respect to T."""
        L = loadings @ np.linalg.inv(T).T
        weights = (L**2) @ off
        gradient_l = L * weights
        return float(np.sum(L**2 * weights) / 4), -(L.T @ gradient_l @ np.linalg.inv(T)).T

    T = np.eye(m)
    f, gradient = criterion(T)
    step = 1.0
    for _ in range(max_iter):
        projected = gradient - T @ np.diag(np.sum(T * gradient, axis=0))
        size = np.linalg.norm(projected)
        if size < tol:
            break
        step *= 2
        for _ in range(20):
            X = T - step * projected
            candidate = X / np.sqrt(np.sum(X**2, axis=0))
            f_new, gradient_new = criterion(candidate)
            if f_new < f - 0.5 * size**2 * step:
                break
            step /= 2
        else:
            break  # no step lowers Q: as close to the minimum as floating point allows
        T, f, gradient = candidate, f_new, gradient_new
    return loadings @ np.linalg.inv(T).T, T.T @ T


def _order_and_sign(pattern: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order factors by the variance they explain and make each column sum positive, as
    ``psych::fa`` does, so that results read the same way as its output."""
    explained = np.diag(phi @ pattern.T @ pattern)
    order = np.argsort(-explained, kind="stable")
    pattern, phi = pattern[:, order], phi[np.ix_(order, order)]
    signs = np.where(pattern.sum(axis=0) < 0, -1.0, 1.0)
    return pattern * signs, phi * np.outer(signs, signs)


def _second_order(phi: np.ndarray) -> np.ndarray:
    """Loadings of the group factors on one general factor."""
    m = phi.shape[0]
    if m == 2:
        if phi[0, 1] <= 0:
            raise ValueError(
                "the two group factors are not positively correlated, so there is no general "
                "factor to estimate; try more factors or report omega per subscale"
            )
        return np.full(2, math.sqrt(phi[0, 1]))
    g = _minres(phi, 1)[:, 0]
    return -g if g.sum() < 0 else g
