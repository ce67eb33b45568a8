"""The statistics refuse nonsense with a clear message instead of returning a number.

Every input here is made by hand so that what is wrong with it can be checked by hand: the
smallest eigenvalue of each broken correlation matrix is worked out below, and the valid
inputs at the end keep their hand-worked or published values.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import hadamard

from empower.instruments import get_instrument
from empower.metrics.change import kaplan_meier, reliable_change, time_to_improvement
from empower.metrics.reliability import (
    MIN_ALPHA_RESPONDENTS,
    cronbach_alpha,
    item_statistics,
    omega,
    omega_from_correlation,
    omega_total_one_factor,
)
from empower.metrics.structure import cfa, cfa_instrument, efa, parallel_analysis

DATA = Path(__file__).parent / "data"


@contextmanager
def no_stray_warnings() -> Iterator[None]:
    """Fail on any warning (e.g. numpy's RuntimeWarning on 0/0) before the clear error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def labelled(matrix: np.ndarray) -> pd.DataFrame:
    names = [f"q{i + 1}" for i in range(len(matrix))]
    return pd.DataFrame(matrix, index=names, columns=names)


# --- correlation matrices that no answers can have -------------------------------------------


def contradictory_correlation() -> pd.DataFrame:
    """q1 agrees with q2 and q3 (r = .9) but q2 and q3 disagree (r = −.9); q4, q5 unrelated.

    For v = (1, −1, −1, 0, 0): Rv = (1 − .9 − .9, .9 − 1 + .9, .9 + .9 − 1, 0, 0)
    = (−.8, .8, .8, 0, 0) = −0.8 v, so R has the eigenvalue −0.8: the weighted sum
    q1 − q2 − q3 would have a negative variance.
    """
    R = np.eye(5)
    R[0, 1] = R[1, 0] = R[0, 2] = R[2, 0] = 0.9
    R[1, 2] = R[2, 1] = -0.9
    return labelled(R)


def test_omega_refuses_a_correlation_matrix_that_is_not_positive_semidefinite() -> None:
    with (
        no_stray_warnings(),
        pytest.raises(
            ValueError, match=r"not positive semi-definite \(smallest eigenvalue -0\.8\)"
        ),
    ):
        omega_from_correlation(contradictory_correlation(), n_factors=2)


def pairwise_contradiction() -> pd.DataFrame:
    """Three pairs of people, each answering two of three items (4 people per pair).

    a, b = 1 2 3 4 / 1 3 2 4: deviations (−1.5, −.5, .5, 1.5) and (−1.5, .5, −.5, 1.5), cross
    products 2.25 − .25 − .25 + 2.25 = 4, both SS = 5, so r_ab = 0.8; a, c the same, r_ac =
    0.8; b, c = 1 2 3 4 / 4 2 3 1: cross products −2.25 + .25 + .25 − 2.25 = −4, r_bc = −0.8.
    As above, v = (1, −1, −1) gives Rv = −0.6 v. Nobody answered all three.
    """
    nan = np.nan
    return pd.DataFrame(
        {
            "a": [1, 2, 3, 4, 1, 2, 3, 4, nan, nan, nan, nan],
            "b": [1, 3, 2, 4, nan, nan, nan, nan, 1, 2, 3, 4],
            "c": [nan, nan, nan, nan, 1, 3, 2, 4, 4, 2, 3, 1],
        }
    )


def test_pairwise_correlations_that_contradict_each_other_are_refused_with_the_remedy() -> None:
    with no_stray_warnings(), pytest.raises(ValueError) as refused:
        omega_total_one_factor(pairwise_contradiction())
    message = str(refused.value)
    assert "smallest eigenvalue -0.6" in message
    assert "answered both items" in message and "nan_policy='listwise'" in message


def test_a_correlation_outside_minus_one_to_one_names_the_items() -> None:
    R = contradictory_correlation()
    R.loc["q4", "q5"] = R.loc["q5", "q4"] = 1.2
    with pytest.raises(ValueError, match=r"'q4' and 'q5' is 1\.2; correlations lie between"):
        omega_from_correlation(R, n_factors=2)


def test_an_infinite_correlation_names_the_column() -> None:
    R = contradictory_correlation()
    R.loc["q3", "q5"] = R.loc["q5", "q3"] = np.inf
    with pytest.raises(ValueError, match=r"infinite entry in column\(s\) q3, q5"):
        omega_from_correlation(R, n_factors=2)


def test_a_singular_matrix_is_computed_with_a_warning_naming_the_duplicate() -> None:
    # d is a copied by mistake: R has the eigenvalue 0 (eigenvector a − d), which is a
    # possible correlation matrix but leaves d's uniqueness at the Heywood bound.
    answers = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [1, 3, 2, 5, 4]})
    answers["d"] = answers["a"]
    with pytest.warns(UserWarning, match=r"singular \(perfectly correlated: a and d\)"):
        value = omega_total_one_factor(answers)
    assert 0 < value < 1


