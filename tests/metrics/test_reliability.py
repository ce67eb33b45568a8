"""Reliability checked against hand-worked cases, pingouin's published examples and psych.

Reference data live in ``tests/metrics/data`` (sources in ``reliability-sources.md`` there).
The psych values were produced by ``data/reliability_reference.R`` (R 4.2.2, psych 2.2.9,
GPArotation 2022.10-2); its output is kept beside it as ``reliability_reference.out``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from empower.metrics.reliability import (
    ITEM_STATISTICS_COLUMNS,
    AlphaResult,
    OmegaResult,
    cronbach_alpha,
    item_statistics,
    omega,
    omega_from_correlation,
    omega_total_one_factor,
    reverse_key,
)

DATA = Path(__file__).parent / "data"


def r_table(text: str) -> pd.DataFrame:
    """A table as R prints it (first column the row names), copied from
    ``data/reliability_reference.out``."""
    return pd.read_csv(io.StringIO(text), sep=r"\s+", index_col=0)


# --- reference data ---------------------------------------------------------------------------


def pingouin_cronbach_alpha() -> pd.DataFrame:
    """pingouin's ``cronbach_alpha`` dataset, long → wide: 15 respondents × 10 items."""
    long = pd.read_csv(DATA / "pingouin_cronbach_alpha.csv")
    return long.pivot(index="Subj", columns="Items", values="Scores")[
        [f"Q{i}" for i in range(1, 11)]
    ]


def pingouin_wide_missing() -> pd.DataFrame:
    """pingouin's ``cronbach_wide_missing``: 12 respondents × 11 binary items, 5 answers missing."""
    return pd.read_csv(DATA / "pingouin_cronbach_wide_missing.csv")


def holzinger_swineford() -> pd.DataFrame:
    """Holzinger & Swineford (1939), tests x1 … x9 of 301 pupils (as shipped with lavaan)."""
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv").drop(columns="id")


def holzinger_swineford_with_holes() -> pd.DataFrame:
    """The same with answers removed in the fixed pattern of ``reliability_reference.R``."""
    data = holzinger_swineford()
    row = np.arange(1, len(data) + 1)  # R's 1-based row numbers
    data.loc[row % 7 == 0, "x1"] = np.nan
    data.loc[row % 11 == 0, "x5"] = np.nan
    data.loc[row % 13 == 0, "x9"] = np.nan
    return data


def thurstone() -> pd.DataFrame:
    """psych's ``Thurstone``: correlations of 9 ability tests, n = 213 (McDonald 1999)."""
    return pd.read_csv(DATA / "psych_thurstone.csv", index_col=0)


def data_with_correlation(R: np.ndarray, n: int = 400, seed: int = 3) -> pd.DataFrame:
    """Answers whose sample correlation matrix *is* ``R`` (to rounding): whiten random normal
    data so its sample covariance is the identity, then colour it with the Cholesky factor
    of ``R``. Lets a known correlation structure go through the functions that take answers."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, R.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    x = z @ np.linalg.cholesky(R).T
    return pd.DataFrame(x, columns=[f"q{i + 1}" for i in range(R.shape[0])])


def higher_order_correlation(
    first_order: list[list[float]], second_order: list[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An exactly hierarchical correlation matrix.

    Items load only on their group factor (``first_order[k]`` lists group k's loadings); the
    group factors load ``second_order[k]`` on one general factor. Then the bifactor loadings
    are exactly ``a·γ`` (general) and ``a·√(1−γ²)`` (group), which a Schmid–Leiman solution
    must recover. Returns (R, general loadings, group loadings).
    """
    k = sum(len(g) for g in first_order)
    m = len(first_order)
    pattern = np.zeros((k, m))
    row = 0
    for f, loadings in enumerate(first_order):
        for a in loadings:
            pattern[row, f] = a
            row += 1
    gamma = np.array(second_order)
    phi = np.outer(gamma, gamma)
    np.fill_diagonal(phi, 1)
    R = pattern @ phi @ pattern.T
    np.fill_diagonal(R, 1)
    return R, pattern @ gamma, pattern * np.sqrt(1 - gamma**2)


# --- reverse keying ---------------------------------------------------------------------------


def test_reverse_key_mirrors_on_the_scale_and_keeps_missing() -> None:
    answers = pd.DataFrame({"calm": [1, 4, 5], "worried": [5, 2, np.nan]})
    keyed = reverse_key(answers, ["worried"], minimum=1, maximum=5)
    assert keyed["worried"].tolist()[:2] == [1, 4]  # 1 + 5 − 5, 1 + 5 − 2
    assert math.isnan(keyed["worried"].iloc[2])
    assert keyed["calm"].tolist() == [1, 4, 5]
    assert answers["worried"].tolist()[:2] == [5, 2]  # the input is not changed


