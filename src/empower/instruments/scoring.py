"""Scoring: from one person's answers to axis scores, factor effects and service records.

Scores are computed with exact fractions and turned into floats only at the end, so that a
threshold such as "at least 80 % of the items answered" is never missed by a rounding error
(4 of 5 is exactly 80 %), and so that the same answers always give the same numbers.

Rules (see ``docs/instruments.md`` for the full description):

* reverse keying: ``x' = minimum + maximum − x`` on the item's scale;
* a subscale has a score only when ``answered / items ≥ min_answered``; "prefer not to say"
  counts as unanswered;
* subscale score ``= 100 · (mean − minimum) / (maximum − minimum)``, 0–100;
* axis score, method ``subscale_mean``: the mean of the axis's subscale scores that exist;
* axis score, method ``ladder``: ``100 · (rating − minimum) / (maximum − minimum)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, TypeGuard

from empower.i18n import Text, gettext_noop
from empower.instruments.loader import Problem
from empower.instruments.model import (
    NOT_APPLICABLE,
    PREFER_NOT_TO_SAY,
    Instrument,
    Item,
    Option,
    ResponseScale,
    Subscale,
)

Answers = Mapping[str, Any]
Services = Sequence[Mapping[str, Any]]

_SERVICE_KEYS = ("service_type", "provider_type", "respected_wishes", "conditions", "effects")


def _(template: str, **params: Any) -> Text:
    """A problem message, rendered later in the reader's language (see ``empower.i18n``).
    Named ``_`` because that is a name the message collector (xgettext) picks templates from,
    so ``make messages`` finds every template passed here."""
    return Text(template, params)


_REQUIRED = {
    "service type": gettext_noop("the service type is required"),
    "provider type": gettext_noop("the provider type is required"),
    "condition": gettext_noop("the condition is required"),
}
_UNKNOWN = {
    "service type": gettext_noop("unknown service type %(value)s (allowed: %(allowed)s)"),
    "provider type": gettext_noop("unknown provider type %(value)s (allowed: %(allowed)s)"),
    "condition": gettext_noop("unknown condition %(value)s (allowed: %(allowed)s)"),
}


@dataclass(frozen=True)
class SubscaleScore:
    """One subscale's result. ``mean`` is on the item scale after reverse keying;
    ``score`` is the same mean rescaled to 0–100. Both are ``None`` when too few items were
    answered, and ``missing_reason`` says why."""

    subscale: str
    axis: str
    mean: float | None
    score: float | None
    answered: int
    items: int
    missing_reason: str | None


@dataclass(frozen=True)
class AxisScore:
    """One axis's 0–100 score, tied to the exact instrument version that produced it so that
    scores from different versions are never mixed up unknowingly. ``source`` is ``ladder``
    or ``subscales``."""

    axis: str
    score: float | None
    instrument_id: str
    instrument_version: str
    source: str
    missing_reason: str | None


@dataclass(frozen=True)
class FactorEffect:
    """How one factor moved one axis for this person: −2 … +2, or not applicable, or declined.

    Direction and strength are kept per axis because the same factor can empower one
    survivor and disempower another.
    """

    factor: str
    axis: str
    effect: int | None
    not_applicable: bool
    declined: bool


@dataclass(frozen=True)
class ServiceRecord:
    """One service the person received, how it was delivered, and its effect on each axis."""

    service_type: str
    provider_type: str
    respected_wishes: bool | None
    conditions: tuple[str, ...]
    effects: dict[str, int | None]


@dataclass(frozen=True)
class ScoreResult:
    """Everything scoring produces for one assessment."""

    instrument_key: str
    axis_scores: dict[str, AxisScore]
    subscale_scores: dict[str, SubscaleScore]
    factor_effects: tuple[FactorEffect, ...]
    services: tuple[ServiceRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, numbers, strings) ready for ``json.dumps``."""
        return {
            "instrument_key": self.instrument_key,
            "axis_scores": {k: asdict(v) for k, v in self.axis_scores.items()},
            "subscale_scores": {k: asdict(v) for k, v in self.subscale_scores.items()},
            "factor_effects": [asdict(f) for f in self.factor_effects],
            "services": [
                {**asdict(s), "conditions": list(s.conditions), "effects": dict(s.effects)}
                for s in self.services
            ],
        }


