"""Prioritised screening: the measures on hand-checkable orders, the model on a synthetic corpus."""

from __future__ import annotations

import numpy as np
import pytest

from empower.evidence.prioritise import (
    MODELS,
    Prioritiser,
    random_baseline,
    recall_curve,
    rrf,
    screened_at_recall,
    simulate,
    wss,
)
from empower.evidence.records import Record

# 10 records, the relevant ones at positions 3 and 7.
TRUTH_10 = [False, False, False, True, False, False, False, True, False, False]
PERFECT_10 = [3, 7, 0, 1, 2, 4, 5, 6, 8, 9]
WORST_10 = [0, 1, 2, 4, 5, 6, 8, 9, 3, 7]


def test_perfect_ranking_by_hand():
    # 95 % of 2 relevant means both (⌈1.9⌉ = 2), found after 2 of 10 records:
    # WSS@95 = 0.95 − 2/10 = 0.75. 10 % of 10 records is 1 record, which finds 1 of 2.
    assert screened_at_recall(PERFECT_10, TRUTH_10) == 2
    assert wss(PERFECT_10, TRUTH_10) == pytest.approx(0.75)
    assert rrf(PERFECT_10, TRUTH_10) == pytest.approx(0.5)
    assert recall_curve(PERFECT_10, TRUTH_10).tolist() == [0.5] + [1.0] * 9


def test_worst_ranking_by_hand():
    assert screened_at_recall(WORST_10, TRUTH_10) == 10
    assert wss(WORST_10, TRUTH_10) == pytest.approx(-0.05)
    assert rrf(WORST_10, TRUTH_10) == 0.0


def test_wss_agrees_with_cohen_confusion_matrix_form():
    # Cohen et al. (2006): WSS = (TN + FN) / N − (1 − recall), with everything below the
    # cut-off counted as predicted negative.
    rng = np.random.default_rng(3)
    truth = rng.random(200) < 0.1
    order = rng.permutation(200).tolist()
    k = screened_at_recall(order, truth)
    below = np.zeros(200, dtype=bool)
    below[order[k:]] = True
    tn = int((below & ~truth).sum())
    fn = int((below & truth).sum())
    assert fn <= 0.05 * truth.sum()
    assert wss(order, truth) == pytest.approx((tn + fn) / 200 - (1 - 0.95))


def test_recall_threshold_rounds_up():
    # 20 relevant: 19 are 95 %. 16 relevant: 15 are 93.75 %, so all 16 are needed.
    truth20 = [True] * 20 + [False] * 80
    assert screened_at_recall(list(range(100)), truth20) == 19
    truth16 = [True] * 16 + [False] * 84
    assert screened_at_recall(list(range(100)), truth16) == 16


def test_rrf_screens_at_least_ten_percent():
    truth = [False] * 14 + [True]  # 10 % of 15 is 1.5 records: two are screened
    assert rrf([13, 14, *range(13)], truth) == 1.0
    assert rrf([14, *range(14)], truth) == 1.0
    assert rrf([*range(15)], truth) == 0.0


def test_measures_reject_bad_orders():
    with pytest.raises(ValueError, match="every record"):
        wss([0, 0, 1], [True, False, False])
    with pytest.raises(ValueError, match="at least one relevant"):
        rrf([0, 1], [False, False])


TOPIC = ["survivor", "collective", "organising", "trafficking", "leadership", "peer"]
NOISE = [f"word{i}" for i in range(300)]


def synthetic_corpus(n=200, n_relevant=10, seed=7):
    """Irrelevant records are random noise words; relevant ones add the topic words."""
    rng = np.random.default_rng(seed)
    truth = np.zeros(n, dtype=bool)
    truth[rng.choice(n, n_relevant, replace=False)] = True
    texts = []
    for relevant in truth:
        words = list(rng.choice(NOISE, 25))
        if relevant:
            words += list(rng.choice(TOPIC, 4, replace=False))
        texts.append(" ".join(words))
    return texts, truth.tolist()