def test_reverse_key_on_a_scale_not_starting_at_one() -> None:
    answers = pd.DataFrame({"effect": [-2, -1, 0, 2]})
    keyed = reverse_key(answers, "effect", minimum=-2, maximum=2)
    assert keyed["effect"].tolist() == [2, 1, 0, -2]


@pytest.mark.parametrize(
    ("reverse", "minimum", "maximum", "message"),
    [
        (["missing"], 1, 5, "not among the columns: missing"),
        (["a"], 5, 1, "must be below"),
        (["a"], 1, 3, "value\\(s\\) 4, 5 outside the scale 1–3"),
    ],
)
def test_reverse_key_refuses_bad_input(
    reverse: list[str], minimum: int, maximum: int, message: str
) -> None:
    answers = pd.DataFrame({"a": [1, 4, 5]})
    with pytest.raises(ValueError, match=message):
        reverse_key(answers, reverse, minimum, maximum)


def test_an_item_scored_backwards_lowers_alpha_until_reverse_keyed() -> None:
    keyed = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [1, 3, 2, 5, 4]})
    backwards = keyed.assign(c=6 - keyed["c"])  # item c worded the other way on a 1–5 scale
    # By hand: c' = 6 − c = 5 3 4 1 2 has the same SS (10) but the total
    # a + b + c' = 8 6 11 8 12 (mean 9) has SS = 1 + 9 + 4 + 1 + 9 = 24 instead of 68, so
    # α = 3/2 · (1 − 30/24) = −3/8.
    assert cronbach_alpha(backwards).alpha == pytest.approx(-3 / 8, abs=1e-12)
    assert item_statistics(backwards).loc["c", "item_rest_r"] < 0
    repaired = reverse_key(backwards, ["c"], minimum=1, maximum=5)
    assert cronbach_alpha(repaired).alpha == pytest.approx(57 / 68, abs=1e-12)


# --- Cronbach's alpha: hand-worked cases -------------------------------------------------------


def test_alpha_hand_worked_five_respondents_three_items() -> None:
    # a = 1 2 3 4 5   mean 3, squared deviations 4 1 0 1 4 → SS_a = 10
    # b = 2 1 4 3 5   mean 3, squared deviations 1 4 1 0 4 → SS_b = 10
    # c = 1 3 2 5 4   mean 3, squared deviations 4 0 1 4 1 → SS_c = 10
    # t = a + b + c = 4 6 9 12 14, mean 9, squared deviations 25 9 0 9 25 → SS_t = 68
    # α = k/(k − 1) · (1 − ΣSS_i / SS_t) = 3/2 · (1 − 30/68) = 3/2 · 38/68 = 57/68
    answers = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [1, 3, 2, 5, 4]})
    result = cronbach_alpha(answers)
    assert result.alpha == pytest.approx(float(Fraction(57, 68)), abs=1e-12)
    assert (result.n, result.k) == (5, 3)
    # Feldt interval by hand with printed F tables: d1 = 4, d2 = 8,
    # F_0.975(4, 8) = 5.0526 and F_0.025(4, 8) = 1 / F_0.975(8, 4) = 1 / 8.9796 = 0.11136.
    # low = 1 − (11/68) · 5.0526 = 0.18266;  high = 1 − (11/68) · 0.11136 = 0.98199
    assert result.ci_low == pytest.approx(0.18266, abs=1e-4)
    assert result.ci_high == pytest.approx(0.98199, abs=1e-4)


def test_alpha_is_one_for_parallel_items_that_agree_perfectly() -> None:
    x = np.array([1.0, 3, 2, 5, 4, 4])
    result = cronbach_alpha(pd.DataFrame({"a": x, "b": x + 1, "c": x - 1}))
    assert result.alpha == pytest.approx(1.0, abs=1e-12)
    assert result.ci_low == pytest.approx(1.0, abs=1e-12)
    assert result.ci_high == pytest.approx(1.0, abs=1e-12)


def test_alpha_of_perfectly_correlated_items_with_unequal_spread() -> None:
    # b = 2a: C = σ²[[1, 2], [2, 4]], α = 2 · (1 − 5/9) = 8/9 (alpha assumes equal loadings)
    x = np.array([1.0, 2, 4, 7])
    assert cronbach_alpha(pd.DataFrame({"a": x, "b": 2 * x})).alpha == pytest.approx(8 / 9)