class AnswerError(ValueError):
    """Answers that cannot be scored; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- scoring


def score(
    instrument: Instrument, answers: Answers, services: Services | None = None
) -> ScoreResult:
    """Score one assessment.

    Answers that do not fit the instrument (unknown items, values not on the scale …) raise
    :class:`AnswerError`: a score from bad data would look as trustworthy as a good one.
    Unanswered required items do not stop scoring; :func:`validate_answers` reports them.
    """
    problems = _value_problems(instrument, answers) + _service_problems(instrument, services)
    if problems:
        raise AnswerError(problems)
    exact = {s.id: _subscale(instrument, s, answers) for s in instrument.subscales}
    axis_scores = {
        axis_id: _axis(instrument, axis_id, answers, exact) for axis_id in instrument.axis_ids()
    }
    return ScoreResult(
        instrument_key=instrument.key,
        axis_scores=axis_scores,
        subscale_scores={k: v[0] for k, v in exact.items()},
        factor_effects=_factor_effects(instrument, answers),
        services=tuple(_service(instrument, s) for s in services or ()),
    )


def _is_int(value: object) -> TypeGuard[int]:
    """True for real integers; ``True`` is an int in Python but never a scale answer."""
    return isinstance(value, int) and not isinstance(value, bool)


def _scale_of(instrument: Instrument, item: Item) -> ResponseScale:
    assert item.scale is not None, f"item {item.id} has no scale"
    return instrument.scales[item.scale]


def _keyed(item: Item, scale: ResponseScale, value: int) -> int:
    """Mirror a reverse-keyed answer on its scale, so that higher always means stronger."""
    return scale.minimum + scale.maximum - value if item.reverse else value


def _rescale(value: Fraction, scale: ResponseScale) -> Fraction:
    """``100 · (value − minimum) / (maximum − minimum)``: 0 at the bottom, 100 at the top."""
    return 100 * (value - scale.minimum) / (scale.maximum - scale.minimum)


def _percent(share: float) -> str:
    """``0.8`` → ``"80"``; exact, so the message never reads 80.00000000000001."""
    return f"{float(Fraction(str(share)) * 100):g}"


def _subscale(
    instrument: Instrument, subscale: Subscale, answers: Answers
) -> tuple[SubscaleScore, Fraction | None]:
    """Score one subscale; also return the exact score for the axis mean."""
    items = [instrument.item(i) for i in subscale.items]
    values = [
        _keyed(item, _scale_of(instrument, item), answers[item.id])
        for item in items
        if _is_int(answers.get(item.id))
    ]
    answered, total = len(values), len(items)
    if total == 0:
        return SubscaleScore(subscale.id, subscale.axis, None, None, 0, 0, "no items"), None
    # Compare as exact fractions: the float 0.8 is slightly above 4/5.
    if Fraction(answered, total) < Fraction(str(subscale.min_answered)):
        reason = (
            f"{answered} of {total} items answered; at least "
            f"{_percent(subscale.min_answered)} % needed"
        )
        return SubscaleScore(subscale.id, subscale.axis, None, None, answered, total, reason), None
    scale = _scale_of(instrument, items[0])
    mean = Fraction(sum(values), answered)
    exact = _rescale(mean, scale)
    result = SubscaleScore(
        subscale.id, subscale.axis, float(mean), float(exact), answered, total, None
    )
    return result, exact


def _axis(
    instrument: Instrument,
    axis_id: str,
    answers: Answers,
    subscales: dict[str, tuple[SubscaleScore, Fraction | None]],
) -> AxisScore:
    if instrument.scoring.method == "ladder":
        value, reason = _ladder(instrument, axis_id, answers)
        source = "ladder"
    else:
        value, reason = _subscale_mean(axis_id, subscales)
        source = "subscales"
    return AxisScore(
        axis=axis_id,
        score=None if value is None else float(value),
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        source=source,
        missing_reason=reason,
    )


def _ladder(
    instrument: Instrument, axis_id: str, answers: Answers
) -> tuple[Fraction | None, str | None]:
    ratings = [i for i in instrument.items if i.kind == "rating" and i.axis == axis_id]
    if not ratings:
        return None, "no rating item for this axis"
    item = ratings[0]
    value = answers.get(item.id)
    if value == PREFER_NOT_TO_SAY:
        return None, "prefer not to say"
    if not _is_int(value):
        return None, "not answered"
    scale = _scale_of(instrument, item)
    return _rescale(Fraction(_keyed(item, scale, value)), scale), None


def _subscale_mean(
    axis_id: str, subscales: dict[str, tuple[SubscaleScore, Fraction | None]]
) -> tuple[Fraction | None, str | None]:
    mine = [pair for pair in subscales.values() if pair[0].axis == axis_id]
    if not mine:
        return None, "no subscale for this axis"
    present = [exact for _, exact in mine if exact is not None]
    if not present:
        reasons = "; ".join(f"{s.subscale}: {s.missing_reason}" for s, _ in mine)
        return None, f"no subscale score ({reasons})"
    return sum(present, Fraction(0)) / len(present), None


def _factor_effects(instrument: Instrument, answers: Answers) -> tuple[FactorEffect, ...]:
    return tuple(
        FactorEffect(
            factor=item.factor or "",
            axis=item.axis or "",
            effect=answers[item.id] if _is_int(answers.get(item.id)) else None,
            not_applicable=answers.get(item.id) == NOT_APPLICABLE,
            declined=answers.get(item.id) == PREFER_NOT_TO_SAY,
        )
        for item in instrument.items
        if item.kind == "effect"
    )


def _service(instrument: Instrument, raw: Mapping[str, Any]) -> ServiceRecord:
    effects = raw.get("effects") or {}
    return ServiceRecord(
        service_type=raw["service_type"],
        provider_type=raw["provider_type"],
        respected_wishes=raw.get("respected_wishes"),
        conditions=tuple(raw.get("conditions") or ()),
        effects={
            a: effects.get(a) if _is_int(effects.get(a)) else None for a in instrument.axis_ids()
        },
    )


# --------------------------------------------------------------------------- validation


def validate_answers(
    instrument: Instrument, answers: Answers, services: Services | None = None
) -> list[Problem]:
    """Every problem with a set of answers, in plain words naming the item.

    Returns an empty list when the answers are complete and fit the instrument. The web layer
    shows these to the person entering data; :func:`score` refuses answers with value problems.
    """
    return (
        _value_problems(instrument, answers)
        + _required_problems(instrument, answers)
        + _service_problems(instrument, services)
    )


def _value_problems(instrument: Instrument, answers: Answers) -> list[Problem]:
    if not isinstance(answers, Mapping):
        return [Problem("answers", _("must be a mapping from item id to answer"))]
    problems: list[Problem] = []
    known = {item.id: item for item in instrument.items}
    for item_id, value in answers.items():
        item = known.get(item_id)
        if item is None:
            problems.append(
                Problem(str(item_id), _("'%(item)s' is not a question of %(instrument)s",
                                       item=item_id, instrument=instrument.key))
            )
        elif value is not None:
            message = _value_problem(instrument, item, value)
            if message:
                problems.append(Problem(item.id, _("question '%(item)s': %(problem)s",
                                                    item=item.id, problem=message)))
    return problems


def _value_problem(instrument: Instrument, item: Item, value: Any) -> Text | None:
    """Why ``value`` is not an acceptable answer to ``item``, or ``None`` if it is."""
    if item.kind == "text":
        return None if isinstance(value, str) else _("expects text, not %(value)s",
                                                        value=repr(value))
    scale = _scale_of(instrument, item)
    if value == NOT_APPLICABLE and item.kind != "effect" and not _offers(scale, value):
        return _("'not applicable' is only an answer to an effect question")
    if value == PREFER_NOT_TO_SAY:
        return (
            None
            if scale.prefer_not_to_say
            else _("'prefer not to say' is not offered on scale '%(scale)s'", scale=scale.id)
        )
    if _offers(scale, value):
        return None
    return _("%(value)s is not an answer on scale '%(scale)s' (allowed: %(allowed)s)",
              value=repr(value), scale=scale.id, allowed=_choices(scale))


def _offers(scale: ResponseScale, value: Any) -> bool:
    """Is ``value`` one of the scale's options? (``True`` must not pass as the option 1.)"""
    if not (_is_int(value) or isinstance(value, str)):
        return False
    return any(type(o.value) is type(value) and o.value == value for o in scale.options)