# --- items that share nothing: ECV would be 0/0 ----------------------------------------------


@pytest.mark.parametrize("n_factors", [2, 3])
def test_an_identity_correlation_matrix_is_refused_not_answered_with_nan(n_factors: int) -> None:
    with no_stray_warnings(), pytest.raises(ValueError, match="share no common variance"):
        omega_from_correlation(labelled(np.eye(6)), n_factors=n_factors)


def uncorrelated_answers() -> pd.DataFrame:
    """Six items from the columns of an 8 × 8 Hadamard matrix: each is ±1, sums to 0 and is
    orthogonal to the others, so every correlation is exactly 0."""
    return pd.DataFrame(hadamard(8)[:, 1:7], columns=[f"q{i}" for i in range(1, 7)])


def test_answers_that_share_nothing_are_refused_by_omega_hierarchical() -> None:
    with no_stray_warnings(), pytest.raises(ValueError, match="explained common variance"):
        omega(uncorrelated_answers(), n_factors=2)


def test_answers_that_share_nothing_have_omega_and_alpha_zero() -> None:
    # One factor: every loading is 0, so ω = 0² / (0² + 6) = 0. Alpha: the total variance is
    # the sum of the item variances (all covariances 0), so α = 6/5 · (1 − 1) = 0.
    answers = uncorrelated_answers()
    with no_stray_warnings():
        assert omega_total_one_factor(answers) == pytest.approx(0, abs=1e-12)
        assert cronbach_alpha(answers).alpha == pytest.approx(0, abs=1e-12)


# --- Cronbach's alpha: too few respondents ---------------------------------------------------


@pytest.mark.parametrize("function", [cronbach_alpha, item_statistics])
def test_two_respondents_are_too_few_for_alpha(function: Callable[..., object]) -> None:
    # With two people every pair of items correlates +1 or −1: here a and b rise together,
    # c falls, whatever the items really do.
    two = pd.DataFrame({"a": [1, 3], "b": [2, 3], "c": [5, 1]})
    assert MIN_ALPHA_RESPONDENTS == 3
    with pytest.raises(ValueError, match="needs at least 3 respondents, got 2: with two people"):
        function(two)


def test_listwise_counts_only_those_who_answered_every_item() -> None:
    three = pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, np.nan]})
    with pytest.raises(ValueError, match="at least 3 respondents who answered every item, got 2"):
        cronbach_alpha(three, nan_policy="listwise")


def test_three_respondents_give_alpha_with_its_honestly_wide_interval() -> None:
    # a = 1 2 3, b = 1 3 2: var a = var b = 1, cov = ((−1)(−1) + 0 · 1 + 1 · 0) / 2 = 1/2,
    # total variance 1 + 1 + 2 · 1/2 = 3, α = 2 · (1 − 2/3) = 2/3.
    # Feldt with d1 = d2 = 2, where F(2, 2) has the quantile p / (1 − p):
    # low = 1 − (1/3) · 39 = −12, high = 1 − (1/3) · (1/39) = 116/117.
    result = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, 2]}))
    assert result.alpha == pytest.approx(2 / 3, abs=1e-12)
    assert result.ci_low == pytest.approx(-12, abs=1e-9)
    assert result.ci_high == pytest.approx(116 / 117, abs=1e-12)


# --- infinite answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function", [cronbach_alpha, item_statistics, omega_total_one_factor, omega]
)
@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_reliability_names_the_item_with_an_infinite_answer(
    function: Callable[..., object], infinity: float
) -> None:
    answers = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, infinity, 3], "c": [1, 3, 2, 4]})
    with (
        no_stray_warnings(),
        pytest.raises(ValueError, match=r"item\(s\) b hold an infinite value \(inf or -inf\)"),
    ):
        function(answers)


