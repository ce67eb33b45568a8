"""Synthetic demo cohort, shaped like the 2018 pilot's published sample.

Everything here is invented by a seeded random generator and labelled synthetic wherever it is
shown. Only the *marginal* figures the pilot published are reproduced exactly (Issara Institute
2018, "Sample at a glance"): 76 participants; 45 female, 31 male; aged 15–49 with a mean of
25.83 at interview; 65 returned home, 6 just escaped, 5 settled in new jobs abroad; destination
Thailand 28, China 24, Myanmar 15, Singapore 4, not given 5; 75 from ten regions of Myanmar and
one not given; 46 interviewed with the scales (version 1) and 30 with the four-axis interview
(version 2). Answers follow the pattern of the pilot's findings: family and community acceptance
mostly strong in either direction, legal processes mostly disempowering, work and psychosocial
support mostly empowering. No narrative text is generated: a demo must not put invented words
in a survivor's mouth.

Follow-ups come from a known model, so that the metrics can be checked against what was put
in. Each participant has a latent level per axis (standard normal at baseline). A share
``IMPROVER_SHARE`` truly improves by ``TRUE_IMPROVEMENT`` latent SDs, spread evenly over their
follow-ups; a share ``DETERIORATOR_SHARE`` truly declines by ``TRUE_DECLINE``; the rest stay
where they were. Each participant has 2–4 follow-ups, 6–18 months after the baseline. Likert
answers follow a one-factor model per subscale with standardised loading ``LOADING`` on the
latent level, cut into five categories at fixed thresholds; ladder ratings are the latent level
on a 1–10 line with noise. One in three participants first seen with the scales is seen last
with the four-axis interview, as organisations switch versions.

Pure Python: no Django here, so the generator can be used and tested on its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from empower.instruments import Instrument, get_instrument
from empower.instruments.model import NOT_APPLICABLE, PREFER_NOT_TO_SAY

PILOT_SIZE = 76
#: The known model behind the follow-ups (see the module docstring).
LOADING = 0.8
IMPROVER_SHARE = 0.45
DETERIORATOR_SHARE = 0.10
TRUE_IMPROVEMENT = 1.5
TRUE_DECLINE = -1.0
#: Cut points on the standard-normal item scale between the five Likert categories.
LIKERT_THRESHOLDS = (-1.5, -0.5, 0.5, 1.5)
PILOT_AGE_SUM = 1963  # 1963 / 76 = 25.828… → the published mean of 25.83
REGIONS = (
    "Ayeyarwady", "Bago", "Kayin", "Magway", "Mandalay", "Mon", "Sagaing", "Shan",
    "Tanintharyi", "Yangon",
)


@dataclass
class DemoAssessment:
    instrument_key: str
    conducted_on: date
    answers: dict[str, Any] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoParticipant:
    gender: str
    age: int
    region: str | None
    exploitation_types: list[str]
    destination: str | None
    status: str
    consent_scopes: list[str]
    consent_with_guardian: bool
    #: baseline first, then the follow-ups in date order
    assessments: list[DemoAssessment] = field(default_factory=list)
    #: the known truth: "improver", "deteriorator" or "stable", and the latent change per axis
    trajectory: str = "stable"
    true_change: dict[str, float] = field(default_factory=dict)

    @property
    def baseline(self) -> DemoAssessment:
        return self.assessments[0]

    @property
    def instrument_key(self) -> str:
        return self.baseline.instrument_key

    @property
    def conducted_on(self) -> date:
        return self.baseline.conducted_on

    @property
    def answers(self) -> dict[str, Any]:
        return self.baseline.answers

    @property
    def year_of_birth(self) -> int:
        # Baseline dates are chosen so the whole year of age is exact in year arithmetic.
        return self.conducted_on.year - self.age


def _exact(rng: random.Random, counts: dict[Any, int]) -> list[Any]:
    """A shuffled list holding each value exactly ``counts[value]`` times."""
    values = [value for value, n in counts.items() for _ in range(n)]
    rng.shuffle(values)
    return values


def pilot_ages(rng: random.Random, n: int = PILOT_SIZE, total: int = PILOT_AGE_SUM) -> list[int]:
    """``n`` whole ages from 15 to 49 (both present) that add up to ``total``.

    Ages are drawn skewed towards the early twenties, as in a migrant-worker population, then
    nudged one year at a time (never touching the two anchors) until the sum is exact.
    """
    drawn = [round(16 + rng.gammavariate(2.2, 4.5)) for _ in range(n - 2)]
    ages = [15, 49] + [min(48, max(16, age)) for age in drawn]
    while sum(ages) != total:
        i = rng.randrange(2, n)
        step = 1 if sum(ages) < total else -1
        if 16 <= ages[i] + step <= 48:
            ages[i] += step
    rng.shuffle(ages)
    return ages


def _exploitation(rng: random.Random, gender: str, destination: str | None) -> list[str]:
    if gender == "female" and destination == "China" and rng.random() < 0.7:
        return ["forced_marriage"]
    roll = rng.random()
    if roll < 0.62:
        return ["labour_trafficking"]
    if roll < 0.78:
        return ["exploited_worker"]
    if roll < 0.9 and gender == "female":
        return ["sex_trafficking"]
    return ["cheated_job_seeker"]


# Per factor: (chance it does not apply, chance it is empowering when it applies,
#              chance the effect is strong rather than moderate).
FACTOR_PATTERN: dict[str, tuple[float, float, float]] = {
    "family": (0.05, 0.6, 0.8),
    "community": (0.05, 0.45, 0.75),
    "rescue": (0.45, 0.8, 0.5),
    "legal_process": (0.45, 0.15, 0.6),
    "mental_health": (0.2, 0.15, 0.5),
    "psychosocial_support": (0.3, 0.85, 0.5),
    "work_and_finances": (0.05, 0.7, 0.6),
    "ngo_services": (0.15, 0.75, 0.4),
    "officials_and_police": (0.75, 0.5, 0.4),
}


def _effects(rng: random.Random, instrument: Instrument) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for factor in instrument.factor_ids():
        absent, positive, strong = FACTOR_PATTERN.get(factor, (0.3, 0.5, 0.5))
        applies = rng.random() >= absent
        sign = 1 if rng.random() < positive else -1
        size = 2 if rng.random() < strong else 1
        for axis in instrument.axis_ids():
            key = f"effect__{factor}__{axis}"
            if not applies:
                answers[key] = NOT_APPLICABLE
            elif rng.random() < 0.2:  # not every factor moves every axis equally
                answers[key] = sign * (size - 1)
            else:
                answers[key] = sign * size
    return answers


def _services(rng: random.Random, instrument: Instrument) -> list[dict[str, Any]]:
    block = instrument.services
    assert block is not None
    types = [o.value for o in block.service_types if o.value != "other"]
    services = []
    for service_type in rng.sample(types, rng.randint(1, 3)):
        respected = rng.random() < 0.7
        conditions = (
            ["none"] if respected
            else rng.sample(
                [o.value for o in block.conditions if o.value != "none"], rng.randint(1, 2)
            )
        )
        base = 1 if respected else -1
        services.append({
            "service_type": service_type,
            "provider_type": "ngo_cso" if rng.random() < 0.8 else "government",
            "respected_wishes": respected,
            "conditions": conditions,
            "effects": {
                axis: max(-2, min(2, base + rng.choice([-1, 0, 0, 1])))
                for axis in instrument.axis_ids()
            },
        })
    return services


def _ladder(rng: random.Random, instrument: Instrument, levels: dict[str, float]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for axis in instrument.axis_ids():
        rating = round(5.5 + 1.5 * levels[axis] + rng.gauss(0, 0.75))
        answers[f"rating__{axis}"] = max(1, min(10, rating))
    return answers


def likert_item(rng: random.Random, level: float, loading: float = LOADING) -> int:
    """One keyed Likert answer (1–5) from the one-factor model: y* = λ·θ + ε with
    Var(ε) = 1 − λ², cut at ``LIKERT_THRESHOLDS``."""
    latent = loading * level + rng.gauss(0, (1 - loading**2) ** 0.5)
    return 1 + sum(latent > cut for cut in LIKERT_THRESHOLDS)


def _likert(rng: random.Random, instrument: Instrument, levels: dict[str, float]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for subscale in instrument.subscales:
        for item_id in subscale.items:
            item = instrument.item(item_id)
            scale = instrument.scales[item.scale or ""]
            roll = rng.random()
            if roll < 0.03:
                continue  # skipped
            if roll < 0.04:
                answers[item_id] = PREFER_NOT_TO_SAY
                continue
            keyed = likert_item(rng, levels[subscale.axis])
            # A reverse-keyed item is answered in the opposite direction.
            answers[item_id] = scale.minimum + scale.maximum - keyed if item.reverse else keyed
    return answers


def _assessment(
    rng: random.Random, instrument: Instrument, day: date, levels: dict[str, float]
) -> DemoAssessment:
    if instrument.kind == "four_axis_interview":
        answers = {**_ladder(rng, instrument, levels), **_effects(rng, instrument)}
        return DemoAssessment(instrument.key, day, answers, _services(rng, instrument))
    return DemoAssessment(instrument.key, day, _likert(rng, instrument, levels))


def _trajectory(rng: random.Random) -> tuple[str, float]:
    roll = rng.random()
    if roll < IMPROVER_SHARE:
        return "improver", TRUE_IMPROVEMENT
    if roll < IMPROVER_SHARE + DETERIORATOR_SHARE:
        return "deteriorator", TRUE_DECLINE
    return "stable", 0.0


def _follow_up_days(rng: random.Random, baseline: date) -> list[date]:
    """2–4 follow-ups, the last 6–18 months after the baseline, evenly spaced."""
    count = rng.randint(2, 4)
    span = rng.randint(183, 548)
    return [baseline + timedelta(days=round(span * (k + 1) / count)) for k in range(count)]


def pilot_cohort(seed: int = 2018, first_day: date = date(2024, 10, 1)) -> list[DemoParticipant]:
    """The synthetic pilot-shaped cohort. The same seed always gives the same cohort."""
    rng = random.Random(seed)
    scales = get_instrument("empowerment-scales", "1.0")
    interview = get_instrument("empowerment-interview", "2.0")
    genders = _exact(rng, {"female": 45, "male": 31})
    statuses = _exact(rng, {"returned": 65, "just_escaped": 6, "settled_elsewhere": 5})
    destinations = _exact(
        rng, {"Thailand": 28, "China": 24, "Myanmar": 15, "Singapore": 4, None: 5}
    )
    # The five who settled in new jobs abroad settled where they had been taken: Thailand.
    for i, status in enumerate(statuses):
        if status == "settled_elsewhere" and destinations[i] != "Thailand":
            j = next(
                k for k, d in enumerate(destinations)
                if d == "Thailand" and statuses[k] != "settled_elsewhere"
            )
            destinations[i], destinations[j] = destinations[j], destinations[i]
    regions: list[str | None] = list(REGIONS) + [rng.choice(REGIONS) for _ in range(65)] + [None]
    rng.shuffle(regions)
    ages = pilot_ages(rng)
    instruments = _exact(rng, {scales.key: 46, interview.key: 30})
    cohort = []
    for i in range(PILOT_SIZE):
        day = first_day + timedelta(days=rng.randrange(0, 150))
        instrument = scales if instruments[i] == scales.key else interview
        levels = {axis: rng.gauss(0, 1) for axis in interview.axis_ids()}
        kind, total = _trajectory(rng)
        assessments = [_assessment(rng, instrument, day, levels)]
        follow_ups = _follow_up_days(rng, day)
        switch = instrument is scales and rng.random() < 1 / 3
        for k, when in enumerate(follow_ups, 1):
            share = k / len(follow_ups)
            now = {axis: level + total * share for axis, level in levels.items()}
            last = k == len(follow_ups)
            used = interview if (switch and last) else instrument
            assessments.append(_assessment(rng, used, when, now))
        scopes = ["interview", "own_reporting"]
        scopes += [s for s, p in (("sharing", 0.7), ("research", 0.6)) if rng.random() < p]
        cohort.append(DemoParticipant(
            gender=genders[i], age=ages[i], region=regions[i],
            exploitation_types=_exploitation(rng, genders[i], destinations[i]),
            destination=destinations[i], status=statuses[i],
            consent_scopes=scopes, consent_with_guardian=ages[i] < 18,
            assessments=assessments, trajectory=kind,
            true_change={axis: total for axis in levels},
        ))
    return cohort