def test_alpha_ci_level() -> None:
    answers = pingouin_cronbach_alpha()
    wide = cronbach_alpha(answers, ci=0.99)
    narrow = cronbach_alpha(answers, ci=0.90)
    assert wide.ci_low < narrow.ci_low < narrow.alpha < narrow.ci_high < wide.ci_high
    # pingouin.cronbach_alpha(data, ci=.99) → (0.5917188485995826, array([0.015, 0.885]))
    assert (round(wide.ci_low, 3), round(wide.ci_high, 3)) == (0.015, 0.885)


# --- Cronbach's alpha: published and reference-implementation values ------------------------


def test_alpha_matches_the_pingouin_documentation_example() -> None:
    # pingouin.cronbach_alpha docs (0.7): long-format example on read_dataset("cronbach_alpha")
    # → (0.5917188485995826, array([0.195, 0.84 ])); psych::alpha gives the same (Feldt
    # 0.194921390663, 0.839820814628).
    result = cronbach_alpha(pingouin_cronbach_alpha())
    assert result.alpha == pytest.approx(0.5917188485995826, abs=1e-12)
    assert result.ci_low == pytest.approx(0.194921390663, abs=1e-9)
    assert result.ci_high == pytest.approx(0.839820814628, abs=1e-9)
    assert (round(result.ci_low, 3), round(result.ci_high, 3)) == (0.195, 0.84)
    assert (result.n, result.k) == (15, 10)


def test_pairwise_alpha_matches_pingouin_and_psych_with_missing_answers() -> None:
    # pingouin docs: cronbach_alpha(read_dataset("cronbach_wide_missing"))
    # → (0.732660835214447, array([0.435, 0.909])); psych::alpha(use="pairwise") the same,
    # Feldt 0.435310448545 – 0.909362910164.
    result = cronbach_alpha(pingouin_wide_missing(), nan_policy="pairwise")
    assert result.alpha == pytest.approx(0.732660835214447, abs=1e-12)
    assert result.ci_low == pytest.approx(0.435310448545, abs=1e-9)
    assert result.ci_high == pytest.approx(0.909362910164, abs=1e-9)
    assert (result.n, result.k) == (12, 11)


def test_listwise_alpha_matches_pingouin_and_uses_complete_cases_for_the_interval() -> None:
    # pingouin docs: nan_policy="listwise" → (0.8016949152542373, array([0.581, 0.933]));
    # psych::alpha(use="complete.obs") gives the same alpha.
    result = cronbach_alpha(pingouin_wide_missing(), nan_policy="listwise")
    assert result.alpha == pytest.approx(0.8016949152542373, abs=1e-12)
    # Only 9 of the 12 respondents answered every item. pingouin and psych keep n = 12 for
    # the interval (→ 0.581, 0.933); the interval here is Feldt's with the 9 who were used.
    assert result.n == 9
    f = stats.f(8, 8 * 10)
    assert result.ci_low == pytest.approx(1 - (1 - result.alpha) * f.ppf(0.975), abs=1e-12)
    assert result.ci_high == pytest.approx(1 - (1 - result.alpha) * f.ppf(0.025), abs=1e-12)
    assert result.ci_low < 0.581 and result.ci_high > 0.933  # wider, as it should be


def test_alpha_matches_psych_on_holzinger_swineford() -> None:
    result = cronbach_alpha(holzinger_swineford())
    assert result.alpha == pytest.approx(0.760488595825, abs=1e-10)
    assert result.ci_low == pytest.approx(0.717716865952, abs=1e-9)
    assert result.ci_high == pytest.approx(0.799078832562, abs=1e-9)


def test_pairwise_alpha_matches_psych_on_holzinger_swineford_with_holes() -> None:
    assert cronbach_alpha(holzinger_swineford_with_holes()).alpha == pytest.approx(
        0.764019966894, abs=1e-10
    )


# --- item statistics ----------------------------------------------------------------------------