def _choices(scale: ResponseScale) -> str:
    values = [str(o.value) for o in scale.options]
    if scale.prefer_not_to_say:
        values.append(PREFER_NOT_TO_SAY)
    return ", ".join(values)


def _required_problems(instrument: Instrument, answers: Answers) -> list[Problem]:
    """Required questions left empty. "Prefer not to say" is an answer: it is respected."""
    if not isinstance(answers, Mapping):
        return []
    return [
        Problem(item.id, _("question '%(item)s' is required but has no answer", item=item.id))
        for item in instrument.items
        if item.required and answers.get(item.id) in (None, "")
    ]


def _service_problems(instrument: Instrument, services: Services | None) -> list[Problem]:
    if not services:
        return []
    if instrument.services is None:
        return [Problem("services", _("%(instrument)s has no services section",
                                        instrument=instrument.key))]
    if isinstance(services, (str, bytes, Mapping)) or not isinstance(services, Sequence):
        return [Problem("services", _("must be a list of services"))]
    problems: list[Problem] = []
    for index, raw in enumerate(services):
        problems.extend(_one_service_problems(instrument, f"services[{index}]", raw))
    return problems


def _one_service_problems(instrument: Instrument, path: str, raw: Any) -> list[Problem]:
    block = instrument.services
    assert block is not None
    if not isinstance(raw, Mapping):
        return [Problem(path, _("must be a mapping with service_type, provider_type …"))]
    problems = [
        Problem(f"{path}.{key}", _("unknown key '%(key)s'; allowed: %(allowed)s", key=key,
                                    allowed=", ".join(_SERVICE_KEYS)))
        for key in raw
        if key not in _SERVICE_KEYS
    ]
    for key, options in (
        ("service_type", block.service_types),
        ("provider_type", block.provider_types),
    ):
        message = _option_problem(raw.get(key), options, key.replace("_", " "))
        if message:
            problems.append(Problem(f"{path}.{key}", message))
    if raw.get("respected_wishes") not in (True, False, None):
        problems.append(Problem(f"{path}.respected_wishes", _("must be true, false or empty")))
    problems.extend(_condition_problems(block.conditions, path, raw.get("conditions")))
    problems.extend(_effect_problems(instrument, path, raw.get("effects")))
    return problems


