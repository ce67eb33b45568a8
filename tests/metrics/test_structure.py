"""Factor structure checked against published values and exactly constructed answers.

* CFA: the Holzinger–Swineford (1939) three-factor model, whose lavaan results are published
  in lavaan's tutorial (``summary(fit, fit.measures = TRUE, standardized = TRUE)`` for
  ``HS.model`` on ``HolzingerSwineford1939``, lavaan 0.6). The data are semopy's copy of
  lavaan's ``HolzingerSwineford1939`` (301 pupils, tests x1–x9; semopy is MIT-licensed).
* EFA: correlation matrices built as Σ = Λ Φ Λᵀ + Ψ from chosen loadings. Answers are made
  whose sample correlation matrix is Σ to machine precision, so minres and ML must give Λ and
  Φ back exactly, up to the order and sign of the factors.
* Parallel analysis: eigenvalues checked against an independent computation (SMCs from
  regressions) and random eigenvalues against the Marchenko–Pastur limits.
* Instruments: answers simulated from the bundled scales instrument's own structure with
  known loadings and factor correlations.
"""

from __future__ import annotations

import doctest
from typing import Literal

import numpy as np
import pandas as pd
import pytest
from semopy.examples import holzinger39

import empower.metrics.structure
from empower.instruments import PREFER_NOT_TO_SAY, get_instrument
from empower.metrics.structure import (
    CFAResult,
    cfa,
    cfa_instrument,
    efa,
    instrument_model,
    keyed_answers,
    parallel_analysis,
    rmsea_interval,
)

HS_MODEL = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
HS_TESTS = [f"x{i}" for i in range(1, 10)]


def assert_published(value: float, published: float, decimals: int = 3) -> None:
    """``value`` rounds to the ``published`` number printed with ``decimals`` decimals."""
    assert abs(value - published) <= 0.5 * 10**-decimals + 1e-9, (value, published)


def exact_sample(sigma: np.ndarray, n: int, seed: int = 0, names: list[str] | None = None):
    """n rows whose sample covariance (and, with a unit diagonal, correlation) is ``sigma``."""
    rng = np.random.default_rng(seed)
    k = sigma.shape[0]
    z = rng.standard_normal((n, k))
    z -= z.mean(axis=0)
    white = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    data = white @ np.linalg.cholesky(sigma).T
    return pd.DataFrame(data, columns=names or [f"i{j + 1}" for j in range(k)])


def implied_correlation(loadings: np.ndarray, phi: np.ndarray) -> np.ndarray:
    sigma = loadings @ phi @ loadings.T
    np.fill_diagonal(sigma, 1.0)
    return sigma


def match_factors(estimated: pd.DataFrame, true: np.ndarray) -> list[int]:
    """For each true factor, the estimated column it became (by the largest loading)."""
    order = [
        int(np.argmax(np.abs(estimated.to_numpy()[np.argmax(np.abs(true[:, j]))])))
        for j in range(true.shape[1])
    ]
    assert sorted(order) == list(range(true.shape[1]))
    return order


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    data = holzinger39.get_data()
    # the sample lavaan uses: 301 pupils, means as in lavaan's meanstructure output
    assert len(data) == 301
    assert data[HS_TESTS].mean().round(3).tolist() == [
        4.936,
        6.088,
        2.250,
        3.061,
        4.341,
        2.186,
        4.186,
        5.527,
        5.374,
    ]
    return data


@pytest.fixture(scope="module")
def hs_fit(hs: pd.DataFrame) -> CFAResult:
    return cfa(hs, HS_MODEL)


# --- CFA: Holzinger–Swineford, lavaan tutorial ------------------------------------------------


def test_hs_test_statistic_and_baseline(hs_fit: CFAResult) -> None:
    assert hs_fit.n == 301
    assert hs_fit.df == 24
    assert_published(hs_fit.chi2, 85.306)
    assert_published(hs_fit.p_value, 0.000)
    assert hs_fit.baseline_df == 36
    assert_published(hs_fit.baseline_chi2, 918.852)
    assert hs_fit.converged
    assert hs_fit.notes == []


def test_hs_incremental_fit(hs_fit: CFAResult) -> None:
    assert_published(hs_fit.cfi, 0.931)
    assert_published(hs_fit.tli, 0.896)


