"""Assessment forms generated from an instrument.

The instrument is data, so the form is built from it at request time: one field per item, in
the interview's language, with a visible mark where a text falls back to English. Values come
back as the instrument stores them (integers for scale points, strings for the special answers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from empower.instruments import Instrument, Item, Option
from empower.instruments.model import DEFAULT_LANGUAGE, NOT_APPLICABLE, PREFER_NOT_TO_SAY, text_in

PREFER_NOT_TO_SAY_LABEL = _("Prefer not to say")
NOT_APPLICABLE_LABEL = _("Does not apply")
#: The most a note can hold. The browser is not told (a ``maxlength`` attribute cuts pasted text
#: without a word); the server refuses a longer note with a message and keeps it in the draft.
NOTE_LIMIT = 4000
NOTE_TOO_LONG = ngettext_lazy(
    "A note can hold up to %(limit_value)d character; this one has %(show_value)d. Shorten it: "
    "nothing has been cut.",
    "A note can hold up to %(limit_value)d characters; this one has %(show_value)d. Shorten "
    "it: nothing has been cut.",
    "limit_value",
)
#: Put after a text shown in English because the participant's language is missing for it.
#: Translators: keep it short and in brackets; the explanation below uses it.
FALLBACK_MARK = pgettext_lazy("text shown in English", "[EN]")
FALLBACK_EXPLANATION = _(
    "Texts marked %(mark)s are not yet translated into this language, so they are shown in "
    "English. Translate them for the participant as you read them out."
)


def fallback_explanation() -> str:
    """What the mark means, in the active language (the interview's or the consent's)."""
    return str(FALLBACK_EXPLANATION) % {"mark": FALLBACK_MARK}


def marked(texts: dict[str, str], language: str) -> str:
    """``texts`` in ``language``, or in English with the fallback mark."""
    text, fell_back = text_in(texts, language)
    # The mark tells the interviewer the participant's language is missing for this text.
    return f"{text} {FALLBACK_MARK}" if fell_back and language != DEFAULT_LANGUAGE else text


def missing_texts(instrument: Instrument, language: str) -> int:
    """How many of the texts an interview shows have no version in ``language``."""
    if language == DEFAULT_LANGUAGE:
        return 0
    texts = [instrument.title, *(i.text for i in instrument.items),
             *(a.label for a in instrument.axes), *(f.label for f in instrument.factors),
             *(o.label for s in instrument.scales.values() for o in s.options)]
    if instrument.services is not None:
        block = instrument.services
        texts += [o.label for o in (*block.service_types, *block.provider_types,
                                    *block.conditions)]
    return sum(1 for t in texts if text_in(t, language)[1])


def _choices(options: tuple[Option, ...], language: str) -> list[tuple[str, str]]:
    return [(str(o.value), marked(o.label, language)) for o in options]


def _to_value(raw: str) -> int | str | None:
    if raw in ("", None):
        return None
    try:
        return int(raw)
    except ValueError:
        return raw


@dataclass
class Section:
    title: str
    fields: list[forms.BoundField] = field(default_factory=list)
    #: the effect scale spelled out once, for sections whose answers are short chips
    legend: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One screen of the interview: a group of questions, or the services received."""

    number: int
    title: str
    #: the item ids asked on this step (none on the services step)
    items: tuple[str, ...] = ()
    services: bool = False

    def owns(self, name: str) -> bool:
        """Whether the form field ``name`` is filled in on this step."""
        if self.services:
            return name == "service_count" or name.startswith("service-")
        return name in self.items or (self.number == 1 and name == "conducted_on")


def _section_key(item: Item) -> str:
    return f"factor:{item.factor}" if item.factor else f"section:{item.section}"