def test_simulation_beats_random_on_a_corpus_with_a_clear_topic():
    texts, truth = synthetic_corpus()
    result = simulate(texts, truth, seed=1, n_runs=3)
    baseline = random_baseline(truth, seed=1, n_runs=50)
    # A perfect ranking gives 0.95 − 10/200 = 0.90; random order about 0.95 − 10/11 ≈ 0.04.
    assert result.wss_at_95 > 0.7
    assert result.wss_at_95 <= 0.90 + 1e-12
    assert baseline.wss_at_95 < 0.2
    assert result.rrf_at_10 > 0.8
    assert baseline.rrf_at_10 < 0.3
    summary = result.summary()
    assert summary.loc["wss_at_95", "mean"] == pytest.approx(result.wss_at_95)
    assert len(result.runs) == 3


@pytest.mark.parametrize("model", MODELS)
def test_every_model_learns_the_topic(model):
    texts, truth = synthetic_corpus(seed=11)
    assert simulate(texts, truth, seed=0, model=model).wss_at_95 > 0.6


def test_simulation_order_starts_with_the_initial_records_and_is_reproducible():
    texts, truth = synthetic_corpus(n=60, n_relevant=5)
    first = simulate(texts, truth, seed=4, batch=3)
    again = simulate(texts, truth, seed=4, batch=3)
    order = first.order
    assert sorted(order) == list(range(60))
    assert truth[order[0]] is True and truth[order[1]] is False
    assert order == again.order
    run = first.runs[0]
    assert run.recall_curve[-1] == 1.0
    assert run.wss_at_95 == pytest.approx(wss(order, truth))
    assert run.rrf_at_10 == pytest.approx(rrf(order, truth))


def test_uncertainty_query_also_runs():
    texts, truth = synthetic_corpus(n=60, n_relevant=5)
    result = simulate(texts, truth, seed=2, query="uncertainty")
    assert sorted(result.order) == list(range(60))


def test_random_baseline_is_seeded():
    truth = [True] * 5 + [False] * 45
    assert (
        random_baseline(truth, seed=3, n_runs=2).order
        == random_baseline(truth, seed=3, n_runs=2).order
    )


def test_simulate_rejects_bad_arguments():
    texts, truth = synthetic_corpus(n=30, n_relevant=3)
    with pytest.raises(ValueError, match="model"):
        simulate(texts, truth, model="bert")
    with pytest.raises(ValueError, match="truth"):
        simulate(texts, truth[:-1])
    with pytest.raises(ValueError, match="initial"):
        simulate(texts, truth, initial=(4, 1))


def test_prioritiser_ranks_by_what_it_learned():
    records = [
        Record(title="Survivor collective in Dhaka", keywords=["trafficking"]),
        Record(title="Rainfall statistics", abstract="Monsoon rainfall in the delta."),
        Record(title="Survivor-led network", abstract="Trafficking survivors organising."),
        Record(title="Crop yields", abstract="Rainfall and rice yields."),
        Record(title="Collective action by trafficking survivors"),
        Record(title="Rainfall and floods"),
    ]
    labels = [True, False, None, None, None, None]
    p = Prioritiser().fit(records, labels)
    assert p.mode == "model"
    ranked = p.rank(records[2:])
    assert set(ranked[:2]) == {0, 2}  # the two survivor records first
    assert sorted(ranked) == [0, 1, 2, 3]


def test_cold_start_uses_the_question_then_known_relevant_then_seeded_random():
    texts = [
        "weather report",
        "survivor groups and collective action",
        "stock prices",
        "football scores",
    ]
    asked = Prioritiser(question="collective action of trafficking survivors")
    assert asked.fit(texts, [None] * 4).mode == "question"
    assert asked.rank(texts)[0] == 1

    only_relevant = Prioritiser().fit(
        [*texts, "survivor collective"], [None, None, None, None, True]
    )
    assert only_relevant.mode == "relevant"
    assert only_relevant.rank(texts)[0] == 1

    blind = Prioritiser(seed=5).fit(texts, [None, False, None, None])
    assert blind.mode == "random"
    assert blind.rank(texts) == Prioritiser(seed=5).fit(texts, [None] * 4).rank(texts)
    assert sorted(blind.rank(texts)) == [0, 1, 2, 3]


def test_prioritiser_input_checks():
    with pytest.raises(ValueError, match="labels"):
        Prioritiser().fit(["a", "b"], [True])
    with pytest.raises(ValueError, match="True, False or None"):
        Prioritiser().fit(["a", "b"], [True, "maybe"])
    with pytest.raises(RuntimeError, match="fit"):
        Prioritiser().rank(["a"])
    with pytest.raises(ValueError, match="model"):
        Prioritiser(model="gpt")