def test_hs_rmsea_with_interval_and_close_fit(hs_fit: CFAResult) -> None:
    assert_published(hs_fit.rmsea, 0.092)
    assert_published(hs_fit.rmsea_ci_low, 0.071)
    assert_published(hs_fit.rmsea_ci_high, 0.114)
    assert_published(hs_fit.rmsea_p_close, 0.001)
    # lavaan divides by N; semopy's own calc_rmsea divides by N - 1 (0.09227 here)
    assert hs_fit.rmsea == pytest.approx(np.sqrt((hs_fit.chi2 - 24) / (24 * 301)))


def test_hs_srmr(hs_fit: CFAResult) -> None:
    assert_published(hs_fit.srmr, 0.065)


def test_hs_standardised_loadings(hs_fit: CFAResult) -> None:
    published = {  # lavaan Std.all
        ("x1", "visual"): 0.772, ("x2", "visual"): 0.424, ("x3", "visual"): 0.581,
        ("x4", "textual"): 0.852, ("x5", "textual"): 0.855, ("x6", "textual"): 0.838,
        ("x7", "speed"): 0.570, ("x8", "speed"): 0.723, ("x9", "speed"): 0.665,
    }  # fmt: skip
    assert list(hs_fit.loadings.columns) == ["visual", "textual", "speed"]
    assert list(hs_fit.loadings.index) == HS_TESTS
    for (item, factor), value in published.items():
        assert_published(hs_fit.loadings.loc[item, factor], value)
    # no path, no loading
    assert (hs_fit.loadings.to_numpy() != 0).sum() == 9


def test_hs_factor_correlations(hs_fit: CFAResult) -> None:
    phi = hs_fit.factor_correlations
    assert phi is not None
    assert_published(phi.loc["visual", "textual"], 0.459)
    assert_published(phi.loc["visual", "speed"], 0.471)
    assert_published(phi.loc["textual", "speed"], 0.283)


def test_hs_does_not_depend_on_names_or_column_order(hs: pd.DataFrame, hs_fit) -> None:
    renamed = hs[HS_TESTS[::-1]].rename(columns=lambda c: f"test {c} (score)")
    model = {f"{f} ability": [f"test {i} (score)" for i in its] for f, its in HS_MODEL.items()}
    fit = cfa(renamed, model)
    assert fit.chi2 == pytest.approx(hs_fit.chi2, rel=1e-6)
    assert fit.srmr == pytest.approx(hs_fit.srmr, rel=1e-6)
    assert fit.loadings.loc["test x7 (score)", "speed ability"] == pytest.approx(
        hs_fit.loadings.loc["x7", "speed"], abs=1e-5
    )


def test_rmsea_interval_bounds_at_zero() -> None:
    # χ² far below df: even λ = 0 puts it under the 5th percentile, so both bounds are 0
    assert rmsea_interval(10.0, 24, 301) == (0.0, 0.0)
    # χ² = df: the lower bound is 0, the upper bound is not
    low, high = rmsea_interval(24.0, 24, 301)
    assert low == 0.0
    assert 0.0 < high < 0.06


def test_cfi_is_one_and_tli_above_one_when_chi2_below_df() -> None:
    # data that fit the model exactly: χ² = 0 < df, so CFI is capped at 1 (lavaan) while
    # semopy's uncapped formula would give more than 1
    loadings = np.zeros((6, 2))
    loadings[:3, 0] = [0.7, 0.6, 0.8]
    loadings[3:, 1] = [0.5, 0.7, 0.6]
    phi = np.array([[1.0, 0.3], [0.3, 1.0]])
    data = exact_sample(implied_correlation(loadings, phi), 200)
    fit = cfa(data, {"a": ["i1", "i2", "i3"], "b": ["i4", "i5", "i6"]})
    assert fit.chi2 == pytest.approx(0.0, abs=1e-5)
    assert fit.cfi == 1.0
    assert fit.tli > 1.0
    assert fit.rmsea == 0.0
    assert fit.srmr == pytest.approx(0.0, abs=1e-4)
    assert fit.loadings.loc["i3", "a"] == pytest.approx(0.8, abs=1e-3)
    assert fit.factor_correlations is not None
    assert fit.factor_correlations.loc["a", "b"] == pytest.approx(0.3, abs=1e-3)


