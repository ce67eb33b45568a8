"""Export tables built from the database: one organisation, one purpose, one audience.

Who is in a file: the organisation's participants whose consent to the chosen *purpose* is in
force at the moment of the export (``ConsentDecision.objects.in_force``), so a withdrawal takes
a person out of every later file at once. What is in it depends on who will read it
(``docs/exports.md``):

* never: names, phone numbers, addresses, interview notes (text items) — they stay in the
  system whatever the purpose;
* the organisation's own staff (purpose ``own_reporting``): the pseudonymous code, answers and
  scores, and the quasi-identifiers as recorded (gender, year of birth, region of origin,
  country of destination) with the type of exploitation and status;
* researchers (purpose ``research``): region and destination are dropped, the year of birth
  becomes an age band at the first interview, and any gender or age band held by fewer people
  than the organisation's threshold is left empty;
* ``sharing``: the consent wording allows totals only, so only aggregate tables (see
  :mod:`empower.web.exports.hxl`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from empower.instruments import Instrument, get_instrument, library
from empower.instruments.model import NOT_APPLICABLE, PREFER_NOT_TO_SAY, text_in
from empower.metrics.privacy import Audience
from empower.reports.exports import Table, Variable, age_bands, rare_to_blank
from empower.web.accounts.models import Organisation
from empower.web.assessments.models import Assessment
from empower.web.people.models import ConsentDecision, Participant, Purpose

#: Datasets with one row per person or per assessment.
ROW_LEVEL = ("assessments", "scores", "htcds")
#: Datasets of totals, protected by disclosure control.
AGGREGATE = ("aggregates",)
DATASETS = ROW_LEVEL + AGGREGATE

#: Purposes a row-level file may serve, and who reads it. ``sharing`` is missing on purpose:
#: participants agreed to share "only as totals".
ROW_LEVEL_AUDIENCE: dict[str, Audience] = {
    Purpose.OWN_REPORTING: Audience.INTERNAL,
    Purpose.RESEARCH: Audience.EXTERNAL,
}
#: Purposes an aggregate table may serve, with the audiences each allows. Own reporting covers
#: the organisation's staff, its viewers and its own published reports; sharing covers a
#: network or funder; research covers researchers and published research.
AGGREGATE_AUDIENCES: dict[str, tuple[Audience, ...]] = {
    Purpose.OWN_REPORTING: (Audience.INTERNAL, Audience.VIEWER, Audience.PUBLIC),
    Purpose.SHARING: (Audience.EXTERNAL, Audience.VIEWER),
    Purpose.RESEARCH: (Audience.EXTERNAL, Audience.PUBLIC),
}
#: File formats each dataset can be written in.
FORMATS: dict[str, tuple[str, ...]] = {
    "assessments": ("csv", "xlsx", "sav"),
    "scores": ("csv", "xlsx", "sav"),
    "htcds": ("csv", "xlsx"),
    "aggregates": ("hxl", "xlsx"),
}


class ExportRefused(ValueError):
    """The export was asked for in a combination that consent or the format does not allow."""


def check_request(dataset: str, fmt: str, purpose: str, audience: str | None) -> Audience:
    """The audience the file is for, or :class:`ExportRefused` saying what is wrong."""
    if dataset not in DATASETS:
        raise ExportRefused(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if fmt not in FORMATS[dataset]:
        raise ExportRefused(f"{dataset} can be written as {' or '.join(FORMATS[dataset])}, "
                            f"not {fmt}")
    if dataset in ROW_LEVEL:
        if purpose not in ROW_LEVEL_AUDIENCE:
            raise ExportRefused(
                f"a file with one row per person can serve {' or '.join(ROW_LEVEL_AUDIENCE)} "
                f"only; participants agreed to '{purpose}' for totals at most"
            )
        expected = ROW_LEVEL_AUDIENCE[purpose]
        if audience is not None and Audience(audience) is not expected:
            raise ExportRefused(f"a {purpose} file is for the audience {expected.value}")
        return expected
    allowed = AGGREGATE_AUDIENCES.get(purpose)
    if allowed is None:
        raise ExportRefused(f"totals can serve {', '.join(AGGREGATE_AUDIENCES)}, not {purpose}")
    chosen = Audience(audience) if audience is not None else allowed[0]
    if chosen not in allowed:
        raise ExportRefused(f"totals for {purpose} are for {', '.join(a.value for a in allowed)}"
                            f", not {chosen.value}")
    return chosen


def consenting_participants(organisation: Organisation, purpose: str) -> QuerySet[Participant]:
    """The organisation's participants whose consent to ``purpose`` is in force now."""
    in_force = ConsentDecision.objects.in_force(purpose).filter(
        consent__participant=OuterRef("pk")
    )
    return Participant.objects.for_organisation(organisation).filter(Exists(in_force))