def test_item_statistics_hand_worked_four_respondents_three_items() -> None:
    # a = 1 2 3 4, b = 2 1 4 3, c = 1 3 2 4: every mean 2.5, every SS = 5, sd = √(5/3)
    # cross-products: SP_ab = 3, SP_ac = 4, SP_bc = 0
    # item–rest r:  a: SP(a, b+c) / √(SS_a · SS_(b+c)) = 7 / √(5 · 10) = 7/√50
    #               b: 3 / √(5 · 18) = 1/√10          c: 4 / √(5 · 16) = 1/√5
    # alpha if deleted (two items left, α = 2 · (1 − (SS_i + SS_j) / SS_(i+j))):
    #               a: 2 · (1 − 10/10) = 0   b: 2 · (1 − 10/18) = 8/9   c: 2 · (1 − 10/16) = 3/4
    answers = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [1, 3, 2, 4]})
    table = item_statistics(answers)
    assert tuple(table.columns) == ITEM_STATISTICS_COLUMNS
    assert table.index.tolist() == ["a", "b", "c"]
    assert table["n"].tolist() == [4, 4, 4]
    assert table["mean"].tolist() == [2.5, 2.5, 2.5]
    np.testing.assert_allclose(table["sd"], math.sqrt(5 / 3), atol=1e-12)
    np.testing.assert_allclose(
        table["item_rest_r"], [7 / math.sqrt(50), 1 / math.sqrt(10), 1 / math.sqrt(5)], atol=1e-12
    )
    np.testing.assert_allclose(table["alpha_if_deleted"], [0, 8 / 9, 3 / 4], atol=1e-12)
    # and the whole scale: SS_t = 15 + 2 · (3 + 4 + 0) = 29, α = 3/2 · (1 − 15/29) = 21/29
    assert cronbach_alpha(answers).alpha == pytest.approx(21 / 29, abs=1e-12)


def test_item_statistics_with_two_items_has_no_alpha_if_deleted() -> None:
    table = item_statistics(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]}))
    assert table["item_rest_r"].tolist() == pytest.approx([0.6, 0.6])  # r(a, b) = 3/5
    assert table["alpha_if_deleted"].isna().all()


PSYCH_PINGOUIN_ITEMS = r_table(  # alpha(wide): $item.stats and $alpha.drop$raw_alpha
    """
    item  n            r.drop           sd       alpha.drop
    Q1   15   0.5747667919845 1.70991506333 0.468690324634
    Q2   15   0.5678028417674 1.12122382116 0.507280557834
    Q3   15   0.5213910754209 1.09978352848 0.518349852665
    Q4   15   0.4176058241286 1.29835060200 0.531829170024
    Q5   15  -0.1075830824926 1.69873902814 0.668489065606
    Q6   15  -0.1572365196567 1.56752762564 0.671141479100
    Q7   15   0.2610077350423 1.18723367941 0.568506332257
    Q8   15   0.0921732028232 1.50237906573 0.610119047619
    Q9   15   0.4433727459958 1.47357679523 0.519425675676
    Q10  15   0.4336883559648 1.45732958654 0.522590782123
    """
)


def assert_matches_psych(table: pd.DataFrame, psych: pd.DataFrame) -> None:
    """Compare with psych's columns where present: n exactly, the rest to 1e-10."""
    columns = {
        "n": "n",
        "mean": "mean",
        "sd": "sd",
        "item_rest_r": "r.drop",
        "alpha_if_deleted": "alpha.drop",
    }
    assert table.index.tolist() == psych.index.tolist()
    for ours, theirs in columns.items():
        if theirs not in psych.columns:
            continue
        if ours == "n":
            assert table["n"].tolist() == psych["n"].tolist()
        else:
            np.testing.assert_allclose(table[ours], psych[theirs], atol=1e-10, err_msg=ours)


def test_item_statistics_match_psych_on_pingouin_data() -> None:
    assert_matches_psych(item_statistics(pingouin_cronbach_alpha()), PSYCH_PINGOUIN_ITEMS)


def test_pairwise_item_statistics_match_psych_with_missing_answers() -> None:
    psych = r_table(  # alpha(missing, use = "pairwise")
        """
        item  n            r.drop            mean             sd     alpha.drop
        Q1   11 -0.00942703464706 0.8181818181818 0.404519917478 0.758390120613
        Q2   12  0.17676987560274 0.7500000000000 0.452267016867 0.739997771091
        Q3   11  0.51919064919727 0.7272727272727 0.467099366497 0.693132797015
        Q4   12 -0.06407798757659 0.7500000000000 0.452267016867 0.769418989210
        Q5   11  0.54653834430843 0.6363636363636 0.504524979110 0.687229437229
        Q6   12  0.47372536598709 0.5000000000000 0.522232967867 0.698575700346
        Q7   12  0.50882147276080 0.4166666666667 0.514928650544 0.692991605821
        Q8   12  0.69738237779822 0.4166666666667 0.514928650544 0.661128751189
        Q9   11  0.44927480663167 0.3636363636364 0.504524979110 0.702699571313
        Q10  12  0.37814564757012 0.2500000000000 0.452267016867 0.713491866670
        Q11  12  0.56872270654304 0.0833333333333 0.288675134595 0.701206656798
        """
    )
    assert_matches_psych(item_statistics(pingouin_wide_missing(), nan_policy="pairwise"), psych)