def test_heywood_case_is_reported() -> None:
    # item 1 correlates 0.85 with each of three items that correlate 0.6 among themselves:
    # one factor would need λ₁ = 0.85/√0.6 > 1. With its residual variance held at 0, the
    # factor is item 1 itself, so the other loadings are exactly their correlations with it.
    sigma = np.full((4, 4), 0.6)
    sigma[0, :] = sigma[:, 0] = 0.85
    np.fill_diagonal(sigma, 1.0)
    fit = cfa(exact_sample(sigma, 300), {"g": ["i1", "i2", "i3", "i4"]})
    assert fit.notes == [
        "residual variance at zero (a Heywood case; semopy keeps variances ≥ 0): i1"
    ]
    np.testing.assert_allclose(fit.loadings["g"], [1.0, 0.85, 0.85, 0.85], atol=1e-3)


# --- CFA: bad input ---------------------------------------------------------------------------


def test_cfa_rejects_items_not_in_the_data(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="items not in the data: x10"):
        cfa(hs, {**HS_MODEL, "memory": ["x10", "x1"]})


def test_cfa_rejects_too_few_respondents(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="too few respondents: 49"):
        cfa(hs.head(49), HS_MODEL)


def test_cfa_counts_only_complete_respondents(hs: pd.DataFrame) -> None:
    gappy = hs.head(60).copy()
    gappy.loc[gappy.index[:15], "x5"] = np.nan
    with pytest.raises(ValueError, match=r"too few respondents: 45 .*15 incomplete"):
        cfa(gappy, HS_MODEL)


def test_cfa_rejects_fewer_respondents_than_free_parameters() -> None:
    # 24 items on 4 factors: 20 loadings + 24 residuals + 10 factor (co)variances = 54
    model = instrument_model(get_instrument("empowerment-scales", "1.0"))
    data = simulated_keyed(n=52)
    with pytest.raises(ValueError, match="52 complete for 54 free parameters"):
        cfa(data, model)


def test_cfa_rejects_constant_items(hs: pd.DataFrame) -> None:
    data = hs.assign(x4=3.0)
    with pytest.raises(ValueError, match=r"constant items .*: x4"):
        cfa(data, HS_MODEL)


def test_cfa_rejects_non_numeric_items(hs: pd.DataFrame) -> None:
    data = hs.assign(x2=hs["x2"].astype(str))
    with pytest.raises(ValueError, match="not numeric: x2"):
        cfa(data, HS_MODEL)


def test_cfa_rejects_a_factor_with_one_item(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="at least two items; too few: speed"):
        cfa(hs, {"visual": ["x1", "x2", "x3"], "speed": ["x7"]})


def test_cfa_rejects_a_model_with_no_degrees_of_freedom(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="0 degrees of freedom"):
        cfa(hs, {"visual": ["x1", "x2", "x3"]})


def test_cfa_offers_maximum_likelihood_only(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="estimator must be 'ML'"):
        cfa(hs, HS_MODEL, estimator="ULS")  # type: ignore[arg-type]


# --- EFA: exactly constructed correlation matrices ---------------------------------------------


def oblique_case() -> tuple[np.ndarray, np.ndarray]:
    """Three correlated factors of 3, 4 and 5 items, one correlation negative.

    The factor that explains most variance is the last one, so ordering the factors moves
    them; factor_analyzer 0.5.1 then reports Φ in the old order (F1–F2 as 0.2 instead of −0.3).
    """
    loadings = np.zeros((12, 3))
    loadings[0:3, 0] = [0.45, 0.75, 0.70]
    loadings[3:7, 1] = [0.75, 0.50, 0.75, 0.50]
    loadings[7:12, 2] = [0.45, 0.80, 0.80, 0.80, 0.60]
    phi = np.array([[1.0, 0.4, 0.2], [0.4, 1.0, -0.3], [0.2, -0.3, 1.0]])
    return loadings, phi


