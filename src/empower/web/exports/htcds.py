"""Participants as rows of the Human Trafficking Case Data Standard (HTCDS) v2.0.

Only what Empower really holds is mapped, under the standard's own field names, with values
from the standard's picklists where it defines them; nothing is inferred or filled in. The
mapping and everything that is *not* exported are explained in ``docs/htcds-mapping.md``.

HTCDS is © IOM and licensed under CC BY 4.0: every exported file carries :data:`ATTRIBUTION`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from empower.reports.exports import Table, Variable
from empower.web.people.models import ConsentDecision, Exploitation, Gender, Participant

#: The attribution the licence asks for (LICENSE.md of the standard), carried by every file.
ATTRIBUTION = (
    "Column names and picklist values follow the Human Trafficking Case Data Standard (HTCDS) "
    "v2.0 by IOM, licensed under CC BY 4.0 (http://creativecommons.org/licenses/by/4.0/). "
    "Empower adapted it by exporting only the fields it holds (see docs/htcds-mapping.md). "
    "IOM does not endorse Empower or the organisation that made this file."
)

#: HTCDS defines no record identifier. Rows need one so that they can be linked to the
#: scores export, so Empower adds the participant's random code under its own prefix; it is
#: the one column that is not an HTCDS field.
CODE_FIELD = "emp_ParticipantCode"

#: Empower gender → prs_Gender picklist value. "Another gender" does not say which of the
#: standard's other categories applies, and "prefer not to say" is a refusal: both become the
#: standard's NonSpecifiedUnknown rather than a guess. A gender never recorded stays empty.
GENDER: dict[str, str] = {
    Gender.FEMALE: "Feminine",
    Gender.MALE: "Masculine",
    Gender.ANOTHER: "NonSpecifiedUnknown",
    Gender.PREFER_NOT_TO_SAY: "NonSpecifiedUnknown",
}

#: Empower exploitation type → vic_TypeOfExploitation picklist value. An exploited worker or a
#: cheated job-seeker may not meet the definition of forced labour, so they go to Other.
EXPLOITATION: dict[str, str] = {
    Exploitation.LABOUR: "ForcedLabour",
    Exploitation.FORCED_MARRIAGE: "ForcedMarriage",
    Exploitation.EXPLOITED_WORKER: "Other",
    Exploitation.SEX: "SexualExploitation",
    Exploitation.CHEATED_JOB_SEEKER: "Other",
    Exploitation.OTHER: "Other",
}

#: hte_Type of the one trafficking event Empower knows about: where the person was exploited.
EVENT_TYPE = "Exploitation"


def _exploitation(values: list[str]) -> list[str]:
    mapped: list[str] = []
    for value in values:
        target = EXPLOITATION.get(value, "Other")
        if target not in mapped:
            mapped.append(target)
    return mapped


def htcds_table(
    participants: list[Participant], *, staff: bool, codes: dict[int, str] | None = None,
    shown_genders: Collection[str] | None = None,
) -> Table:
    """One HTCDS row per participant.

    ``staff`` is True for the organisation's own use; otherwise (research) the destination
    country, a quasi-identifier, is dropped with its event type. ``codes`` gives each
    participant's code in the file (the research code for research; the participant code when
    not given). A gender not in ``shown_genders`` (when given: the genders common enough to
    show, decided by the caller over the same people as the research assessments file) is
    left empty.
    """
    interview = set(
        ConsentDecision.objects.in_force("interview")
        .filter(consent__participant__in=participants)
        .values_list("consent__participant_id", flat=True)
    )
    genders = [
        GENDER.get(p.gender, "")
        if p.gender and (shown_genders is None or p.gender in shown_genders) else None
        for p in participants
    ]
    variables = [
        Variable(CODE_FIELD, "Participant code (random; not an HTCDS field)" if staff else
                 "Research code (random; not the participant code; not an HTCDS field)"),
        Variable("prs_Gender", "Gender"),
        Variable("vic_TypeOfExploitation", "Type of Exploitation",
                 description="Multiselect picklist; values separated by ';'"),
    ]
    if staff:
        variables += [
            Variable("hte_Type", "Type (of historic trafficking event)"),
            Variable("hte_Country", "Country (of historic trafficking event)",
                     description="Country of destination as recorded (free text)"),
        ]
    variables.append(Variable("con_Consent", "Consent",
                              description="Consent to the interview in force now"))
    rows: list[dict[str, Any]] = []
    for participant, gender in zip(participants, genders, strict=True):
        row: dict[str, Any] = {
            CODE_FIELD: (codes or {}).get(participant.pk, participant.code),
            "prs_Gender": gender,
            "vic_TypeOfExploitation": _exploitation(list(participant.exploitation_types)),
            "con_Consent": participant.pk in interview,
        }
        if staff and participant.destination_country:
            row["hte_Type"] = EVENT_TYPE
            row["hte_Country"] = participant.destination_country
        rows.append(row)
    return Table(
        name="htcds", title="Participants in HTCDS v2.0 fields", variables=variables,
        rows=rows, notes=[ATTRIBUTION],
    )
