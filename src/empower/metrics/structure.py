"""Factor structure: does an instrument measure what its subscales say it measures?

An analyst adapting an instrument to a new country, language or group needs evidence that
its items still hang together the way the instrument declares (items → subscale → axis).
Three methods answer three questions:

* :func:`parallel_analysis` – how many factors do the answers support at all? (Horn 1965)
* :func:`efa` – without telling the method which item belongs where, which items go
  together? (exploratory factor analysis, minres with an oblimin rotation by default)
* :func:`cfa` / :func:`cfa_instrument` – does the declared model (each item on its own
  subscale, subscales correlated) fit the answers, and how well? (confirmatory factor
  analysis, maximum likelihood, with χ², CFI, TLI, RMSEA and its 90 % interval, and SRMR)

Estimation is done by vetted libraries – ``factor_analyzer`` for EFA, ``semopy`` for CFA –
and this module is the glue. Where those libraries are known to be wrong or incomplete, the
work-around is here and says so (see ``docs/metrics-structure.md``). In short:

* ``factor_analyzer`` 0.5.1 calls scikit-learn's ``check_array(force_all_finite=…)``, a
  keyword scikit-learn 1.8 removed, so ``FactorAnalyzer.fit`` fails with a ``TypeError``;
  :func:`_bridge_factor_analyzer` translates the keyword.
* ``factor_analyzer`` re-orders factors after rotation but not its factor correlation matrix
  ``phi_``, and computes communalities and variance from the pattern matrix alone, which is
  wrong after an oblique rotation. :func:`efa` therefore rotates, orders and summarises
  itself, the way R's ``psych::fa`` does.
* ``semopy``'s default optimiser tolerance stops a few thousandths short of the optimum
  (Holzinger–Swineford: x7's standardised loading 0.569 instead of lavaan's 0.570), its RMSEA
  divides by N − 1 where lavaan divides by N, its CFI is not truncated to [0, 1], and it gives
  no RMSEA confidence interval and no SRMR. :func:`cfa` fits with a tight tolerance and
  computes every fit index itself with lavaan's formulas.

Everything here is pure: it takes pandas frames and returns dataclasses, and never touches a
database.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from empower.instruments.model import PREFER_NOT_TO_SAY, Instrument

#: Fewest complete respondents any method here accepts. Below this, correlations (and so
#: every factor solution) are too unstable to say anything about an instrument's structure.
MIN_RESPONDENTS = 50

#: Rotations offered by :func:`efa`. ``oblimin`` is direct oblimin with γ = 0 (quartimin),
#: psych's default; ``factor_analyzer``'s oblimin is wrong for γ ≠ 0, so γ is not offered.
ROTATIONS = (None, "oblimin", "varimax")
OBLIQUE_ROTATIONS = ("oblimin",)
EFA_METHODS = ("minres", "ml")

#: semopy's default optimiser, SLSQP, with a tighter tolerance: its default (ftol 1e-6) stops
#: early enough to move published loadings in the third decimal. L-BFGS-B is no alternative:
#: semopy's objective is ∞ outside the admissible region, and on some data L-BFGS-B then stops
#: after one iteration at the starting values while reporting success.
_CFA_SOLVER = "SLSQP"
_CFA_OPTIONS = {"ftol": 1e-12, "maxiter": 10_000}

#: A residual variance at or below this is reported as a Heywood case.
_HEYWOOD = 1e-6


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class ParallelResult:
    """Outcome of :func:`parallel_analysis`.

    ``observed`` are the eigenvalues of the answers' correlation matrix (``method="pca"``) or
    of the reduced correlation matrix (``method="fa"``), largest first; ``random`` are the
    ``percentile``-th percentiles of the same eigenvalues over random normal data of the same
    size. ``suggested`` counts the leading observed eigenvalues that beat their random twin.
    """

    suggested: int
    observed: np.ndarray
    random: np.ndarray
    method: str
    percentile: float
    n: int


@dataclass(frozen=True)
class EFAResult:
    """Outcome of :func:`efa`.

    ``loadings`` is the (rotated) pattern matrix, items × factors ``F1 … Fm``, factors ordered
    by the variance they explain. ``communalities`` is the share of each item's variance the
    factors explain (``1 − uniqueness``). ``variance`` has one row per factor with the sum of
    squared loadings, its proportion of all items' variance and the cumulative proportion.
    ``factor_correlations`` is Φ after an oblique rotation, else ``None``.
    """

    loadings: pd.DataFrame
    communalities: pd.Series
    variance: pd.DataFrame
    factor_correlations: pd.DataFrame | None
    method: str
    rotation: str | None
    n: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CFAResult:
    """Outcome of :func:`cfa`; every index computed with lavaan's formulas.

    ``loadings`` holds the standardised loadings (lavaan's ``std.all``), items × factors, 0
    where the model has no path. ``factor_correlations`` are the model's correlations between
    factors. ``notes`` lists anything an analyst should look at before trusting the numbers
    (non-convergence, Heywood cases, factors that are not distinct, dropped respondents).
    """

    chi2: float
    df: int
    p_value: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float
    n: int
    loadings: pd.DataFrame
    converged: bool
    notes: list[str]
    rmsea_p_close: float = math.nan
    baseline_chi2: float = math.nan
    baseline_df: int = 0
    factor_correlations: pd.DataFrame | None = None


# --------------------------------------------------------------------------------------------
# input checks


def _complete_items(
    items: pd.DataFrame, columns: Sequence[Any] | None = None
) -> tuple[pd.DataFrame, int]:
    """Return the numeric columns asked for, with incomplete rows dropped, and how many were.

    Raises ``ValueError`` naming missing columns, non-numeric columns, columns with an
    infinite value, constant columns and a sample below :data:`MIN_RESPONDENTS`.
    """
    if not isinstance(items, pd.DataFrame):
        raise ValueError("items must be a pandas DataFrame with one column per item")
    wanted = list(items.columns) if columns is None else list(dict.fromkeys(columns))
    absent = [c for c in wanted if c not in items.columns]
    if absent:
        raise ValueError(f"items not in the data: {', '.join(map(str, absent))}")
    if len(wanted) < 2:
        raise ValueError("at least two items are needed to study a factor structure")
    frame = items[wanted]
    not_numeric = [c for c in wanted if not pd.api.types.is_numeric_dtype(frame[c])]
    if not_numeric:
        raise ValueError(f"items must be numeric; not numeric: {', '.join(map(str, not_numeric))}")
    _refuse_infinite(frame)
    complete = frame.dropna().astype(float)
    dropped = len(frame) - len(complete)
    if len(complete) < MIN_RESPONDENTS:
        raise ValueError(
            f"too few respondents: {len(complete)} with every item answered "
            f"({dropped} incomplete rows dropped); at least {MIN_RESPONDENTS} are needed"
        )
    constant = [c for c in wanted if complete[c].nunique() < 2]
    if constant:
        raise ValueError(
            f"constant items (everyone gave the same answer): {', '.join(map(str, constant))}"
        )
    return complete, dropped


def _refuse_infinite(frame: pd.DataFrame) -> None:
    """Name the items (and first rows) holding ±inf.

    Checked before anything else: an infinite answer survives ``dropna()`` and turns the
    correlation matrix into NaN, which numpy reports only as "Eigenvalues did not converge".
    """
    places = []
    for column in frame.columns:
        rows = frame.index[np.isinf(frame[column].to_numpy(dtype=float))]
        if len(rows):
            shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
            places.append(f"{column} (rows {shown})")
    if places:
        raise ValueError(
            "items must be finite numbers, with a missing answer left empty; infinite values "
            f"in {'; '.join(places)}"
        )


def _correlation(data: np.ndarray | pd.DataFrame) -> np.ndarray:
    return np.atleast_2d(np.corrcoef(np.asarray(data, dtype=float), rowvar=False))


# --------------------------------------------------------------------------------------------
# parallel analysis


def _eigenvalues(corr: np.ndarray, method: str) -> np.ndarray:
    """Eigenvalues, largest first, of ``corr`` (pca) or of the SMC-reduced ``corr`` (fa)."""
    if method == "fa":
        corr = corr.copy()
        np.fill_diagonal(corr, 1.0 - 1.0 / np.diag(np.linalg.inv(corr)))
    return np.linalg.eigvalsh(corr)[::-1]


def parallel_analysis(
    items: pd.DataFrame,
    *,
    n_iter: int = 100,
    percentile: float = 95,
    seed: int = 0,
    method: Literal["pca", "fa"] = "pca",
) -> ParallelResult:
    """Suggest how many factors the answers support by Horn's parallel analysis.

    A factor is worth keeping only if it explains more than a factor would in answers that
    have no structure at all. The eigenvalues of the answers' correlation matrix are compared,
    largest first, with the ``percentile``-th percentile of the same eigenvalues over
    ``n_iter`` data sets of independent standard normal values with the same n × k shape::

        suggested = max { m : λ_j(observed) > P_percentile(λ_j(random)) for all j ≤ m }

    Which eigenvalues:

    * ``method="pca"`` – of the correlation matrix R (principal components; Horn 1965).
    * ``method="fa"`` – of the reduced correlation matrix, R with its diagonal replaced by
      each item's squared multiple correlation ``SMC_i = 1 − 1/(R⁻¹)_ii`` (common factors;
      Humphreys & Ilgen 1969). This is psych's ``fa.parallel(..., SMC=TRUE)``; psych's default
      (``SMC=FALSE``) puts the communalities of a one-factor minres solution on the diagonal
      instead, so its factor eigenvalues differ slightly from these.

    R's ``psych::fa.parallel`` reports both kinds (``fa="both"``). Unless ``quant`` is given it
    compares with the *mean* of the random eigenvalues; the 95th percentile used here by
    default (Glorfeld 1995) is a little more conservative. The component count is usually the
    larger of the two; for a Likert instrument meant to measure common factors, read the
    ``fa`` count against the number of subscales and check it with :func:`efa`.

    Parameters
    ----------
    items : DataFrame
        One row per respondent, one numeric column per item. Rows with a missing answer are
        dropped.
    n_iter : int
        Number of random data sets.
    percentile : float
        Percentile (0–100) of the random eigenvalues to beat; 50 is close to psych's mean.
    seed : int
        Seed of the random generator, so a report can be reproduced exactly.
    method : {"pca", "fa"}
        Eigenvalues of R or of the SMC-reduced R, as above.

    Returns
    -------
    ParallelResult

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    Psychometrika, 30(2), 179–185.
    Humphreys, L. G., & Ilgen, D. R. (1969). Note on a criterion for the number of common
    factors. Educational and Psychological Measurement, 29, 571–578.
    Glorfeld, L. W. (1995). An improvement on Horn's parallel analysis methodology for
    selecting the correct number of factors to retain. Educational and Psychological
    Measurement, 55(3), 377–393.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> tests = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> parallel_analysis(tests, method="fa").suggested
    3
    """
    if method not in ("pca", "fa"):
        raise ValueError(f"method must be 'pca' or 'fa', not {method!r}")
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must lie between 0 and 100, not {percentile}")
    if n_iter < 1:
        raise ValueError(f"n_iter must be at least 1, not {n_iter}")
    data, _ = _complete_items(items)
    n, k = data.shape
    if n <= k:
        raise ValueError(f"too few respondents: {n} for {k} items; more respondents than items")
    observed = _eigenvalues(_correlation(data), method)
    rng = np.random.default_rng(seed)
    simulated = np.empty((n_iter, k))
    for i in range(n_iter):
        noise = rng.standard_normal((n, k))
        simulated[i] = _eigenvalues(_correlation(noise), method)
    random = np.percentile(simulated, percentile, axis=0)
    beats = observed > random
    suggested = k if beats.all() else int(np.argmin(beats))
    return ParallelResult(suggested, observed, random, method, float(percentile), n)


# --------------------------------------------------------------------------------------------
# exploratory factor analysis


def _bridge_factor_analyzer() -> None:
    """Let ``factor_analyzer`` 0.5.1 run on scikit-learn ≥ 1.8.

    It calls ``check_array(X, force_all_finite=…)``; scikit-learn renamed the keyword to
    ``ensure_all_finite`` in 1.6 and removed the old name in 1.8, so ``FactorAnalyzer.fit``
    raises ``TypeError``. The bridge only renames the keyword, in factor_analyzer's own
    namespace, and only when scikit-learn no longer knows it.
    """
    from factor_analyzer import factor_analyzer as module

    check_array = module.check_array
    if "force_all_finite" in inspect.signature(check_array).parameters:
        return

    def renamed(array: Any, *args: Any, force_all_finite: Any = True, **kwargs: Any) -> Any:
        kwargs.setdefault("ensure_all_finite", force_all_finite)
        return check_array(array, *args, **kwargs)

    module.check_array = renamed


def efa(
    items: pd.DataFrame,
    n_factors: int,
    *,
    rotation: str | None = "oblimin",
    method: Literal["minres", "ml"] = "minres",
) -> EFAResult:
    """Exploratory factor analysis: which items go together, without being told.

    The factor model writes the items' correlation matrix as

        R ≈ Λ Φ Λᵀ + Ψ

    with Λ the k × m loadings, Φ the m × m factor correlations (I before an oblique rotation)
    and Ψ the diagonal uniquenesses. ``minres`` (ordinary least squares on the off-diagonal
    residuals; Harman & Jones 1966) or ``ml`` finds Λ by ``factor_analyzer``; the solution is
    then rotated (``oblimin``: direct quartimin, Jennrich & Sampson 1966; ``varimax``: Kaiser
    1958) so that each item loads mainly on one factor.

    What is reported follows R's ``psych::fa`` (Revelle):

    * communalities ``h²_i = (Λ Φ Λᵀ)_ii = 1 − ψ_i`` (rotation does not change them);
    * the variance a factor explains, ``SS_j = (Φ ΛᵀΛ)_jj`` – after an oblique rotation this
      is not the column sum of squared pattern loadings, but these still add up to Σ h²;
    * factors ordered by ``SS_j``, each signed so that its loadings sum to a positive number,
      with Φ re-ordered and re-signed with them.

    ``factor_analyzer`` gets the last two wrong after an oblique rotation (it re-orders the
    loadings but not ``phi_``, and sums squared pattern loadings), so the rotation is run
    here with its ``Rotator`` and the summary computed here.

    Parameters
    ----------
    items : DataFrame
        One row per respondent, one numeric column per item (incomplete rows dropped).
    n_factors : int
        Number of factors, e.g. from :func:`parallel_analysis`; 1 ≤ m < k.
    rotation : {"oblimin", "varimax", None}
        ``oblimin`` lets factors correlate (subscales of one instrument usually do).
    method : {"minres", "ml"}
        Estimator.

    Returns
    -------
    EFAResult

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31(3), 351–368.
    Jennrich, R. I., & Sampson, P. F. (1966). Rotation for simple loadings. Psychometrika,
    31(3), 313–323.
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research
    (function ``fa``).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> tests = holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]]
    >>> result = efa(tests, 3)
    >>> result.loadings.abs().idxmax(axis=1).tolist()  # which factor each test loads on
    ['F2', 'F2', 'F2', 'F1', 'F1', 'F1', 'F3', 'F3', 'F3']
    """
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation!r}")
    if method not in EFA_METHODS:
        raise ValueError(f"method must be one of {EFA_METHODS}, not {method!r}")
    data, dropped = _complete_items(items)
    n, k = data.shape
    if not 1 <= n_factors < k:
        raise ValueError(f"n_factors must be between 1 and {k - 1} for {k} items, not {n_factors}")
    if n <= k:
        raise ValueError(f"too few respondents: {n} for {k} items; more respondents than items")

    _bridge_factor_analyzer()
    from factor_analyzer import FactorAnalyzer, Rotator

    notes = [f"{dropped} respondents with a missing answer were left out"] if dropped else []
    analyzer = FactorAnalyzer(
        n_factors=n_factors, rotation=None, method=method, is_corr_matrix=True
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyzer.fit(_correlation(data))
    notes += [str(w.message) for w in caught if "converge" in str(w.message)]
    unrotated = np.asarray(analyzer.loadings_)
    communalities = (unrotated**2).sum(axis=1)

    loadings, phi = unrotated, np.eye(n_factors)
    if rotation is not None and n_factors > 1:
        rotator = Rotator(method=rotation)
        loadings = rotator.fit_transform(unrotated)
        if rotation in OBLIQUE_ROTATIONS:
            phi = np.asarray(rotator.phi_)
    loadings, phi = _signed_and_ordered(loadings, phi)

    names = [f"F{j + 1}" for j in range(n_factors)]
    variance = np.diag(phi @ loadings.T @ loadings)
    proportion = variance / k
    heywood = [str(c) for c, h in zip(data.columns, communalities, strict=True) if h >= 0.995]
    if heywood:
        notes.append(f"communality at or near 1 (a Heywood case): {', '.join(heywood)}")
    oblique = rotation in OBLIQUE_ROTATIONS and n_factors > 1
    return EFAResult(
        loadings=pd.DataFrame(loadings, index=data.columns, columns=names),
        communalities=pd.Series(communalities, index=data.columns, name="communality"),
        variance=pd.DataFrame(
            {
                "ss_loadings": variance,
                "proportion": proportion,
                "cumulative": np.cumsum(proportion),
            },
            index=names,
        ),
        factor_correlations=pd.DataFrame(phi, index=names, columns=names) if oblique else None,
        method=method,
        rotation=rotation if n_factors > 1 else None,
        n=n,
        notes=notes,
    )


def _signed_and_ordered(loadings: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """psych's convention: positive column sums, factors by explained variance, Φ alongside."""
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1
    loadings = loadings * signs
    phi = phi * np.outer(signs, signs)
    order = np.argsort(-np.diag(phi @ loadings.T @ loadings), kind="stable")
    return loadings[:, order], phi[np.ix_(order, order)]