def _option_problem(value: Any, options: Sequence[Option], what: str) -> Text | None:
    if value is None:
        return _(_REQUIRED[what])
    if any(o.value == value and type(o.value) is type(value) for o in options):
        return None
    allowed = ", ".join(str(o.value) for o in options)
    return _(_UNKNOWN[what], value=repr(value), allowed=allowed)


def _condition_problems(options: Sequence[Option], path: str, raw: Any) -> list[Problem]:
    if raw is None:
        return []
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        return [Problem(f"{path}.conditions", _("must be a list of conditions"))]
    problems = []
    for index, value in enumerate(raw):
        message = _option_problem(value, options, "condition")
        if message:
            problems.append(Problem(f"{path}.conditions[{index}]", message))
    return problems


def _effect_problems(instrument: Instrument, path: str, raw: Any) -> list[Problem]:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return [Problem(f"{path}.effects", _("must be a mapping from axis to effect"))]
    assert instrument.services is not None
    scale = instrument.scales[instrument.services.effect_scale]
    problems = []
    for axis_id, value in raw.items():
        where = f"{path}.effects.{axis_id}"
        if axis_id not in instrument.axis_ids():
            axes = ", ".join(instrument.axis_ids())
            problems.append(Problem(where, _("unknown axis '%(axis)s' (allowed: %(allowed)s)",
                                              axis=axis_id, allowed=axes)))
        elif value is not None and not _effect_ok(scale, value):
            allowed = [str(v) for v in scale.numeric_values()] + [NOT_APPLICABLE]
            if scale.prefer_not_to_say:
                allowed.append(PREFER_NOT_TO_SAY)
            problems.append(
                Problem(
                    where,
                    _("%(value)s is not an effect on scale '%(scale)s' (allowed: %(allowed)s)",
                       value=repr(value), scale=scale.id, allowed=", ".join(allowed)),
                )
            )
    return problems


def _effect_ok(scale: ResponseScale, value: Any) -> bool:
    if value == NOT_APPLICABLE:
        return True
    if value == PREFER_NOT_TO_SAY:
        return scale.prefer_not_to_say
    return _is_int(value) and value in scale.numeric_values()