def _assessments(organisation: Organisation, purpose: str) -> list[Assessment]:
    return list(
        Assessment.objects.for_organisation(organisation)
        .filter(participant__in=consenting_participants(organisation, purpose))
        .select_related("participant").prefetch_related("scores")
        .order_by("participant__code", "conducted_on", "pk")
    )


def _included_note(organisation: Organisation, purpose: str) -> str:
    return (
        f"Participants of {organisation.name} whose consent to '{purpose}' was in force on "
        f"{timezone.now():%Y-%m-%d %H:%M} UTC. Names, phone numbers, addresses and interview "
        "notes are never exported."
    )


# --------------------------------------------------------------------------------------------
# participant characteristics


def _participant_variables(staff: bool) -> list[Variable]:
    variables = [Variable("gender", "Gender", measure="nominal")]
    if staff:
        variables += [
            Variable("year_of_birth", "Year of birth", "number", measure="scale"),
            Variable("region_of_origin", "Region of origin", measure="nominal"),
            Variable("destination_country", "Country of destination", measure="nominal"),
        ]
    else:
        variables.append(Variable("age_band", "Age at first interview (band)",
                                  measure="ordinal"))
    variables += [
        Variable("exploitation_types", "Type(s) of exploitation", measure="nominal",
                 description="Several values are separated by ';'"),
        Variable("status", "Status at interview", measure="nominal"),
    ]
    return variables


def _participant_values(
    assessments: list[Assessment], staff: bool, threshold: int
) -> dict[int, dict[str, Any]]:
    people: dict[int, Participant] = {}
    first: dict[int, Any] = {}
    for a in assessments:
        people.setdefault(a.participant_id, a.participant)
        first[a.participant_id] = min(a.conducted_on, first.get(a.participant_id, a.conducted_on))
    ids = list(people)
    values: dict[int, dict[str, Any]] = {
        pid: {
            "gender": people[pid].gender or None,
            "exploitation_types": list(people[pid].exploitation_types),
            "status": people[pid].status or None,
        }
        for pid in ids
    }
    if staff:
        for pid in ids:
            values[pid].update(
                year_of_birth=people[pid].year_of_birth,
                region_of_origin=people[pid].region_of_origin or None,
                destination_country=people[pid].destination_country or None,
            )
        return values
    genders = rare_to_blank([values[pid]["gender"] for pid in ids], threshold)
    bands = age_bands([people[pid].age_at(first[pid]) for pid in ids], threshold)
    for pid, gender, band in zip(ids, genders, bands, strict=True):
        values[pid].update(gender=gender, age_band=band)
    return values


# --------------------------------------------------------------------------------------------
# assessments


def _item_variable(instrument: Instrument, item_id: str, name: str) -> Variable | None:
    item = instrument.item(item_id)
    if item.kind == "text" or item.sensitivity == "identifying":
        return None  # the survivor's own words never leave the system
    label = text_in(item.text, "en")[0]
    scale = instrument.scales.get(item.scale or "")
    if scale is None:
        return Variable(name, label, measure="nominal")
    words = [o.value for o in scale.options if isinstance(o.value, str)]
    numeric = [o for o in scale.options if isinstance(o.value, int)]
    missing = tuple(w for w in (PREFER_NOT_TO_SAY, NOT_APPLICABLE)
                    if w in words or (w == PREFER_NOT_TO_SAY and scale.prefer_not_to_say))
    if any(w not in (PREFER_NOT_TO_SAY, NOT_APPLICABLE) for w in words):
        return Variable(name, label, measure="nominal")  # coded by words: kept as text
    return Variable(
        name, label, "number",
        value_labels={o.value: text_in(o.label, "en")[0] for o in numeric},
        missing=missing, measure="ordinal",
    )