# --------------------------------------------------------------------------------------------
# confirmatory factor analysis


def _check_model(model: Mapping[str, Sequence[Any]]) -> list[Any]:
    """Return the model's items in first-seen order; raise ``ValueError`` for a bad model."""
    if not isinstance(model, Mapping) or not model:
        raise ValueError("model must map each factor to the list of its items")
    too_small = [str(f) for f, its in model.items() if len(list(dict.fromkeys(its))) < 2]
    if too_small:
        raise ValueError(f"each factor needs at least two items; too few: {', '.join(too_small)}")
    return list(dict.fromkeys(item for its in model.values() for item in its))


def _free_parameters(model: Mapping[str, Sequence[Any]], n_items: int) -> int:
    """Loadings (first of each factor fixed to 1) + residual variances + factor (co)variances."""
    n_factors = len(model)
    n_loadings = sum(len(dict.fromkeys(its)) for its in model.values())
    return (n_loadings - n_factors) + n_items + n_factors * (n_factors + 1) // 2


def cfa(
    items: pd.DataFrame,
    model: Mapping[str, Sequence[Any]],
    *,
    estimator: Literal["ML"] = "ML",
) -> CFAResult:
    """Confirmatory factor analysis of a declared model, with lavaan's fit indices.

    ``model`` maps each factor to its items (``{"visual": ["x1", "x2", "x3"], …}`` is
    lavaan's ``visual =~ x1 + x2 + x3``). Factors are allowed to correlate, each factor's
    first loading is fixed to 1, and the model is fitted by maximum likelihood with
    ``semopy``. With S the sample covariance matrix (divisor N), Σ̂ the model-implied one,
    p items, q free parameters and N complete respondents:

    * ``F_ML = ln|Σ̂| − ln|S| + tr(S Σ̂⁻¹) − p``, ``χ² = N · F_ML``, ``df = p(p+1)/2 − q``;
    * baseline (independence) model: ``χ²_B = −N · ln|R|``, ``df_B = p(p−1)/2``;
    * ``CFI = 1 − max(χ² − df, 0) / max(χ² − df, χ²_B − df_B, 0)`` (Bentler 1990);
    * ``TLI = (χ²_B/df_B − χ²/df) / (χ²_B/df_B − 1)`` (Tucker & Lewis 1973);
    * ``RMSEA = √(max(χ² − df, 0) / (df · N))`` (Steiger 1990); its 90 % interval is
      ``√(λ/(df · N))`` for the noncentralities λ_L, λ_U at which the observed χ² is the 95th
      and the 5th percentile of the noncentral χ²(df, λ) (0 when none is); the test of close
      fit is ``P(χ²(df, N·df·0.05²) ≥ χ²)``;
    * ``SRMR = √(mean over i ≤ j of ((s_ij − σ̂_ij) / √(s_ii s_jj))²)`` (Bentler 1995, lavaan's
      default);
    * standardised loadings ``λ_ij √φ_jj / √σ̂_ii`` (lavaan's ``std.all``).

    These are lavaan's conventions (ML with ``likelihood = "normal"``: N, not N − 1). semopy
    is used for the estimation only: its own ``calc_stats`` divides RMSEA by N − 1, lets CFI
    exceed 1 and has neither the RMSEA interval nor SRMR, and its default optimiser tolerance
    leaves estimates a few thousandths from the optimum, so the fit here uses a tight
    tolerance and the indices are computed above. Reproduces lavaan's published
    Holzinger–Swineford (1939) result (χ² = 85.306, df = 24, CFI = 0.931, TLI = 0.896,
    RMSEA = 0.092 [0.071, 0.114], SRMR = 0.065).

    Parameters
    ----------
    items : DataFrame
        One row per respondent, one numeric column per item (incomplete rows dropped).
    model : mapping of str to list
        Factor name → its items. An item listed under two factors loads on both.
    estimator : {"ML"}
        Maximum likelihood; the only estimator offered.

    Returns
    -------
    CFAResult

    Raises
    ------
    ValueError
        For a factor with fewer than two items, items not in the data, constant or
        non-numeric items, a model with no degrees of freedom, or fewer complete respondents
        than ``max(50, q)``.

    References
    ----------
    Bentler, P. M. (1990). Comparative fit indexes in structural models. Psychological
    Bulletin, 107(2), 238–246.
    Tucker, L. R., & Lewis, C. (1973). A reliability coefficient for maximum likelihood
    factor analysis. Psychometrika, 38(1), 1–10.
    Steiger, J. H. (1990). Structural model evaluation and modification: an interval
    estimation approach. Multivariate Behavioral Research, 25(2), 173–180.
    Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure
    analysis. Structural Equation Modeling, 6(1), 1–55.
    Rosseel, Y. (2012). lavaan: an R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1–36.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> data = holzinger39.get_data()
    >>> hs = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...       "speed": ["x7", "x8", "x9"]}
    >>> fit = cfa(data, hs)
    >>> round(fit.chi2, 3), fit.df, round(fit.cfi, 3), round(fit.rmsea, 3)
    (85.306, 24, 0.931, 0.092)
    """
    if estimator != "ML":
        raise ValueError(f"estimator must be 'ML', not {estimator!r}")
    wanted = _check_model(model)
    data, dropped = _complete_items(items, wanted)
    n, p = data.shape
    q = _free_parameters(model, p)
    df = p * (p + 1) // 2 - q
    if df <= 0:
        raise ValueError(
            f"the model has {df} degrees of freedom ({q} free parameters for {p} items): "
            "its fit cannot be tested; add items or drop factors"
        )
    if n < q:
        raise ValueError(
            f"too few respondents: {n} complete for {q} free parameters; at least {q} are needed"
        )

    fitted = _fit_semopy(data, model)
    notes = [f"{dropped} respondents with a missing answer were left out"] if dropped else []
    if not fitted.converged:
        notes.append(f"the estimation did not converge ({fitted.message}); do not trust the fit")

    chi2 = n * _f_ml(fitted.sample_cov, fitted.implied_cov)
    corr = _cov_to_corr(fitted.sample_cov)
    baseline_chi2 = -n * float(np.linalg.slogdet(corr)[1])
    baseline_df = p * (p - 1) // 2
    low, high = rmsea_interval(chi2, df, n)
    loadings, factor_corr = _standardised(fitted, data.columns, list(model))
    notes += _warnings(fitted, data.columns, factor_corr)
    return CFAResult(
        chi2=chi2,
        df=df,
        p_value=float(stats.chi2.sf(chi2, df)),
        cfi=_cfi(chi2, df, baseline_chi2, baseline_df),
        tli=_tli(chi2, df, baseline_chi2, baseline_df),
        rmsea=_rmsea(chi2, df, n),
        rmsea_ci_low=low,
        rmsea_ci_high=high,
        srmr=_srmr(fitted.sample_cov, fitted.implied_cov),
        n=n,
        loadings=loadings,
        converged=fitted.converged,
        notes=notes,
        rmsea_p_close=float(stats.ncx2.sf(chi2, df, n * df * 0.05**2)),
        baseline_chi2=baseline_chi2,
        baseline_df=baseline_df,
        factor_correlations=factor_corr,
    )