def test_listwise_item_statistics_match_psych_with_missing_answers() -> None:
    psych = r_table(  # alpha(missing, use = "complete.obs")
        """
        item         r.drop     alpha.drop
        Q1   0.118887659656 0.812720848057
        Q2   0.399291825942 0.792452830189
        Q3   0.428571428571 0.789241622575
        Q4   0.000000000000 0.829475308642
        Q5   0.518562978842 0.779645191410
        Q6   0.780670868297 0.747567844342
        Q7   0.554478862095 0.775413711584
        Q8   0.780670868297 0.747567844342
        Q9   0.448129079765 0.787795992714
        Q10  0.448129079765 0.787795992714
        Q11  0.614192268640 0.776014109347
        """
    )
    data = pingouin_wide_missing()
    table = item_statistics(data, nan_policy="listwise")
    assert_matches_psych(table, psych)
    # n, mean and sd describe the 9 complete cases that were analysed (psych shows each item's
    # own answers instead); e.g. Q1 is 1 for 8 of the 9: mean 8/9, sd √((8/9 · 1/9) · 9/8) = 1/3
    assert table["n"].tolist() == [9] * 11
    assert table.loc["Q1", "mean"] == pytest.approx(8 / 9)
    assert table.loc["Q1", "sd"] == pytest.approx(1 / 3)
    np.testing.assert_allclose(table["mean"], data.dropna().mean(), atol=1e-12)


def test_item_statistics_match_psych_on_holzinger_swineford() -> None:
    psych = r_table(  # alpha(hs)
        """
        item   n         r.drop          mean            sd     alpha.drop
        x1   301 0.522036720784 4.93576965638 1.16743211580 0.724806312905
        x2   301 0.275243062371 6.08803986711 1.17745055596 0.764231295094
        x3   301 0.370172120831 2.25041528239 1.13097940313 0.748955962582
        x4   301 0.580706642133 3.06090808684 1.16411628409 0.715001310326
        x5   301 0.525385381036 4.34053156146 1.29047215513 0.723572048564
        x6   301 0.595139019341 2.18557190176 1.09560313950 0.714153995413
        x7   301 0.245731644518 4.18590206678 1.08953350685 0.766436838505
        x8   301 0.369055449279 5.52707641196 1.01261514118 0.748424482147
        x9   301 0.494780997692 5.37412329169 1.00915173101 0.731030203525
        """
    )
    assert_matches_psych(item_statistics(holzinger_swineford()), psych)


def test_pairwise_item_statistics_match_psych_on_holzinger_swineford_with_holes() -> None:
    psych = r_table(  # alpha(holes, use = "pairwise")
        """
        item   n         r.drop     alpha.drop
        x1   258 0.533646999617 0.727758671591
        x2   301 0.273032648891 0.768625771741
        x3   301 0.374465197870 0.752564138224
        x4   301 0.581000308451 0.719726874969
        x5   274 0.533225212608 0.726889105098
        x6   301 0.596811400203 0.718627554557
        x7   301 0.249476522438 0.769893486789
        x8   301 0.375721478954 0.751715975443
        x9   278 0.500365635960 0.734581361191
        """
    )
    assert_matches_psych(item_statistics(holzinger_swineford_with_holes()), psych)


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [cronbach_alpha, item_statistics])
def test_fewer_than_two_items_or_respondents_is_refused(function: Callable[..., object]) -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        function(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError, match="at least 2 respondents"):
        function(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(
        ValueError, match="at least 2 respondents who answered every item are needed, got 1"
    ):
        function(pd.DataFrame({"a": [1, 2, np.nan], "b": [np.nan, 2, 3]}), nan_policy="listwise")


@pytest.mark.parametrize("function", [cronbach_alpha, item_statistics])
def test_an_item_with_one_answer_for_everyone_is_named(function: Callable[..., object]) -> None:
    answers = pd.DataFrame({"a": [1, 2, 3], "same": [4, 4, 4], "b": [2, 2, 3]})
    with pytest.raises(ValueError, match=r"item\(s\) same have the same answer from everyone"):
        function(answers)


def test_items_never_answered_together_are_named() -> None:
    answers = pd.DataFrame(
        {"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 3, 1], "c": [1, 2, 3, 4]}
    )
    with pytest.raises(ValueError, match="items 'a' and 'b' were answered together by fewer"):
        cronbach_alpha(answers)


def test_items_that_cancel_out_are_refused() -> None:
    # b = 4 − a: the total is the same for everyone, so alpha is undefined
    with pytest.raises(ValueError, match="total score has no variance"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]}))


