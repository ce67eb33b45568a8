"""The services block of four-axis interviews as a long table: one row per service received.

Each service a survivor described is one row: which assessment it belongs to (code, date,
instrument version), its number within that interview, its type and provider, whether it
respected the survivor's own needs and wishes, each condition or pressure that came with it
(one 1/0 column per condition, so that several can be counted), and its effect on each axis
(on the instrument's effect scale, −2 … +2).

Who is in it and under which code follows the other row-level files
(:mod:`empower.web.exports.datasets`): consent to the purpose in force now, the research code
for research. The block holds no free text and no quasi-identifier, so nothing is coarsened.

Coded words (service and provider types) stay words in CSV and XLSX and become numbered codes
with value labels in SPSS; the ``variables`` sheet lists both.
"""

from __future__ import annotations

from typing import Any

from empower.instruments import Instrument, get_instrument
from empower.instruments.model import NOT_APPLICABLE, PREFER_NOT_TO_SAY, Option, text_in
from empower.metrics.privacy import Audience
from empower.reports.exports import Table, Variable
from empower.web.accounts.models import Organisation
from empower.web.assessments.models import Assessment

from .datasets import (
    ROW_LEVEL_AUDIENCE,
    _assessments,
    _included_note,
    code_variable,
    row_code,
)

YES_NO = {1: "Yes", 0: "No"}
MENTIONED = {1: "Mentioned", 0: "Not mentioned"}


def _codes(option_lists: list[tuple[Option, ...]]) -> tuple[dict[str, int], dict[int, str]]:
    """Numbered codes (1, 2, …) for the words of one or more instruments' option lists, in the
    order they first appear, with the English labels as value labels."""
    codes: dict[str, int] = {}
    labels: dict[int, str] = {}
    for options in option_lists:
        for option in options:
            word = str(option.value)
            if word not in codes:
                codes[word] = len(codes) + 1
                labels[codes[word]] = text_in(option.label, "en")[0]
    return codes, labels


def _with_unknown(codes: dict[str, int], labels: dict[int, str], word: Any) -> None:
    # an answer recorded under an option a later version dropped still needs a code
    if isinstance(word, str) and word and word not in codes:
        codes[word] = max(codes.values(), default=0) + 1
        labels[codes[word]] = word


def _effect_variable(instruments: list[Instrument], axis: str, label: str) -> Variable:
    value_labels: dict[int, str] = {}
    missing = [NOT_APPLICABLE]  # an effect may always be "does not apply"
    for instrument in instruments:
        assert instrument.services is not None
        scale = instrument.scales[instrument.services.effect_scale]
        for option in scale.options:
            if isinstance(option.value, int):
                value_labels.setdefault(option.value, text_in(option.label, "en")[0])
        if scale.prefer_not_to_say and PREFER_NOT_TO_SAY not in missing:
            missing.insert(0, PREFER_NOT_TO_SAY)
    return Variable(
        f"effect__{axis}", f"Effect of the service on “{label}”", "number",
        value_labels=dict(sorted(value_labels.items())), missing=tuple(missing),
        measure="ordinal",
    )


def services_table(organisation: Organisation, purpose: str) -> Table:
    """One row per service per assessment, for ``purpose`` (``own_reporting`` or
    ``research``)."""
    assessments = [a for a in _assessments(organisation, purpose) if a.services]
    instruments = [
        instrument
        for instrument in (get_instrument(*key.split("@", 1))
                           for key in sorted({a.instrument_key for a in assessments}))
        if instrument.services is not None
    ]
    blocks = [i.services for i in instruments if i.services is not None]
    service_codes, service_labels = _codes([b.service_types for b in blocks])
    provider_codes, provider_labels = _codes([b.provider_types for b in blocks])
    conditions: dict[str, str] = {}
    axes: dict[str, str] = {}
    for instrument in instruments:
        assert instrument.services is not None
        for option in instrument.services.conditions:
            conditions.setdefault(str(option.value), text_in(option.label, "en")[0])
        for axis in instrument.axes:
            axes.setdefault(axis.id, text_in(axis.label, "en")[0])
    keys = {i.key for i in instruments}

    rows: list[dict[str, Any]] = []
    for a in assessments:
        if a.instrument_key not in keys:
            continue
        for number, service in enumerate(a.services, start=1):
            rows.append(_row(organisation, purpose, a, number, service, conditions))
            _with_unknown(service_codes, service_labels, service.get("service_type"))
            _with_unknown(provider_codes, provider_labels, service.get("provider_type"))

    variables = [
        code_variable(purpose),
        Variable("conducted_on", "Date of the interview", "date"),
        Variable("instrument_id", "Instrument"),
        Variable("instrument_version", "Instrument version"),
        Variable("service_number", "Number of the service within the interview", "number",
                 measure="scale"),
        Variable("service_type", "Type of service", measure="nominal",
                 value_labels=service_labels, word_codes=service_codes),
        Variable("provider_type", "Who provided it", measure="nominal",
                 value_labels=provider_labels, word_codes=provider_codes),
        Variable("respected_wishes", "It respected the survivor's own needs and wishes",
                 "number", value_labels=dict(YES_NO), measure="nominal",
                 description="1 = yes, 0 = no, empty = not recorded"),
        *[
            Variable(f"condition__{value}", f"Condition or pressure: {label}", "number",
                     value_labels=dict(MENTIONED), measure="nominal",
                     description="1 = mentioned, 0 = not mentioned, empty = the conditions "
                                 "were not asked about")
            for value, label in conditions.items()
        ],
        *[_effect_variable(instruments, axis, label) for axis, label in axes.items()],
    ]
    notes = [_included_note(organisation, purpose)]
    if ROW_LEVEL_AUDIENCE[purpose] is not Audience.INTERNAL:
        notes.append("For research: rows carry a research code, not the participant code.")
    notes.append("Effects 'prefer_not_to_say' and 'not_applicable' are deliberate non-answers "
                 "(codes -99 and -98, declared missing, in SPSS); an empty cell was skipped. "
                 "Service and provider types are words here and numbered codes with value "
                 "labels in SPSS.")
    return Table("services", "Empower services received and their effects", variables, rows,
                 notes=notes)


def _row(organisation: Organisation, purpose: str, assessment: Assessment, number: int,
         service: dict[str, Any], conditions: dict[str, str]) -> dict[str, Any]:
    respected = service.get("respected_wishes")
    row: dict[str, Any] = {
        "participant": row_code(organisation, assessment.participant, purpose),
        "conducted_on": assessment.conducted_on,
        "instrument_id": assessment.instrument_id,
        "instrument_version": assessment.instrument_version,
        "service_number": number,
        "service_type": service.get("service_type"),
        "provider_type": service.get("provider_type"),
        "respected_wishes": None if respected is None else int(bool(respected)),
    }
    named = service.get("conditions")
    if named is not None:  # a list, possibly empty: each condition was asked about
        for value in conditions:
            row[f"condition__{value}"] = int(value in named)
    for axis, effect in (service.get("effects") or {}).items():
        row[f"effect__{axis}"] = effect
    return row