STRUCTURE_ENTRY_POINTS: list[Callable[[pd.DataFrame], object]] = [
    parallel_analysis,
    lambda answers: parallel_analysis(answers, method="fa"),
    lambda answers: efa(answers, 1),
    lambda answers: cfa(answers, {"f": ["x1", "x2", "x3"], "g": ["x4", "x5", "x6"]}),
]


@pytest.mark.parametrize("entry", STRUCTURE_ENTRY_POINTS)
def test_structure_names_the_item_and_row_with_an_infinite_answer(
    entry: Callable[[pd.DataFrame], object],
) -> None:
    # Refused before anything is fitted (and before the sample size is looked at): numpy
    # would otherwise say only "Eigenvalues did not converge".
    answers = pd.DataFrame(
        {f"x{i}": [1.0, 2.0, 3.0, 4.0] for i in range(1, 7)}, index=[10, 11, 12, 13]
    )
    answers.loc[12, "x2"] = np.inf
    answers.loc[10, "x5"] = -np.inf
    with (
        no_stray_warnings(),
        pytest.raises(ValueError, match=r"infinite values in x2 \(rows 12\); x5 \(rows 10\)"),
    ):
        entry(answers)


def test_an_instrument_answer_that_is_infinite_is_named_with_its_scale() -> None:
    scales = get_instrument("empowerment-scales", "1.0")
    items = [i.id for i in scales.items if i.subscale]
    answers = pd.DataFrame([{i: 3.0 for i in items}] * 3)
    answers.loc[1, "sc2"] = np.inf
    with pytest.raises(ValueError, match=r"item sc2: answers must be numbers from 1 to 5"):
        cfa_instrument(scales, answers)


@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_reliable_change_refuses_an_infinite_score(infinity: float) -> None:
    with pytest.raises(ValueError, match="follow_up must be a finite number"):
        reliable_change(50, infinity, 15, 0.84)
    with pytest.raises(ValueError, match="baseline must be a finite number"):
        reliable_change(infinity, 50, 15, 0.84)


# --- Kaplan–Meier ----------------------------------------------------------------------------


def test_an_empty_kaplan_meier_input_is_refused() -> None:
    with pytest.raises(ValueError, match="no participants: a Kaplan–Meier curve needs at least"):
        kaplan_meier([], [])


def test_time_to_improvement_without_any_follow_up_says_so() -> None:
    # Two people with a baseline only: the curve is empty by design, and the result says why.
    frame = pd.DataFrame(
        {
            "participant": ["A", "B"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "instrument_id": "four_axis",
            "instrument_version": 2,
            "axis": "inner_peace",
            "score": [40.0, 45.0],
        }
    )
    km = time_to_improvement(
        frame, {("four_axis", 2, "inner_peace"): 0.84}, axis="inner_peace", sd=15
    )
    assert (km.n, km.n_without_follow_up, km.median_days) == (0, 2, None)
    assert km.timeline.size == km.survival.size == 0


# --- valid input keeps its value -------------------------------------------------------------


def test_valid_inputs_keep_their_hand_worked_and_published_values() -> None:
    with no_stray_warnings():
        # Hand-worked: α = 3/2 · (1 − 30/68) = 57/68 (docs/metrics-reliability.md).
        answers = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [1, 3, 2, 5, 4]})
        assert cronbach_alpha(answers).alpha == pytest.approx(57 / 68, abs=1e-12)
        # psych::omega documentation, Thurstone's nine tests: ω_h = 0.74, ω_t = 0.93.
        thurstone = omega_from_correlation(
            pd.read_csv(DATA / "psych_thurstone.csv", index_col=0), n_factors=3
        )
        assert round(thurstone.omega_hierarchical, 2) == 0.74
        assert round(thurstone.omega_total, 2) == 0.93
        # Kaplan–Meier by hand: S = 5/6, 5/6 · 3/5 = 1/2, 1/2, 0; median 60.
        km = kaplan_meier([30, 60, 60, 60, 90, 120], [True, True, True, False, False, True])
        assert km.survival.tolist() == pytest.approx([5 / 6, 1 / 2, 1 / 2, 0])
        assert km.median_days == 60