@dataclass(frozen=True)
class _Fitted:
    sample_cov: np.ndarray
    implied_cov: np.ndarray
    lam: np.ndarray  # items × factors, in the data's column order and the model's factor order
    psi: np.ndarray  # factor covariances, model's factor order
    theta: np.ndarray  # residual variances, data's column order
    converged: bool
    message: str


def _fit_semopy(data: pd.DataFrame, model: Mapping[str, Sequence[Any]]) -> _Fitted:
    """Fit ``model`` with semopy's ML objective; names are replaced so any label is safe."""
    import semopy

    item_code = {item: f"y{i}" for i, item in enumerate(data.columns)}
    factor_code = {factor: f"eta{j}" for j, factor in enumerate(model)}
    syntax = "\n".join(
        f"{factor_code[f]} =~ " + " + ".join(item_code[i] for i in dict.fromkeys(its))
        for f, its in model.items()
    )
    sem = semopy.Model(syntax)
    renamed = data.rename(columns=item_code)
    result = sem.fit(renamed, obj="MLW", solver=_CFA_SOLVER, options=dict(_CFA_OPTIONS))

    observed = list(sem.vars["observed"])
    inner = list(sem.vars["inner"])
    rows = [observed.index(item_code[c]) for c in data.columns]
    cols = [inner.index(factor_code[f]) for f in model]
    implied = np.asarray(sem.calc_sigma()[0])[np.ix_(rows, rows)]
    sample = np.asarray(sem.mx_cov)[np.ix_(rows, rows)]
    return _Fitted(
        sample_cov=sample,
        implied_cov=implied,
        lam=np.asarray(sem.mx_lambda)[np.ix_(rows, cols)],
        psi=np.asarray(sem.mx_psi)[np.ix_(cols, cols)],
        theta=np.diag(np.asarray(sem.mx_theta))[rows],
        converged=bool(result.success),
        message=str(result.message),
    )