def test_other_bad_input() -> None:
    answers = pd.DataFrame({"a": [1, 2, 3], "b": [2, 1, 3]})
    with pytest.raises(ValueError, match="not numeric"):
        cronbach_alpha(answers.assign(b=["x", "y", "z"]))
    with pytest.raises(ValueError, match="nan_policy"):
        cronbach_alpha(answers, nan_policy="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence level"):
        cronbach_alpha(answers, ci=95)
    with pytest.raises(ValueError, match="finite"):
        cronbach_alpha(answers.assign(b=[1, np.inf, 2]))
    with pytest.raises(TypeError, match="DataFrame"):
        cronbach_alpha(answers.to_numpy())  # type: ignore[arg-type]


def test_rows_with_no_answer_do_not_count() -> None:
    answers = pd.DataFrame({"a": [1, 2, 3, 4, 5, np.nan], "b": [2, 1, 4, 3, 5, np.nan]})
    result = cronbach_alpha(answers)
    assert result.n == 5
    assert result == cronbach_alpha(answers.dropna())
    assert isinstance(result, AlphaResult)


# --- McDonald's omega -------------------------------------------------------------------------

THURSTONE_SL = r_table(  # omega(Thurstone, nfactors = 3)$schmid$sl, 10 decimals
    """
    test                          g           F1*           F2*           F3*            h2
    Sentences          0.7089537862  0.5599097779 -0.0215548036  0.0303025428  0.8174972834
    Vocabulary         0.7257051181  0.5532366898  0.0424667200 -0.0222811432  0.8350186257
    Sent.Completion    0.6831585120  0.5206696512  0.0203505018  0.0036199373  0.7382296852
    First.Letters      0.6460800300 -0.0007372349  0.5580687434  0.0015857868  0.7288631858
    Four.Letter.Words  0.6222221608 -0.0109002704  0.4886508466  0.0760616857  0.6318442635
    Suffixes           0.5583623054  0.1119441285  0.4090912204 -0.0601622174  0.4952750715
    Letter.Series      0.5871280182  0.0192166615 -0.0090803555  0.6166883648  0.7254755815
    Pedigrees          0.5767972562  0.2375032156 -0.0327647188  0.3391483996  0.5051980129
    Letter.Group       0.5406274719 -0.0371206024  0.1388807706  0.4589765310  0.5236033282
    """
)

HS_SL = r_table(  # omega(hs, nfactors = 3)$schmid$sl
    """
    item            g              F1*              F2*               F3*             h2
    x1 0.485502147864  0.1685080565136  0.4602758284803  0.02815910680051 0.476754007780
    x2 0.291061929260  0.0368617523950  0.3959436066035 -0.11126504385742 0.255227178795
    x3 0.406832550358 -0.0534356191354  0.5336495711554  0.01732632219592 0.453450148261
    x4 0.448270591988  0.7257963042614  0.0126596631608  0.00697076441814 0.727935651760
    x5 0.417331699312  0.7596067259099 -0.0502507255482  0.00610723527657 0.753730576228
    x6 0.458510277247  0.6907583220414  0.0619448218999 -0.01180574215213 0.691355254251
    x7 0.232534731100  0.0375636661685 -0.1185111355099  0.67009409855794 0.518554595075
    x8 0.346076849054 -0.0291719136402  0.0973304265912  0.62456303511461 0.520172251642
    x9 0.445962148515  0.0273085558528  0.2974092465651  0.41518840773188 0.460461383517
    """
)

# psych's optimisers stop at looser tolerances (optim's default, GPArotation's eps = 1e-5), so
# its loadings carry about six correct decimals; ours reach a lower minimum-residual criterion.
LOADING_TOLERANCE = 2e-5
OMEGA_TOLERANCE = 5e-6


def assert_schmid_leiman(result: OmegaResult, reference: pd.DataFrame) -> None:
    np.testing.assert_allclose(result.general_loadings, reference["g"], atol=LOADING_TOLERANCE)
    np.testing.assert_allclose(
        result.group_loadings, reference[["F1*", "F2*", "F3*"]], atol=LOADING_TOLERANCE
    )
    np.testing.assert_allclose(result.uniquenesses, 1 - reference["h2"], atol=LOADING_TOLERANCE)


def test_omega_matches_psych_on_thurstone() -> None:
    # psych::omega(Thurstone) — the example of its documentation; printed there as
    # Omega Hierarchical 0.74 and Omega Total 0.93.
    result = omega_from_correlation(thurstone(), n_factors=3)
    assert result.omega_hierarchical == pytest.approx(0.736070318258, abs=OMEGA_TOLERANCE)
    assert result.omega_total == pytest.approx(0.930825414903, abs=OMEGA_TOLERANCE)
    assert result.explained_common_variance == pytest.approx(0.596901627854, abs=OMEGA_TOLERANCE)
    assert (round(result.omega_hierarchical, 2), round(result.omega_total, 2)) == (0.74, 0.93)
    assert_schmid_leiman(result, THURSTONE_SL)
    assert result.general_loadings.index.tolist() == thurstone().columns.tolist()
    assert result.group_loadings.columns.tolist() == ["F1*", "F2*", "F3*"]


