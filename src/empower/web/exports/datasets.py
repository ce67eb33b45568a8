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
* researchers (purpose ``research``): rows carry a *research code* instead of the participant
  code (:func:`research_code`), region and destination are dropped, the year of birth becomes
  an age band at the first interview, and any gender, age band or interview language held by
  fewer people than the organisation's threshold is left empty;
* ``sharing``: the consent wording allows totals only, so only aggregate tables (see
  :mod:`empower.web.exports.hxl`).
"""

from __future__ import annotations

import base64
from collections import Counter
from functools import cache
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from empower.instruments import Instrument, get_instrument, library
from empower.instruments.model import NOT_APPLICABLE, PREFER_NOT_TO_SAY, text_in
from empower.metrics.privacy import Audience
from empower.reports.exports import Table, Variable, age_bands
from empower.web.accounts.models import Organisation
from empower.web.assessments.models import Assessment
from empower.web.people.models import ConsentDecision, Participant, Purpose

#: Datasets with one row per person or per assessment.
ROW_LEVEL = ("assessments", "scores", "services", "htcds")
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
    "services": ("csv", "xlsx", "sav"),
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


def research_code(organisation: Organisation, participant_code: str) -> str:
    """The code a participant carries in files for research: ``R-`` and 10 characters.

    The participant code is known outside the database — it is on the participant's consent
    receipt and is passed to providers with a referral — so a research file under that code
    could be linked back to the person by anyone holding one of those papers. The research
    code is a keyed hash (HMAC-SHA256 with the site's secret key) of the organisation and the
    participant code: the same person has the same research code in every research file of
    the organisation (so waves and datasets can be linked), and nobody without the key can
    turn it back into the participant code. Changing the site's secret key changes every
    research code.
    """
    digest = salted_hmac("empower.exports.research-code", f"{organisation.pk}:{participant_code}",
                         algorithm="sha256").digest()
    return "R-" + base64.b32encode(digest).decode("ascii")[:10]


def row_code(organisation: Organisation, participant: Participant, purpose: str) -> str:
    """The code a row of a file for ``purpose`` carries: the participant's code for the
    organisation's own staff, the research code (:func:`research_code`) for research."""
    if ROW_LEVEL_AUDIENCE.get(purpose) is Audience.INTERNAL:
        return participant.code
    return research_code(organisation, participant.code)


def code_variable(purpose: str, name: str = "participant") -> Variable:
    if ROW_LEVEL_AUDIENCE.get(purpose) is Audience.INTERNAL:
        return Variable(name, "Participant code (random)")
    return Variable(name, "Research code (random; not the participant code)",
                    description="The same person has the same research code in every "
                                "research file of the organisation.")


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
    shown = shown_genders([values[pid]["gender"] for pid in ids], threshold)
    genders = [values[pid]["gender"] if values[pid]["gender"] in shown else None for pid in ids]
    bands = age_bands([people[pid].age_at(first[pid]) for pid in ids], threshold)
    for pid, gender, band in zip(ids, genders, bands, strict=True):
        values[pid].update(gender=gender, age_band=band)
    return values


def shown_genders(genders: list[str | None], threshold: int) -> set[str]:
    """Genders held by at least ``threshold`` of the people given; any other gender is left
    empty in research files. The research assessments file and the research HTCDS file both
    take this from the people *with an assessment*, so that the two files (which share the
    research code) blank the same genders: otherwise a gender blanked in one could be read in
    the other. A gender held only by people without an assessment is never shown."""
    counts = Counter(g for g in genders if g)
    return {g for g, n in counts.items() if n >= threshold}


def rare_languages(assessments: list[Assessment], threshold: int) -> set[str]:
    """Interview languages used with fewer than ``threshold`` people: in a small file the one
    person interviewed in Burmese is as easy to pick out as by their region."""
    people: dict[str, set[int]] = {}
    for a in assessments:
        people.setdefault(a.language, set()).add(a.participant_id)
    return {language for language, who in people.items() if len(who) < threshold}


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


def answer_variables(
    instruments: list[Instrument],
) -> tuple[list[Variable], dict[tuple[str, str], str]]:
    """One variable per question, and each (instrument key, item id)'s column name.

    Versions that ask the same question (same id, same wording, same answers and codes) share
    a column, so that analysts can follow it across versions. When the same id means another
    question — or the same wording on another scale, whose numbers mean something else — the
    later version gets its own column, ``<instrument>_<version>__<item>``.
    """
    variables: list[Variable] = []
    names: dict[tuple[str, str], str] = {}
    seen: dict[str, Variable] = {}
    for instrument in instruments:
        for item in instrument.items:
            variable = _item_variable(instrument, item.id, item.id)
            if variable is None:
                continue
            first = seen.get(item.id)
            if first is not None and first != variable:  # same id, other question or scale
                name = _spss_name(f"{instrument.id}_{instrument.version}__{item.id}")
                variable = _item_variable(instrument, item.id, name)
                assert variable is not None
            names[(instrument.key, item.id)] = variable.name
            if variable.name not in seen:
                seen[variable.name] = variable
                variables.append(variable)
    return variables, names


def assessments_table(organisation: Organisation, purpose: str, threshold: int) -> Table:
    """One row per assessment: participant, instrument, date, language, answers, scores."""
    staff = ROW_LEVEL_AUDIENCE[purpose] is Audience.INTERNAL
    assessments = _assessments(organisation, purpose)
    keys = sorted({a.instrument_key for a in assessments})
    instruments = [get_instrument(*key.split("@", 1)) for key in keys]
    answer_vars, answer_names = answer_variables(instruments)
    axes: dict[str, str] = {}
    for instrument in instruments:
        for axis in instrument.axes:
            axes.setdefault(axis.id, text_in(axis.label, "en")[0])
    score_vars = [Variable(f"score__{axis}", f"{label}: axis score (0-100)", "number",
                           measure="scale") for axis, label in axes.items()]
    people = _participant_values(assessments, staff, threshold)
    hidden_languages = set() if staff else rare_languages(assessments, threshold)
    rows = []
    for a in assessments:
        row: dict[str, Any] = {
            "participant": row_code(organisation, a.participant, purpose),
            "instrument_id": a.instrument_id,
            "instrument_version": a.instrument_version,
            "conducted_on": a.conducted_on,
            "language": None if a.language in hidden_languages else a.language,
            **people[a.participant_id],
        }
        for (key, item_id), name in answer_names.items():
            if key == a.instrument_key and item_id in a.answers:
                row[name] = a.answers[item_id]
        for s in a.scores.all():
            row[f"score__{s.axis}"] = s.score
        rows.append(row)
    variables = [
        code_variable(purpose),
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
            "given as a band at the first interview, and a gender, age band or interview "
            f"language held by fewer than {organisation.small_cell_threshold} people in this "
            "file is left empty. Rows carry a research code, not the participant code."
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
            "participant": row_code(organisation, a.participant, purpose),
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
        code_variable(purpose),
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


@cache
def _axis_order(axis: str) -> tuple[int, str]:
    # cached: called for every score of every row (40,000 times for 10,000 assessments)
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
    if dataset == "services":
        from .services import services_table

        return services_table(organisation, purpose)
    if dataset == "htcds":
        from .htcds import htcds_table

        people = list(consenting_participants(organisation, purpose).order_by("code"))
        staff = audience is Audience.INTERNAL
        assessed = list(
            consenting_participants(organisation, purpose)
            .filter(Exists(Assessment.objects.filter(participant=OuterRef("pk"))))
            .values_list("gender", flat=True)
        )
        table = htcds_table(
            people, staff=staff,
            codes={p.pk: row_code(organisation, p, purpose) for p in people},
            shown_genders=None if staff else shown_genders(assessed, threshold),
        )
        table.notes.insert(0, _included_note(organisation, purpose))
        return table
    from .hxl import aggregates_table

    return aggregates_table(organisation, purpose, audience)
