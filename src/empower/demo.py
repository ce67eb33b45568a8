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
PILOT_AGE_SUM = 1963  # 1963 / 76 = 25.828… → the published mean of 25.83
REGIONS = (
    "Ayeyarwady", "Bago", "Kayin", "Magway", "Mandalay", "Mon", "Sagaing", "Shan",
    "Tanintharyi", "Yangon",
)


@dataclass
class DemoParticipant:
    gender: str
    age: int
    region: str | None
    exploitation_types: list[str]
    destination: str | None
    status: str
    instrument_key: str
    conducted_on: date
    consent_scopes: list[str]
    consent_with_guardian: bool
    answers: dict[str, Any] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)

    @property
    def year_of_birth(self) -> int:
        # Interview dates are chosen so the whole year of age is exact in year arithmetic.
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


def _ladder(rng: random.Random, instrument: Instrument, level: float) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for axis in instrument.axis_ids():
        answers[f"rating__{axis}"] = max(1, min(10, round(5.5 + 2 * level + rng.gauss(0, 1.2))))
    return answers


def _likert(rng: random.Random, instrument: Instrument, level: float) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for subscale in instrument.subscales:
        axis_level = level + rng.gauss(0, 0.5)
        for item_id in subscale.items:
            item = instrument.item(item_id)
            scale = instrument.scales[item.scale or ""]
            roll = rng.random()
            if roll < 0.03:
                continue  # skipped
            if roll < 0.04:
                answers[item_id] = PREFER_NOT_TO_SAY
                continue
            middle = (scale.minimum + scale.maximum) / 2
            keyed = round(middle + 0.9 * axis_level + rng.gauss(0, 0.7))
            keyed = max(scale.minimum, min(scale.maximum, keyed))
            # A reverse-keyed item is answered in the opposite direction.
            answers[item_id] = scale.minimum + scale.maximum - keyed if item.reverse else keyed
    return answers


def pilot_cohort(seed: int = 2018, first_day: date = date(2025, 3, 3)) -> list[DemoParticipant]:
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
        level = rng.gauss(0, 0.8)
        instrument = scales if instruments[i] == scales.key else interview
        if instrument is interview:
            answers = {**_ladder(rng, interview, level), **_effects(rng, interview)}
            services = _services(rng, interview)
        else:
            answers, services = _likert(rng, scales, level), []
        scopes = ["interview", "own_reporting"]
        scopes += [s for s, p in (("sharing", 0.7), ("research", 0.6)) if rng.random() < p]
        cohort.append(DemoParticipant(
            gender=genders[i], age=ages[i], region=regions[i],
            exploitation_types=_exploitation(rng, genders[i], destinations[i]),
            destination=destinations[i], status=statuses[i], instrument_key=instrument.key,
            conducted_on=day, consent_scopes=scopes, consent_with_guardian=ages[i] < 18,
            answers=answers, services=services,
        ))
    return cohort