def _f_ml(sample: np.ndarray, implied: np.ndarray) -> float:
    """``ln|Σ̂| − ln|S| + tr(S Σ̂⁻¹) − p``: the ML discrepancy (0 for a perfect fit)."""
    p = sample.shape[0]
    value = (
        np.linalg.slogdet(implied)[1]
        - np.linalg.slogdet(sample)[1]
        + np.trace(sample @ np.linalg.inv(implied))
        - p
    )
    return max(float(value), 0.0)


def _cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _cfi(chi2: float, df: int, base_chi2: float, base_df: int) -> float:
    """Bentler's CFI, truncated to [0, 1] as lavaan does."""
    model_excess = max(chi2 - df, 0.0)
    base_excess = max(chi2 - df, base_chi2 - base_df, 0.0)
    return 1.0 if base_excess == 0 else 1.0 - model_excess / base_excess


def _tli(chi2: float, df: int, base_chi2: float, base_df: int) -> float:
    """Tucker–Lewis index (not truncated: above 1 means χ² < df)."""
    base_ratio = base_chi2 / base_df
    return (base_ratio - chi2 / df) / (base_ratio - 1.0)


def _rmsea(chi2: float, df: int, n: int) -> float:
    return math.sqrt(max(chi2 - df, 0.0) / (df * n))


