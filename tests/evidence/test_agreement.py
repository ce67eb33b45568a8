"""Kappa against hand-worked tables, Cohen's (1968) published example and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from empower.evidence.agreement import agreement_by_stage, cohen_kappa, weighted_kappa
from empower.evidence.screening import INCLUDE_EXCLUDE, RANK_0_4


def ratings_from_table(table, categories):
    """Two lists of ratings whose cross-table is ``table`` (rows: first rater)."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [categories[i]] * count
            b += [categories[j]] * count
    return a, b


# The classic 2×2: 20 both yes, 5 yes/no, 10 no/yes, 15 both no (n = 50).
CLASSIC = [[20, 5], [10, 15]]


def test_hand_worked_two_by_two():
    a, b = ratings_from_table(CLASSIC, ["yes", "no"])
    r = cohen_kappa(a, b, categories=["yes", "no"])
    # po = 35/50; pe = 0.5·0.6 + 0.5·0.4; κ = (0.7 − 0.5) / 0.5
    assert r.n == 50
    assert r.observed == pytest.approx(0.7)
    assert r.expected == pytest.approx(0.5)
    assert r.kappa == pytest.approx(0.4)
    assert r.table.loc["yes", "no"] == 5
    assert r.table.loc["no", "yes"] == 10
    assert r.reason is None


def test_standard_error_worked_by_hand():
    # Fleiss, Cohen & Everitt (1969), unweighted form, for the 2×2 above:
    # A = .4(1 − 1.1·.6)² + .3(1 − .9·.6)² = .10972
    # B = (1 − κ)² [.1(.6 + .5)² + .2(.4 + .5)²] = .10188
    # C = (κ − pe(1 − κ))² = .01
    # var = (A + B − C) / (n (1 − pe)²) = .2016 / 12.5 = .016128
    a, b = ratings_from_table(CLASSIC, ["yes", "no"])
    r = cohen_kappa(a, b)
    assert r.se == pytest.approx(math.sqrt(0.016128), abs=1e-12)
    assert r.ci[0] == pytest.approx(0.4 - 1.959963984540054 * r.se)
    assert r.ci[1] == pytest.approx(0.4 + 1.959963984540054 * r.se)


# Cohen (1968), Psychological Bulletin 70(4):213–220, the worked example: proportions of 200
# items, disagreement weights 0/1/3/6. Cohen reports κ = .492 and κ_w = .348, and with the
# asymmetric weights below κ_w = .353.
COHEN_1968 = np.array([[0.44, 0.07, 0.09], [0.05, 0.20, 0.05], [0.01, 0.03, 0.06]]) * 200
COHEN_1968_WEIGHTS = [[0, 1, 3], [1, 0, 6], [3, 6, 0]]
COHEN_1968_ASYMMETRIC = [[0, 1, 4], [1, 0, 6], [2, 2, 0]]


def test_cohen_1968_published_example():
    a, b = ratings_from_table(COHEN_1968.round().astype(int), [1, 2, 3])
    assert round(cohen_kappa(a, b).kappa, 3) == 0.492
    assert round(weighted_kappa(a, b, [1, 2, 3], COHEN_1968_WEIGHTS).kappa, 3) == 0.348
    assert round(weighted_kappa(a, b, [1, 2, 3], COHEN_1968_ASYMMETRIC).kappa, 3) == 0.353


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_matches_scikit_learn(seed, weights):
    rng = np.random.default_rng(seed)
    k = 5
    truth = rng.integers(0, k, 300)
    a = truth
    b = np.where(rng.random(300) < 0.6, truth, rng.integers(0, k, 300))
    categories = list(range(k))
    expected = cohen_kappa_score(a, b, labels=categories, weights=weights)
    if weights is None:
        got = cohen_kappa(a.tolist(), b.tolist(), categories)
    else:
        got = weighted_kappa(a.tolist(), b.tolist(), categories, weights)
    assert got.kappa == pytest.approx(expected, abs=1e-12)


def test_weighted_kappa_follows_the_given_order():
    # On the rank scale 4 (background) and 0 (not relevant) are neighbours in relevance.
    order = list(RANK_0_4.inclusiveness)  # 1, 2, 3, 4, 0
    a, b = [1, 2, 3, 4, 0, 4], [1, 2, 3, 4, 0, 0]
    ours = weighted_kappa(a, b, order, "linear")
    as_positions = cohen_kappa_score(
        [order.index(x) for x in a], [order.index(x) for x in b], weights="linear"
    )
    assert ours.kappa == pytest.approx(as_positions, abs=1e-12)
    numeric = cohen_kappa_score(a, b, weights="linear")  # 0 next to 1: a different answer
    assert ours.kappa != pytest.approx(numeric)


