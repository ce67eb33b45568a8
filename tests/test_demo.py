"""The synthetic demo cohort: the pilot's published marginals exactly, and follow-ups from the
documented model."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from scipy.stats import norm

from empower.demo import LIKERT_THRESHOLDS, LOADING, likert_item, pilot_cohort


def test_baseline_reproduces_the_published_sample():
    cohort = pilot_cohort()
    assert len(cohort) == 76
    assert Counter(p.gender for p in cohort) == {"female": 45, "male": 31}
    assert Counter(p.status for p in cohort) == {
        "returned": 65, "just_escaped": 6, "settled_elsewhere": 5}
    assert Counter(p.destination for p in cohort) == {
        "Thailand": 28, "China": 24, "Myanmar": 15, "Singapore": 4, None: 5}
    ages = [p.age for p in cohort]
    assert (min(ages), max(ages), sum(ages)) == (15, 49, 1963)  # 1963 / 76 = 25.83
    assert Counter(p.instrument_key for p in cohort) == {
        "empowerment-scales@1.0": 46, "empowerment-interview@2.0": 30}
    assert sum(p.region is None for p in cohort) == 1
    assert len({p.region for p in cohort if p.region}) == 10


def test_follow_ups_are_two_to_four_within_six_to_eighteen_months_and_in_the_past():
    for person in pilot_cohort():
        follow_ups = person.assessments[1:]
        assert 2 <= len(follow_ups) <= 4
        span = (follow_ups[-1].conducted_on - person.conducted_on).days
        assert 183 <= span <= 548
        dates = [a.conducted_on for a in person.assessments]
        assert dates == sorted(dates) and dates[-1] < date(2026, 11, 23)


def test_the_same_seed_gives_the_same_cohort():
    first, again = pilot_cohort(seed=7), pilot_cohort(seed=7)
    assert [p.assessments[-1].answers for p in first] == [p.assessments[-1].answers
                                                          for p in again]


def test_likert_answers_follow_the_stated_model():
    # At latent level 0 the item score is y* ~ N(0, 1 − λ²); category 3 is −0.5 < y* ≤ 0.5.
    rng = random.Random(1)
    draws = Counter(likert_item(rng, 0.0) for _ in range(40000))
    sd = (1 - LOADING**2) ** 0.5
    low, high = LIKERT_THRESHOLDS[1], LIKERT_THRESHOLDS[2]
    expected = norm.cdf(high / sd) - norm.cdf(low / sd)   # = 0.595 for λ = 0.8
    assert abs(draws[3] / 40000 - expected) < 0.01
    assert abs(expected - 0.595) < 0.001