def interview_steps(instrument: Instrument, language: str) -> list[Step]:
    """The interview cut into short steps: one per factor (its effect questions and its note),
    one per other section, and the services received last.

    Titles are in the interview's language: call it inside ``translation.override(language)``.
    """
    groups: dict[str, list[Item]] = {}
    for item in instrument.items:
        groups.setdefault(_section_key(item), []).append(item)
    factor_labels = {f.id: marked(f.label, language) for f in instrument.factors}
    questions = [i.id for i in instrument.items if i.kind != "text"]
    steps: list[Step] = []
    for items in groups.values():
        first = items[0]
        if first.factor:
            title = factor_labels[first.factor]
        elif all(i.kind == "rating" for i in items):
            title = str(_("Where you are today"))
        else:
            numbers = [questions.index(i.id) + 1 for i in items if i.id in questions]
            title = str(_("Questions %(first)s–%(last)s") % {
                "first": number_format(min(numbers)), "last": number_format(max(numbers)),
            }) if numbers else str(_("Your own words"))
        steps.append(Step(len(steps) + 1, title, tuple(i.id for i in items)))
    if instrument.services is not None:
        steps.append(Step(len(steps) + 1, str(_("Services received")), services=True))
    return steps


def _chip(value: str, label: str) -> str:
    """The short label of an effect answer.

    Scale labels begin with the signed number in the interview's own numerals ("−২ …"), so the
    chip is that first word; the special answers get a short word of their own.
    """
    if value == NOT_APPLICABLE:
        return str(_("N/A"))
    if value == PREFER_NOT_TO_SAY:
        return str(PREFER_NOT_TO_SAY_LABEL)
    return label.split()[0] if label.split() else value