def test_identity_weights_give_plain_kappa_and_its_error():
    a, b = ratings_from_table(COHEN_1968.round().astype(int), [1, 2, 3])
    plain = cohen_kappa(a, b)
    as_weighted = weighted_kappa(a, b, [1, 2, 3], 1 - np.eye(3))
    assert as_weighted.kappa == pytest.approx(plain.kappa, abs=1e-12)
    assert as_weighted.se == pytest.approx(plain.se, abs=1e-12)


def test_perfect_agreement():
    r = cohen_kappa(["in", "out", "out", "in"], ["in", "out", "out", "in"])
    assert r.kappa == 1.0
    assert r.observed == 1.0


def test_one_category_only_is_undefined_not_an_error():
    r = cohen_kappa(["out"] * 12, ["out"] * 12, categories=["in", "out"])
    assert math.isnan(r.kappa)
    assert "undefined" in r.reason
    assert r.observed == 1.0
    assert r.table.loc["out", "out"] == 12
    w = weighted_kappa([3] * 4, [3] * 4, [1, 2, 3])
    assert math.isnan(w.kappa) and w.reason


def test_no_items():
    r = cohen_kappa([], [], categories=["in", "out"])
    assert math.isnan(r.kappa) and r.n == 0 and r.reason


def test_systematic_disagreement_is_negative():
    r = cohen_kappa(["in", "out"] * 5, ["out", "in"] * 5)
    assert r.kappa == pytest.approx(-1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="outside the categories"):
        cohen_kappa([1, 2], [1, 5], categories=[1, 2])
    with pytest.raises(ValueError, match="weights"):
        weighted_kappa([1, 2], [1, 2], [1, 2], "cubic")
    with pytest.raises(ValueError, match="diagonal"):
        weighted_kappa([1, 2], [1, 2], [1, 2], [[1, 1], [1, 0]])


def test_agreement_by_stage_counts_and_kappa_per_pair():
    title_abstract = {
        "r1": {"ana": 1, "ben": 1, "cai": 2},
        "r2": {"ana": 0, "ben": 0},
        "r3": {"ana": 4, "ben": 0, "cai": 4},
        "r4": {"ana": 2, "ben": 2},
        "r5": {"ana": 0, "ben": 3},
    }
    full_text = {
        "r1": {"ana": "include", "ben": "include"},
        "r4": {"ana": "exclude", "ben": "include"},
        "r6": {"ana": "exclude", "ben": "exclude"},
    }
    table = agreement_by_stage(
        {"title_abstract": title_abstract, "full_text": full_text},
        {"title_abstract": RANK_0_4, "full_text": INCLUDE_EXCLUDE},
    )
    ta = table[table.stage == "title_abstract"].set_index(["reviewer_a", "reviewer_b"])
    assert set(ta.index) == {("ana", "ben"), ("ana", "cai"), ("ben", "cai")}
    ana_ben = ta.loc[("ana", "ben")]
    assert (ana_ben.n, ana_ben.agreed, ana_ben.disagreed) == (5, 3, 2)
    a, b = [1, 0, 4, 2, 0], [1, 0, 0, 2, 3]
    assert ana_ben.kappa == pytest.approx(cohen_kappa(a, b).kappa)
    assert ana_ben.weighted_kappa == pytest.approx(
        weighted_kappa(a, b, [1, 2, 3, 4, 0], "linear").kappa
    )
    assert ta.loc[("ana", "cai")].n == 2

    ft = table[table.stage == "full_text"]
    assert len(ft) == 1
    row = ft.iloc[0]
    assert (row.n, row.agreed, row.disagreed) == (3, 2, 1)
    # po = 2/3; pe = (1/3)(2/3) + (2/3)(1/3) = 4/9; κ = (2/3 − 4/9) / (5/9) = 0.4
    assert row.kappa == pytest.approx(0.4)
    assert math.isnan(row.weighted_kappa)  # nominal stage


def test_agreement_by_stage_rejects_values_off_the_scale():
    with pytest.raises(ValueError, match="not on the scale"):
        agreement_by_stage({"ta": {"r1": {"ana": 7, "ben": 1}}}, RANK_0_4)