def _spss_name(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def assessments_table(organisation: Organisation, purpose: str, threshold: int) -> Table:
    """One row per assessment: participant, instrument, date, language, answers, scores."""
    staff = ROW_LEVEL_AUDIENCE[purpose] is Audience.INTERNAL
    assessments = _assessments(organisation, purpose)
    keys = sorted({a.instrument_key for a in assessments})
    instruments = [get_instrument(*key.split("@", 1)) for key in keys]
    answer_vars: list[Variable] = []
    answer_names: dict[tuple[str, str], str] = {}
    seen: dict[str, str] = {}
    for instrument in instruments:
        for item in instrument.items:
            name = item.id
            label = text_in(item.text, "en")[0]
            if name in seen and seen[name] != label:  # same id, other question: keep apart
                name = _spss_name(f"{instrument.id}_{instrument.version}__{item.id}")
            variable = _item_variable(instrument, item.id, name)
            if variable is None:
                continue
            answer_names[(instrument.key, item.id)] = name
            if name not in seen:
                seen[name] = label
                answer_vars.append(variable)
    axes: dict[str, str] = {}
    for instrument in instruments:
        for axis in instrument.axes:
            axes.setdefault(axis.id, text_in(axis.label, "en")[0])
    score_vars = [Variable(f"score__{axis}", f"{label}: axis score (0-100)", "number",
                           measure="scale") for axis, label in axes.items()]
    people = _participant_values(assessments, staff, threshold)
    rows = []
    for a in assessments:
        row: dict[str, Any] = {
            "participant": a.participant.code,
            "instrument_id": a.instrument_id,
            "instrument_version": a.instrument_version,
            "conducted_on": a.conducted_on,
            "language": a.language,
            **people[a.participant_id],
        }
        for (key, item_id), name in answer_names.items():
            if key == a.instrument_key and item_id in a.answers:
                row[name] = a.answers[item_id]
        for s in a.scores.all():
            row[f"score__{s.axis}"] = s.score
        rows.append(row)
    variables = [
        Variable("participant", "Participant code (random)"),
        *_participant_variables(staff),
        Variable("instrument_id", "Instrument"),
        Variable("instrument_version", "Instrument version"),
        Variable("conducted_on", "Date of the interview", "date"),
        Variable("language", "Language of the interview"),
        *answer_vars,
        *score_vars,
    ]
    return Table("assessments", "Empower assessments", variables, rows,
                 notes=_notes(organisation, purpose, staff))


def _notes(organisation: Organisation, purpose: str, staff: bool) -> list[str]:
    notes = [_included_note(organisation, purpose)]
    if not staff:
        notes.append(
            "For research: region of origin and country of destination are left out, age is "
            "given as a band at the first interview, and a gender or age band held by fewer "
            f"than {organisation.small_cell_threshold} people in this file is left empty."
        )
    notes.append("Answers 'prefer_not_to_say' and 'not_applicable' are deliberate non-answers "
                 "(codes -99 and -98, declared missing, in SPSS); an empty cell was skipped.")
    return notes


# --------------------------------------------------------------------------------------------
# scores


def scores_table(organisation: Organisation, purpose: str) -> Table:
    """Axis scores in long format: one row per assessment and axis."""
    rows = [
        {
            "participant": a.participant.code,
            "conducted_on": a.conducted_on,
            "instrument_id": s.instrument_id,
            "instrument_version": s.instrument_version,
            "axis": s.axis,
            "score": s.score,
            "missing_reason": s.missing_reason or None,
        }
        for a in _assessments(organisation, purpose)
        for s in sorted(a.scores.all(), key=lambda s: _axis_order(s.axis))
    ]
    variables = [
        Variable("participant", "Participant code (random)"),
        Variable("conducted_on", "Date of the interview", "date"),
        Variable("instrument_id", "Instrument"),
        Variable("instrument_version", "Instrument version"),
        Variable("axis", "Axis of empowerment", measure="nominal"),
        Variable("score", "Axis score (0-100)", "number", measure="scale"),
        Variable("missing_reason", "Why the score could not be computed"),
    ]
    staff = ROW_LEVEL_AUDIENCE[purpose] is Audience.INTERNAL
    return Table("scores", "Empower axis scores", variables, rows,
                 notes=_notes(organisation, purpose, staff)[:-1])


def _axis_order(axis: str) -> tuple[int, str]:
    order = [a.id for instrument in library().values() for a in instrument.axes]
    return (order.index(axis) if axis in order else len(order), axis)


def build_table(organisation: Organisation, dataset: str, purpose: str,
                audience: Audience) -> Table:
    """The table of ``dataset`` for ``purpose`` and ``audience`` (checked by the caller)."""
    threshold = organisation.small_cell_threshold
    if dataset == "assessments":
        return assessments_table(organisation, purpose, threshold)
    if dataset == "scores":
        return scores_table(organisation, purpose)
    if dataset == "htcds":
        from .htcds import htcds_table

        people = list(consenting_participants(organisation, purpose).order_by("code"))
        table = htcds_table(people, staff=audience is Audience.INTERNAL, threshold=threshold)
        table.notes.insert(0, _included_note(organisation, purpose))
        return table
    from .hxl import aggregates_table

    return aggregates_table(organisation, purpose, audience)