class DetailsForm(forms.Form):
    conducted_on = forms.DateField(
        label=_("Date of the interview"),
        # A date input takes ISO dates only, whatever the interviewer's language formats.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_conducted_on(self) -> date:
        value: date = self.cleaned_data["conducted_on"]
        if value > date.today():
            raise forms.ValidationError(_("The interview date cannot be in the future."))
        return value


class AnswersForm(forms.Form):
    """One field per item of the instrument, named by item id."""

    def __init__(
        self, instrument: Instrument, language: str, *args: Any,
        items: Iterable[str] | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.language = language
        asked = None if items is None else set(items)
        for item in instrument.items:
            if asked is None or item.id in asked:
                self.fields[item.id] = self._field_for(item)

    def _field_for(self, item: Item) -> forms.Field:
        label = marked(item.text, self.language)
        if item.kind == "effect" and item.axis:
            # Inside its factor's section an effect question needs only the axis: the section
            # heading names the factor, so the phone screen is not filled with repeated text.
            axis = next(a for a in self.instrument.axes if a.id == item.axis)
            label = marked(axis.label, self.language)
        if item.kind == "text":
            note = forms.CharField(
                label=label, required=False, max_length=NOTE_LIMIT,
                error_messages={"max_length": NOTE_TOO_LONG},
                widget=forms.Textarea(attrs={
                    "rows": 4, "data-limit": NOTE_LIMIT, "aria-describedby": f"id_{item.id}-count",
                }),
            )
            note.widget.attrs.pop("maxlength", None)
            return note
        scale = self.instrument.scales[item.scale] if item.scale else None
        choices = _choices(scale.options, self.language) if scale else []
        if item.kind == "effect":
            choices = [c for c in choices if c[0] != NOT_APPLICABLE]
            choices.append((NOT_APPLICABLE, str(NOT_APPLICABLE_LABEL)))
        if scale is None or scale.prefer_not_to_say:
            choices.append((PREFER_NOT_TO_SAY, str(PREFER_NOT_TO_SAY_LABEL)))
        if item.kind == "effect":
            choices = [(value, _chip(value, full)) for value, full in choices]
        answer = forms.ChoiceField(
            label=label, required=item.required, choices=choices,
            widget=forms.RadioSelect(attrs={"class": "choice"}),
        )
        answer.kind = item.kind  # type: ignore[attr-defined]  # lays out the answer chips
        return answer

    def sections(self) -> list[Section]:
        """Group the fields for display: ratings first, then one group per factor."""
        instrument = self.instrument
        sections: dict[str, Section] = {}
        factor_labels = {f.id: marked(f.label, self.language) for f in instrument.factors}
        for item in instrument.items:
            if item.id not in self.fields:
                continue
            key = _section_key(item)
            title = factor_labels[item.factor] if item.factor else ""
            section = sections.setdefault(key, Section(title=title))
            section.fields.append(self[item.id])
            if item.kind == "effect" and not section.legend and item.scale:
                section.legend = self._effect_legend(item.scale)
        return list(sections.values())

    def _effect_legend(self, scale_id: str) -> list[str]:
        options = self.instrument.scales[scale_id].options
        legend = [marked(o.label, self.language) for o in options if o.value != NOT_APPLICABLE]
        # "N/A" spelled out in the instrument's own words where it has them ("Does not apply to
        # me" in each language), so the legend reads as one language.
        meaning = next(
            (marked(o.label, self.language) for o in options if o.value == NOT_APPLICABLE),
            str(NOT_APPLICABLE_LABEL),
        )
        return [*legend, f"{_chip(NOT_APPLICABLE, '')} = {meaning}"]

    def answers_and_narratives(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Split cleaned data into scored/choice answers and free-text narratives."""
        answers: dict[str, Any] = {}
        narratives: dict[str, str] = {}
        for item in self.instrument.items:
            if item.id not in self.fields:
                continue
            raw = self.cleaned_data.get(item.id)
            if item.kind == "text":
                if raw and raw.strip():
                    narratives[item.id] = raw.strip()
            else:
                value = _to_value(raw)
                if value is not None:
                    answers[item.id] = value
        return answers, narratives


YES_NO_UNSURE = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("Not sure"))]


class ServiceForm(forms.Form):
    """One service the participant received, and how it was delivered."""

    def __init__(self, instrument: Instrument, language: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        block = instrument.services
        assert block is not None, "only four-axis interviews record services"
        self.instrument = instrument
        self.fields["service_type"] = forms.ChoiceField(
            label=_("Service"), required=False,
            choices=[("", "—"), *_choices(block.service_types, language)],
        )
        self.fields["provider_type"] = forms.ChoiceField(
            label=_("Who provided it"), required=False,
            choices=[("", "—"), *_choices(block.provider_types, language)],
        )
        self.fields["respected_wishes"] = forms.ChoiceField(
            label=_("Did it respect your own needs and wishes?"), required=False,
            choices=[("", "—"), *YES_NO_UNSURE],
        )
        self.fields["conditions"] = forms.MultipleChoiceField(
            label=_("Did any of these come with it?"), required=False,
            choices=_choices(block.conditions, language),
            widget=forms.CheckboxSelectMultiple,
        )
        effect_scale = instrument.scales[block.effect_scale]
        effect_choices = [("", "—")] + [
            c for c in _choices(effect_scale.options, language) if c[0] != NOT_APPLICABLE
        ] + [(NOT_APPLICABLE, str(NOT_APPLICABLE_LABEL))]
        for axis in instrument.axes:
            self.fields[f"effect__{axis.id}"] = forms.ChoiceField(
                label=marked(axis.label, language), required=False, choices=effect_choices
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = any(data.get(name) for name in self.fields if name != "service_type")
        if filled and not data.get("service_type"):
            self.add_error("service_type", _("Choose which service this was."))
        if data.get("service_type") and not data.get("provider_type"):
            self.add_error("provider_type", _("Choose who provided this service."))
        return data

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("service_type")

    def to_record(self) -> dict[str, Any]:
        data = self.cleaned_data
        wishes = {"yes": True, "no": False}.get(data.get("respected_wishes") or "")
        return {
            "service_type": data["service_type"],
            "provider_type": data["provider_type"],
            "respected_wishes": wishes,
            "conditions": list(data.get("conditions") or []),
            "effects": {
                axis.id: _to_value(data.get(f"effect__{axis.id}") or "")
                for axis in self.instrument.axes
            },
        }