@pytest.mark.parametrize("method", ["minres", "ml"])
def test_efa_recovers_oblique_loadings_and_factor_correlations(
    method: Literal["minres", "ml"],
) -> None:
    loadings, phi = oblique_case()
    data = exact_sample(implied_correlation(loadings, phi), 500)
    result = efa(data, 3, rotation="oblimin", method=method)
    order = match_factors(result.loadings, loadings)
    recovered = result.loadings.to_numpy()[:, order]
    signs = np.sign(recovered.sum(axis=0))
    np.testing.assert_allclose(recovered * signs, loadings, atol=5e-4)
    assert result.factor_correlations is not None
    recovered_phi = result.factor_correlations.to_numpy()[np.ix_(order, order)]
    np.testing.assert_allclose(recovered_phi * np.outer(signs, signs), phi, atol=5e-4)
    # ordered by explained variance: the 5-item factor first, then the 4-item, then the 3-item
    assert order == [2, 1, 0]
    expected_ss = np.diag(phi @ loadings.T @ loadings)[[2, 1, 0]]
    np.testing.assert_allclose(result.variance["ss_loadings"], expected_ss, atol=1e-3)
    assert result.n == 500
    assert result.rotation == "oblimin"


def test_efa_recovers_orthogonal_loadings_with_varimax() -> None:
    loadings = np.zeros((9, 3))
    loadings[0:3, 0] = [0.8, 0.7, 0.6]
    loadings[3:6, 1] = [0.7, 0.6, 0.5]
    loadings[6:9, 2] = [0.6, 0.5, 0.5]
    data = exact_sample(implied_correlation(loadings, np.eye(3)), 300)
    result = efa(data, 3, rotation="varimax")
    assert result.factor_correlations is None
    order = match_factors(result.loadings, loadings)
    assert order == [0, 1, 2]
    np.testing.assert_allclose(result.loadings.to_numpy(), loadings, atol=5e-4)
    np.testing.assert_allclose(
        result.variance["proportion"], (loadings**2).sum(axis=0) / 9, atol=1e-3
    )


def test_efa_communalities_and_variance_after_oblique_rotation_with_cross_loadings() -> None:
    # item 4 loads on two correlated factors: its communality is λ Φ λᵀ = 0.35² + 0.3² +
    # 2·0.35·0.3·0.5 = 0.3175, not the 0.2125 a sum of squared pattern loadings would give
    loadings = np.array(
        [[.4, 0, 0], [.4, 0, 0], [.45, 0, 0], [.35, .3, 0], [0, .8, 0], [0, .85, 0],
         [0, .8, 0], [0, .75, 0], [0, 0, .6], [0, 0, .65], [0, 0, .6], [.2, 0, .6]]
    )  # fmt: skip
    phi = np.array([[1.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 1.0]])
    true_h2 = np.diag(loadings @ phi @ loadings.T)
    data = exact_sample(implied_correlation(loadings, phi), 400)
    result = efa(data, 3)
    np.testing.assert_allclose(result.communalities, true_h2, atol=5e-4)
    assert result.communalities.iloc[3] == pytest.approx(0.3175, abs=5e-4)
    # explained variances add up to the communalities, whatever the rotation
    assert result.variance["ss_loadings"].sum() == pytest.approx(true_h2.sum(), abs=1e-3)
    assert result.variance["cumulative"].iloc[-1] == pytest.approx(true_h2.sum() / 12, abs=1e-4)


def test_efa_one_factor_is_unrotated() -> None:
    loadings = np.array([[0.8], [0.7], [0.6], [0.5], [0.4]])
    data = exact_sample(implied_correlation(loadings, np.eye(1)), 200)
    result = efa(data, 1)
    np.testing.assert_allclose(result.loadings["F1"], loadings[:, 0], atol=5e-4)
    assert result.rotation is None
    assert result.factor_correlations is None


def test_efa_on_holzinger_swineford_groups_the_three_abilities(hs: pd.DataFrame) -> None:
    result = efa(hs[HS_TESTS], 3)
    groups = result.loadings.abs().idxmax(axis=1)
    assert groups.iloc[0:3].nunique() == groups.iloc[3:6].nunique() == 1
    assert groups.iloc[6:9].nunique() == 1
    assert groups.nunique() == 3


def test_efa_rejects_bad_arguments(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="n_factors must be between 1 and 8"):
        efa(hs[HS_TESTS], 9)
    with pytest.raises(ValueError, match="rotation must be one of"):
        efa(hs[HS_TESTS], 3, rotation="promax")
    with pytest.raises(ValueError, match="method must be one of"):
        efa(hs[HS_TESTS], 3, method="pa")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="constant items"):
        efa(hs[HS_TESTS].assign(x1=1.0), 3)


# --- parallel analysis ------------------------------------------------------------------------