def test_omega_matches_psych_on_holzinger_swineford() -> None:
    result = omega(holzinger_swineford(), n_factors=3)
    assert result.omega_hierarchical == pytest.approx(0.449242434071, abs=OMEGA_TOLERANCE)
    assert result.omega_total == pytest.approx(0.850835073357, abs=OMEGA_TOLERANCE)
    assert result.explained_common_variance == pytest.approx(0.297265646965, abs=OMEGA_TOLERANCE)
    assert_schmid_leiman(result, HS_SL)


def test_pairwise_omega_matches_psych_on_holzinger_swineford_with_holes() -> None:
    result = omega(holzinger_swineford_with_holes(), n_factors=3)
    assert result.omega_hierarchical == pytest.approx(0.450334608142, abs=OMEGA_TOLERANCE)
    assert result.omega_total == pytest.approx(0.853557095738, abs=OMEGA_TOLERANCE)
    assert result.explained_common_variance == pytest.approx(0.299257487342, abs=OMEGA_TOLERANCE)


def test_listwise_omega_is_omega_of_the_complete_cases() -> None:
    data = holzinger_swineford_with_holes()
    listwise = omega(data, nan_policy="listwise")
    complete = omega(data.dropna())
    assert listwise.omega_total == pytest.approx(complete.omega_total, abs=1e-12)
    assert listwise.omega_hierarchical == pytest.approx(complete.omega_hierarchical, abs=1e-12)


def test_schmid_leiman_recovers_an_exact_hierarchical_structure() -> None:
    first_order = [[0.8, 0.7, 0.6], [0.7, 0.6, 0.5], [0.6, 0.5, 0.7]]
    second_order = [0.8, 0.7, 0.6]
    R, general, group = higher_order_correlation(first_order, second_order)
    # Known answer: V_t = ΣR; with an exact model ω_h = (Σλ_g)² / V_t and
    # ω_t = ((Σλ_g)² + Σ_k (Σ_i λ_ik)²) / V_t — the variance of the sum of items that is due to
    # the general factor, and to all common factors.
    total = R.sum()
    omega_h = general.sum() ** 2 / total
    omega_t = (general.sum() ** 2 + (group.sum(axis=0) ** 2).sum()) / total
    ecv = (general**2).sum() / ((general**2).sum() + (group**2).sum())
    names = [f"q{i + 1}" for i in range(9)]
    result = omega_from_correlation(pd.DataFrame(R, index=names, columns=names), 3)
    assert result.omega_hierarchical == pytest.approx(omega_h, abs=1e-7)
    assert result.omega_total == pytest.approx(omega_t, abs=1e-7)
    assert result.explained_common_variance == pytest.approx(ecv, abs=1e-7)
    np.testing.assert_allclose(result.general_loadings, general, atol=1e-6)
    # Group factors are reported largest first, so compare whatever the column order: each
    # item loads a·√(1 − γ²) on one group factor and 0 on the others.
    found = np.sort(np.abs(result.group_loadings.to_numpy()), axis=1)
    np.testing.assert_allclose(found[:, -1], group.max(axis=1), atol=1e-6)
    np.testing.assert_allclose(found[:, :-1], 0, atol=1e-6)


def test_omega_on_answers_with_an_exact_hierarchical_correlation() -> None:
    R, general, group = higher_order_correlation(
        [[0.7, 0.6, 0.6, 0.5], [0.7, 0.6, 0.5], [0.8, 0.6, 0.5]], [0.9, 0.6, 0.7]
    )
    total = R.sum()
    result = omega(data_with_correlation(R), n_factors=3)
    assert result.omega_hierarchical == pytest.approx(general.sum() ** 2 / total, abs=1e-7)
    omega_t = (general.sum() ** 2 + (group.sum(axis=0) ** 2).sum()) / total
    assert result.omega_total == pytest.approx(omega_t, abs=1e-7)


def test_two_group_factors_use_equal_second_order_loadings() -> None:
    # With two group factors the second-order loadings are not identified; like psych (option
    # "equal") both are √φ12, which is exact when the two really load equally.
    R, general, _ = higher_order_correlation([[0.8, 0.7, 0.6], [0.7, 0.6, 0.5]], [0.7, 0.7])
    names = [f"q{i + 1}" for i in range(6)]
    result = omega_from_correlation(pd.DataFrame(R, index=names, columns=names), n_factors=2)
    assert result.omega_hierarchical == pytest.approx(general.sum() ** 2 / R.sum(), abs=1e-7)
    np.testing.assert_allclose(result.general_loadings, general, atol=1e-6)