def rmsea_interval(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA by inverting the noncentral χ² distribution.

    Find λ_L and λ_U with ``F(χ²; df, λ_L) = 1 − α/2`` and ``F(χ²; df, λ_U) = α/2`` for
    α = 1 − ``level`` (F the noncentral χ² distribution function, decreasing in λ); a bound
    is 0 when even λ = 0 puts the observed χ² below that percentile. Then
    ``RMSEA_{L,U} = √(λ_{L,U} / (df · N))`` with N, not N − 1, as in lavaan.

    References
    ----------
    Steiger, J. H. (1990), see :func:`cfa`; MacCallum, R. C., Browne, M. W., & Sugawara, H. M.
    (1996). Power analysis and determination of sample size for covariance structure
    modeling. Psychological Methods, 1(2), 130–149.

    Examples
    --------
    >>> low, high = rmsea_interval(85.306, 24, 301)  # Holzinger–Swineford, lavaan tutorial
    >>> round(low, 3), round(high, 3)
    (0.071, 0.114)
    """
    tail = (1.0 - level) / 2.0

    def noncentrality(target: float) -> float:
        if stats.chi2.cdf(chi2, df) < target:
            return 0.0
        high = max(chi2, 1.0)
        while stats.ncx2.cdf(chi2, df, high) > target:
            high *= 2.0
        return float(
            optimize.brentq(
                lambda lam: stats.ncx2.cdf(chi2, df, lam) - target, 0.0, high, xtol=1e-12
            )
        )

    return (
        math.sqrt(noncentrality(1.0 - tail) / (df * n)),
        math.sqrt(noncentrality(tail) / (df * n)),
    )


def _srmr(sample: np.ndarray, implied: np.ndarray) -> float:
    """Residuals scaled by the observed standard deviations, over the lower triangle."""
    sd = np.sqrt(np.diag(sample))
    residual = (sample - implied) / np.outer(sd, sd)
    lower = np.tril_indices(sample.shape[0])
    return math.sqrt(float(np.mean(residual[lower] ** 2)))


def _standardised(
    fitted: _Fitted, items: pd.Index, factors: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    factor_sd = np.sqrt(np.diag(fitted.psi))
    item_sd = np.sqrt(np.diag(fitted.implied_cov))
    loadings = fitted.lam * factor_sd[None, :] / item_sd[:, None]
    factor_corr = fitted.psi / np.outer(factor_sd, factor_sd)
    return (
        pd.DataFrame(loadings, index=items, columns=factors),
        pd.DataFrame(factor_corr, index=factors, columns=factors),
    )


def _warnings(fitted: _Fitted, items: pd.Index, factor_corr: pd.DataFrame) -> list[str]:
    notes = []
    heywood = [str(c) for c, v in zip(items, fitted.theta, strict=True) if v <= _HEYWOOD]
    if heywood:
        notes.append(
            f"residual variance at zero (a Heywood case; semopy keeps variances ≥ 0): "
            f"{', '.join(heywood)}"
        )
    names = list(factor_corr.columns)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            r = float(factor_corr.iat[a, b])
            if abs(r) >= 0.9:
                notes.append(
                    f"factors {names[a]} and {names[b]} correlate {r:.2f}: they may not be distinct"
                )
    return notes


# --------------------------------------------------------------------------------------------
# instruments


def instrument_model(
    instrument: Instrument, *, level: Literal["subscale", "axis"] = "subscale"
) -> dict[str, list[str]]:
    """The CFA model an instrument declares: one factor per subscale (or per axis).

    ``level="subscale"`` gives ``{subscale id: [its items]}``; ``level="axis"`` merges the
    subscales mapped to the same axis into one factor ``{axis id: [items]}``. For the bundled
    empowerment scales, whose four subscales map one-to-one onto the four axes, the two are
    the same model under different names.

    Examples
    --------
    >>> from empower.instruments import get_instrument
    >>> model = instrument_model(get_instrument("empowerment-scales", "1.0"))
    >>> list(model), model["self_capacity"][:2]
    (['self_capacity', 'inner_peace', 'healing_growth', 'connection_purpose'], ['sc1', 'sc2'])
    """
    if level not in ("subscale", "axis"):
        raise ValueError(f"level must be 'subscale' or 'axis', not {level!r}")
    if not instrument.subscales:
        raise ValueError(
            f"instrument {instrument.key} has no subscales: there is no factor model to test"
        )
    model: dict[str, list[str]] = {}
    for subscale in instrument.subscales:
        key = subscale.id if level == "subscale" else subscale.axis
        model.setdefault(key, []).extend(i for i in subscale.items if i not in model.get(key, []))
    return model


def keyed_answers(
    instrument: Instrument, answers: pd.DataFrame, items: Sequence[str]
) -> pd.DataFrame:
    """Numeric answers with reverse-keyed items mirrored: ``x' = minimum + maximum − x``.

    "Prefer not to say" and empty answers become missing. Raises ``ValueError`` naming the
    item for answers that are not numbers or lie outside the item's scale.
    """
    absent = [i for i in items if i not in answers.columns]
    if absent:
        raise ValueError(f"items not in the data: {', '.join(absent)}")
    keyed = {}
    for item_id in items:
        item = instrument.item(item_id)
        if item.scale is None:
            raise ValueError(f"item {item_id} has no response scale")
        scale = instrument.scales[item.scale]
        raw = answers[item_id].replace(PREFER_NOT_TO_SAY, np.nan)
        values = pd.to_numeric(raw, errors="coerce")
        bad = raw.notna() & values.isna()
        outside = values.notna() & ((values < scale.minimum) | (values > scale.maximum))
        if bad.any() or outside.any():
            rows = list(answers.index[bad | outside][:5])
            raise ValueError(
                f"item {item_id}: answers must be numbers from {scale.minimum} to "
                f"{scale.maximum}; not so in rows {rows}"
            )
        keyed[item_id] = scale.minimum + scale.maximum - values if item.reverse else values
    return pd.DataFrame(keyed, index=answers.index, dtype=float)


def cfa_instrument(
    instrument: Instrument,
    answers: pd.DataFrame,
    *,
    level: Literal["subscale", "axis"] = "subscale",
    estimator: Literal["ML"] = "ML",
) -> CFAResult:
    """Test an instrument's declared structure on answers collected with it.

    Reverse-keyed items are mirrored on their scale first (``x' = minimum + maximum − x``), so
    that every item's loading should be positive; then :func:`cfa` fits
    :func:`instrument_model`. ``answers`` has one row per respondent and one column per item
    id; "prefer not to say" counts as missing and such respondents are left out.

    Examples
    --------
    >>> from empower.instruments import get_instrument
    >>> scales = get_instrument("empowerment-scales", "1.0")
    >>> fit = cfa_instrument(scales, answers)  # doctest: +SKIP
    >>> fit.cfi >= 0.95 and fit.rmsea <= 0.06 and fit.srmr <= 0.08  # doctest: +SKIP
    True
    """
    model = instrument_model(instrument, level=level)
    items = list(dict.fromkeys(i for its in model.values() for i in its))
    return cfa(keyed_answers(instrument, answers, items), model, estimator=estimator)