def squared_multiple_correlations(data: pd.DataFrame) -> np.ndarray:
    """R² of each item regressed on all the others, by least squares."""
    x = data.to_numpy(dtype=float)
    x = x - x.mean(axis=0)
    smc = []
    for j in range(x.shape[1]):
        others = np.delete(x, j, axis=1)
        coef, *_ = np.linalg.lstsq(others, x[:, j], rcond=None)
        residual = x[:, j] - others @ coef
        smc.append(1 - residual @ residual / (x[:, j] @ x[:, j]))
    return np.array(smc)


def test_parallel_observed_eigenvalues(hs: pd.DataFrame) -> None:
    data = hs[HS_TESTS]
    corr = np.corrcoef(data.to_numpy(), rowvar=False)
    pca = parallel_analysis(data, n_iter=5, method="pca")
    np.testing.assert_allclose(pca.observed, np.sort(np.linalg.eigvals(corr).real)[::-1])
    assert pca.observed.sum() == pytest.approx(9.0)  # trace of a correlation matrix
    reduced = corr.copy()
    np.fill_diagonal(reduced, squared_multiple_correlations(data))
    fa = parallel_analysis(data, n_iter=5, method="fa")
    np.testing.assert_allclose(fa.observed, np.sort(np.linalg.eigvals(reduced).real)[::-1])


def test_parallel_random_eigenvalues_follow_marchenko_pastur() -> None:
    # independent answers, n = 2000, k = 40: the eigenvalues of their correlation matrix fill
    # [(1 − √(k/n))², (1 + √(k/n))²] as n and k grow (Marchenko & Pastur 1967). In a finite
    # sample the extreme ones stay just inside those edges, by O(n^(−2/3)) (Johnstone 2001):
    # here by about 0.02–0.03.
    n, k = 2000, 40
    noise = exact_sample(np.eye(k), n)
    result = parallel_analysis(noise, n_iter=100, percentile=50)
    upper, lower = (1 + np.sqrt(k / n)) ** 2, (1 - np.sqrt(k / n)) ** 2
    assert upper - 0.05 < result.random[0] < upper
    assert lower < result.random[-1] < lower + 0.05
    assert np.all(np.diff(result.random) <= 0)
    # answers with no correlation at all: every observed eigenvalue is 1, nothing to keep
    np.testing.assert_allclose(result.observed, 1.0)
    assert result.suggested == 0


@pytest.mark.parametrize("method", ["pca", "fa"])
def test_parallel_suggests_the_number_of_constructed_factors(method: Literal["pca", "fa"]) -> None:
    # three factors of four items loading 0.7, correlating 0.3: the observed eigenvalues are
    # known exactly: items correlate 0.49 within a factor and 0.147 across, so the
    # correlation matrix has eigenvalues 1 + 3·0.49 + 8·0.147 = 3.646, 1 + 3·0.49 − 4·0.147
    # = 1.882 (twice) and 1 − 0.49 = 0.51 (nine times)
    loadings = np.zeros((12, 3))
    for j in range(3):
        loadings[4 * j : 4 * j + 4, j] = 0.7
    phi = np.full((3, 3), 0.3)
    np.fill_diagonal(phi, 1.0)
    data = exact_sample(implied_correlation(loadings, phi), 500)
    result = parallel_analysis(data, method=method)
    assert result.suggested == 3
    if method == "pca":
        np.testing.assert_allclose(result.observed[:4], [3.646, 1.882, 1.882, 0.51], atol=1e-9)


def test_parallel_components_can_miss_a_weak_factor() -> None:
    # the oblique case's 3-item factor (0.45, 0.75, 0.70) gives a third component eigenvalue
    # of 1.17, below what random data reach at the 95th percentile; common factors find it
    loadings, phi = oblique_case()
    data = exact_sample(implied_correlation(loadings, phi), 500)
    assert parallel_analysis(data, method="pca").suggested == 2
    assert parallel_analysis(data, method="fa").suggested == 3


def test_parallel_on_holzinger_swineford(hs: pd.DataFrame) -> None:
    # three abilities, three factors – for components and for common factors
    assert parallel_analysis(hs[HS_TESTS], method="pca").suggested == 3
    assert parallel_analysis(hs[HS_TESTS], method="fa").suggested == 3


