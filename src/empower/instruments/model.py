"""The instrument model: an interview or questionnaire described as data.

An instrument is loaded from a versioned YAML file (see ``docs/instruments.md``) and never
changes once assessments have been recorded with it: a new wording is a new version. Every
assessment keeps the ``(id, version)`` pair it was made with, so scores can always be traced
back to the exact questions that were asked.

Texts are dictionaries from a language code (``en``, ``bn``, ``my``, ``th`` …) to the text in
that language; :func:`text_in` picks one with a visible fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Texts = dict[str, str]

#: Kinds of instrument the scoring knows about.
InstrumentKind = Literal["four_axis_interview", "scales"]

#: What an item asks for.
#: ``rating`` – a number on a response scale that feeds a score (ladder self-rating or Likert item);
#: ``effect`` – the effect of one factor on one axis (−2 … +2, or not applicable);
#: ``text`` – free text (a note); always treated as identifying-sensitive and encrypted at rest;
#: ``choice`` – a single choice that is recorded but not scored.
ItemKind = Literal["rating", "effect", "text", "choice"]

#: The value stored when a participant chose "prefer not to say". It counts as unanswered for
#: scoring, but is kept apart from a skipped question so that reports can tell the two apart.
PREFER_NOT_TO_SAY = "prefer_not_to_say"

#: The value stored for "not applicable" on an effect item.
NOT_APPLICABLE = "not_applicable"

DEFAULT_LANGUAGE = "en"


def text_in(texts: Texts, language: str, fallback: str = DEFAULT_LANGUAGE) -> tuple[str, bool]:
    """Return ``(text, is_fallback)`` for ``language``, falling back to ``fallback``.

    The second value lets the interface mark a fallback visibly instead of silently showing
    another language to a participant.
    """
    if texts.get(language):
        return texts[language], False
    if texts.get(fallback):
        return texts[fallback], True
    for value in texts.values():
        if value:
            return value, True
    return "", True


@dataclass(frozen=True)
class Option:
    """One answer on a response scale. ``value`` is what is stored and scored."""

    value: int | str
    label: Texts


@dataclass(frozen=True)
class ResponseScale:
    """A set of answers shared by several items (a 1–10 ladder, a 5-point Likert scale …).

    ``minimum`` and ``maximum`` are the lowest and highest *numeric* values; they are used for
    reverse keying (``minimum + maximum − x``) and for the 0–100 metric
    (``100 · (x − minimum) / (maximum − minimum)``). Non-numeric options (``not_applicable``)
    are allowed but never scored.
    """

    id: str
    options: tuple[Option, ...]
    minimum: int
    maximum: int
    prefer_not_to_say: bool = True

    def numeric_values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options if isinstance(o.value, int))


@dataclass(frozen=True)
class Axis:
    """One of the four axes of empowerment (or an instrument's own axes when adapted)."""

    id: str
    label: Texts
    description: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Factor:
    """Something in a survivor's life that can empower or disempower, possibly on several axes."""

    id: str
    label: Texts
    description: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One question.

    ``axis`` is set for ladder self-ratings and effect items; ``factor`` for effect and note
    items; ``subscale`` for Likert items. ``reverse`` marks a reverse-keyed item: its answer is
    mirrored on its scale before scoring. ``sensitivity`` follows the disclosure-control tags
    (``identifying``, ``quasi_identifying``, ``sensitive``, ``plain``).
    """

    id: str
    kind: ItemKind
    text: Texts
    scale: str | None = None
    axis: str | None = None
    factor: str | None = None
    subscale: str | None = None
    reverse: bool = False
    required: bool = False
    sensitivity: str = "sensitive"
    section: str = ""


@dataclass(frozen=True)
class Subscale:
    """A group of items scored together and mapped onto one axis."""

    id: str
    label: Texts
    axis: str
    items: tuple[str, ...]
    #: the share of items that must be answered for a score; below it the score is missing.
    min_answered: float = 0.8


@dataclass(frozen=True)
class ServiceBlock:
    """The services-received section of a four-axis interview.

    Each service a survivor received is recorded as one entry: its type, who provided it,
    whether it respected the survivor's own needs and wishes, which conditions or pressures came
    with it, and its effect on each axis (on the ``effect_scale``).
    """

    service_types: tuple[Option, ...]
    provider_types: tuple[Option, ...]
    conditions: tuple[Option, ...]
    effect_scale: str


@dataclass(frozen=True)
class Scoring:
    """How axis scores are made.

    ``method`` is ``ladder`` (each axis has one self-rating item, rescaled to 0–100) or
    ``subscale_mean`` (each subscale's mean of keyed items, rescaled to 0–100; an axis score is
    the mean of its subscale scores).
    """

    method: Literal["ladder", "subscale_mean"]
    min_answered: float = 0.8


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    kind: InstrumentKind
    title: Texts
    description: Texts
    languages: tuple[str, ...]
    axes: tuple[Axis, ...]
    factors: tuple[Factor, ...]
    scales: dict[str, ResponseScale]
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    scoring: Scoring
    services: ServiceBlock | None = None

    @property
    def key(self) -> str:
        """``id@version``: the identifier stored beside every assessment."""
        return f"{self.id}@{self.version}"

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def axis_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.axes)

    def factor_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.factors)


#: The four axes of empowerment as identifiers. Instruments may label them in any language;
#: comparisons across instruments and versions go through these identifiers.
FOUR_AXES = ("healing", "purpose", "inner_peace", "self_capacity")