def test_omega_warns_about_an_item_that_is_not_reverse_keyed() -> None:
    R, _, _ = higher_order_correlation([[0.8, 0.7, 0.6], [0.7, 0.6, 0.5], [0.6, 0.5, 0.7]],
                                       [0.8, 0.7, 0.6])  # fmt: skip
    answers = data_with_correlation(R)
    keyed = omega(answers)
    backwards = answers.assign(q2=-answers["q2"])
    with pytest.warns(UserWarning, match="q2 load negatively on the general factor"):
        result = omega(backwards)
    assert result.omega_hierarchical < keyed.omega_hierarchical
    assert omega(backwards.assign(q2=-backwards["q2"])).omega_hierarchical == pytest.approx(
        keyed.omega_hierarchical, abs=1e-9
    )


def test_omega_refuses_bad_input() -> None:
    R = thurstone()
    with pytest.raises(ValueError, match="at least 2 group factors"):
        omega_from_correlation(R, n_factors=1)
    with pytest.raises(ValueError, match="too few to estimate 4 factors"):
        omega_from_correlation(R.iloc[:6, :6], n_factors=4)
    with pytest.raises(ValueError, match="rotation"):
        omega_from_correlation(R, rotation="varimax")
    asymmetric = R.copy()
    asymmetric.iloc[0, 1] = 0.5
    with pytest.raises(ValueError, match="symmetric"):
        omega_from_correlation(asymmetric)
    with pytest.raises(ValueError, match="square"):
        omega_from_correlation(R.iloc[:, :8])
    holes = R.copy()
    holes.iloc[0, 1] = holes.iloc[1, 0] = np.nan
    with pytest.raises(ValueError, match="never answered together"):
        omega_from_correlation(holes)
    with pytest.raises(ValueError, match="at least 3 items"):
        omega(pd.DataFrame({"a": [1, 2, 3], "b": [2, 1, 3]}))


# --- one-factor omega -------------------------------------------------------------------------


def test_one_factor_omega_of_an_exact_congeneric_structure() -> None:
    # loadings 0.8, 0.7, 0.6, 0.5: ω = 2.6² / (2.6² + (0.36 + 0.51 + 0.64 + 0.75)) = 6.76 / 9.02
    loadings = np.array([0.8, 0.7, 0.6, 0.5])
    R = np.outer(loadings, loadings)
    np.fill_diagonal(R, 1)
    assert omega_total_one_factor(data_with_correlation(R)) == pytest.approx(6.76 / 9.02, abs=1e-7)


def test_one_factor_omega_equals_alpha_for_equal_loadings() -> None:
    # tau-equivalent standardised items: ω = α = 2.4² / (2.4² + 4 · 0.64) = 5.76 / 8.32
    R = np.full((4, 4), 0.36)
    np.fill_diagonal(R, 1)
    answers = data_with_correlation(R)
    assert omega_total_one_factor(answers) == pytest.approx(5.76 / 8.32, abs=1e-7)
    assert cronbach_alpha(answers).alpha == pytest.approx(5.76 / 8.32, abs=1e-9)


def test_one_factor_omega_matches_psych_minres_loadings() -> None:
    # fa(x, nfactors = 1, fm = "minres") loadings λ, then (Σλ)² / ((Σλ)² + Σ(1 − λ²))
    hs = holzinger_swineford()
    assert omega_total_one_factor(hs) == pytest.approx(0.764357841635, abs=OMEGA_TOLERANCE)
    assert omega_total_one_factor(hs[["x1", "x2", "x3"]]) == pytest.approx(
        0.635071672296, abs=OMEGA_TOLERANCE
    )
    answers = data_with_correlation(thurstone().to_numpy())
    assert omega_total_one_factor(answers) == pytest.approx(0.892866710151, abs=OMEGA_TOLERANCE)


def test_one_factor_omega_warns_about_an_item_that_is_not_reverse_keyed() -> None:
    hs = holzinger_swineford()[["x1", "x2", "x3"]]
    with pytest.warns(UserWarning, match="x2 load negatively"):
        omega_total_one_factor(hs.assign(x2=-hs["x2"]))


def test_one_factor_omega_needs_three_items() -> None:
    with pytest.raises(ValueError, match="at least 3 items"):
        omega_total_one_factor(pd.DataFrame({"a": [1, 2, 3], "b": [2, 1, 3]}))