def test_parallel_is_reproducible_by_seed(hs: pd.DataFrame) -> None:
    first = parallel_analysis(hs[HS_TESTS], n_iter=20, seed=7)
    again = parallel_analysis(hs[HS_TESTS], n_iter=20, seed=7)
    other = parallel_analysis(hs[HS_TESTS], n_iter=20, seed=8)
    np.testing.assert_array_equal(first.random, again.random)
    assert not np.array_equal(first.random, other.random)
    # a higher percentile is a higher bar
    strict = parallel_analysis(hs[HS_TESTS], n_iter=20, seed=7, percentile=99)
    assert (strict.random >= first.random).all()


def test_parallel_rejects_bad_arguments(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="method must be 'pca' or 'fa'"):
        parallel_analysis(hs[HS_TESTS], method="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="percentile must lie between 0 and 100"):
        parallel_analysis(hs[HS_TESTS], percentile=100)
    with pytest.raises(ValueError, match="too few respondents: 20"):
        parallel_analysis(hs[HS_TESTS].head(20))


# --- instruments ------------------------------------------------------------------------------

SCALES = get_instrument("empowerment-scales", "1.0")

#: true standardised loadings of the six items of each subscale, in the instrument's order
TRUE_LOADINGS = {
    "self_capacity": [0.75, 0.70, 0.60, 0.80, 0.55, 0.65],
    "inner_peace": [0.80, 0.65, 0.70, 0.60, 0.75, 0.55],
    "healing_growth": [0.60, 0.70, 0.65, 0.55, 0.80, 0.70],
    "connection_purpose": [0.70, 0.75, 0.60, 0.65, 0.55, 0.80],
}
#: true correlations between the four subscale factors
TRUE_PHI = np.array(
    [[1.0, 0.5, 0.4, 0.3], [0.5, 1.0, 0.35, 0.3], [0.4, 0.35, 1.0, 0.45], [0.3, 0.3, 0.45, 1.0]]
)


def simulated_keyed(n: int = 1000, seed: int = 20240611) -> pd.DataFrame:
    """Answers on the 1–5 scale, already keyed, from the instrument's own four-factor model.

    y* = Λ f + e with standardised f (correlations TRUE_PHI) and e, then y = 3 + 0.45 y*, so
    that the standardised loadings of y are exactly TRUE_LOADINGS and y stays inside 1–5.
    """
    rng = np.random.default_rng(seed)
    factors = rng.multivariate_normal(np.zeros(4), TRUE_PHI, size=n)
    columns = {}
    for j, subscale in enumerate(SCALES.subscales):
        for item, lam in zip(subscale.items, TRUE_LOADINGS[subscale.id], strict=True):
            latent = lam * factors[:, j] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            columns[item] = 3 + 0.45 * latent
    data = pd.DataFrame(columns)
    assert data.min().min() >= 1 and data.max().max() <= 5
    return data


def as_answered(keyed: pd.DataFrame) -> pd.DataFrame:
    """What participants answered: reverse-keyed items mirrored back (x = 1 + 5 − x')."""
    raw = keyed.copy()
    for item in SCALES.items:
        if item.reverse:
            raw[item.id] = 6 - raw[item.id]
    return raw


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    return as_answered(simulated_keyed())


@pytest.fixture(scope="module")
def scales_fit(answers: pd.DataFrame) -> CFAResult:
    return cfa_instrument(SCALES, answers)


def test_instrument_model_has_one_factor_per_subscale() -> None:
    model = instrument_model(SCALES)
    assert model == {
        "self_capacity": ["sc1", "sc2", "sc3", "sc4", "sc5", "sc6"],
        "inner_peace": ["ip1", "ip2", "ip3", "ip4", "ip5", "ip6"],
        "healing_growth": ["hg1", "hg2", "hg3", "hg4", "hg5", "hg6"],
        "connection_purpose": ["cp1", "cp2", "cp3", "cp4", "cp5", "cp6"],
    }
    by_axis = instrument_model(SCALES, level="axis")
    assert list(by_axis) == ["self_capacity", "inner_peace", "healing", "purpose"]
    assert list(by_axis.values()) == list(model.values())


def test_instrument_model_needs_subscales() -> None:
    interview = get_instrument("empowerment-interview", "2.0")
    with pytest.raises(ValueError, match="has no subscales"):
        instrument_model(interview)


def test_keyed_answers_mirror_reverse_items() -> None:
    raw = pd.DataFrame({"sc1": [1, 4, 5], "sc3": [1, 4, 5]})
    keyed = keyed_answers(SCALES, raw, ["sc1", "sc3"])
    assert keyed["sc1"].tolist() == [1, 4, 5]  # keyed as asked
    assert keyed["sc3"].tolist() == [5, 2, 1]  # reverse: 1 + 5 − x


def test_keyed_answers_treat_prefer_not_to_say_as_missing() -> None:
    raw = pd.DataFrame({"sc3": [2, PREFER_NOT_TO_SAY, None]}, dtype=object)
    keyed = keyed_answers(SCALES, raw, ["sc3"])
    assert keyed["sc3"].iloc[0] == 4
    assert keyed["sc3"].iloc[1:].isna().all()


def test_keyed_answers_reject_answers_off_the_scale() -> None:
    with pytest.raises(ValueError, match=r"item sc2: answers must be numbers from 1 to 5.*\[1\]"):
        keyed_answers(SCALES, pd.DataFrame({"sc2": [3, 7, 2]}), ["sc2"])
    with pytest.raises(ValueError, match="item sc2"):
        keyed_answers(SCALES, pd.DataFrame({"sc2": [3, "often", 2]}), ["sc2"])
    with pytest.raises(ValueError, match="items not in the data: sc2"):
        keyed_answers(SCALES, pd.DataFrame({"sc1": [3]}), ["sc1", "sc2"])


def test_declared_structure_fits_answers_simulated_from_it(scales_fit: CFAResult) -> None:
    assert scales_fit.converged
    assert scales_fit.n == 1000
    assert scales_fit.df == 300 - 54
    assert scales_fit.cfi > 0.95
    assert scales_fit.tli > 0.95
    assert scales_fit.rmsea < 0.05
    assert scales_fit.rmsea_ci_low <= scales_fit.rmsea <= scales_fit.rmsea_ci_high
    assert scales_fit.srmr < 0.05
    assert scales_fit.notes == []


def test_declared_structure_recovers_loadings_and_correlations(scales_fit: CFAResult) -> None:
    for subscale, values in TRUE_LOADINGS.items():
        items = instrument_model(SCALES)[subscale]
        recovered = scales_fit.loadings.loc[items, subscale].to_numpy()
        np.testing.assert_allclose(recovered, values, atol=0.05)
    assert scales_fit.factor_correlations is not None
    np.testing.assert_allclose(scales_fit.factor_correlations.to_numpy(), TRUE_PHI, atol=0.05)


def test_reverse_items_load_negatively_unless_keyed(answers: pd.DataFrame) -> None:
    unkeyed = cfa(answers, instrument_model(SCALES))
    for item in SCALES.items:
        loading = unkeyed.loadings.loc[item.id].sum()
        assert (loading < 0) == item.reverse, item.id


def test_misspecified_models_fit_worse(answers: pd.DataFrame, scales_fit: CFAResult) -> None:
    keyed = keyed_answers(SCALES, answers, list(answers.columns))
    one_factor = cfa(keyed, {"empowerment": list(keyed.columns)})
    assert one_factor.chi2 > scales_fit.chi2
    assert one_factor.cfi < 0.9
    assert one_factor.rmsea > 0.08
    assert one_factor.srmr > scales_fit.srmr

    model = instrument_model(SCALES)
    swapped = {**model}
    swapped["self_capacity"] = ["sc1", "sc2", "sc3", "ip4", "ip5", "ip6"]
    swapped["inner_peace"] = ["ip1", "ip2", "ip3", "sc4", "sc5", "sc6"]
    misplaced = cfa(keyed, swapped)
    assert misplaced.cfi < scales_fit.cfi - 0.05
    assert misplaced.rmsea > scales_fit.rmsea + 0.02
    assert misplaced.rmsea_ci_low > scales_fit.rmsea_ci_high


def test_respondents_who_preferred_not_to_say_are_left_out(answers: pd.DataFrame) -> None:
    gappy = answers.astype(object)
    gappy.loc[gappy.index[:10], "ip2"] = PREFER_NOT_TO_SAY
    fit = cfa_instrument(SCALES, gappy)
    assert fit.n == 990
    assert "10 respondents with a missing answer were left out" in fit.notes


def test_docstring_examples() -> None:
    outcome = doctest.testmod(empower.metrics.structure, optionflags=doctest.ELLIPSIS)
    assert outcome.attempted > 0
    assert outcome.failed == 0
