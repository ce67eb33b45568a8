"""One audit entry per API request that returns data about people (``Action.API_READ``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from empower.instruments import library
from empower.web.audit.log import MAX_DETAIL_CHARS, Action, record
from empower.web.people.models import Gender, Participant, Status

from .models import ApiKey

#: Room left in an entry's detail for everything but the list of codes.
_ROOM_FOR_THE_REST = 300


def audit_read(
    request: Any, endpoint: str, codes: Iterable[str], *, records: int,
    filters: dict[str, Any] | None = None, target: str = "",
) -> None:
    """Record who read ``records`` records about the participants ``codes`` through
    ``endpoint``, with the filters used (see :func:`recordable_filters`). Codes are
    pseudonymous, so they may be listed; they answer "who saw this person's data?" after a
    withdrawal or a complaint."""
    people = sorted(set(codes))
    detail: dict[str, Any] = {"endpoint": endpoint, "count": records, "participants": people}
    if filters:
        detail["filters"] = recordable_filters(getattr(request, "organisation", None), filters)
    if isinstance(getattr(request, "auth", None), ApiKey):
        detail["key"] = request.auth.prefix  # which key read it, should it ever leak
    if len(json.dumps(detail)) > MAX_DETAIL_CHARS - _ROOM_FOR_THE_REST:
        detail["participants"] = len(people)  # unusually long codes: keep the number only
    record(
        Action.API_READ, request=request,
        target_type="participant" if target else "", target_id=target, detail=detail,
    )


# --- filters --------------------------------------------------------------------------------
#
# An audit entry never holds what a user typed (docs/audit.md): a filter value may be a name,
# a phone number or a script pasted by mistake or on purpose. So each filter used is recorded
# by its name, and its value only when it is one Empower itself knows — a choice, an axis or an
# instrument of the library, a code of the organisation's participants — and then in
# Empower's own spelling. Any other value is recorded as null.


def _choice(values: Iterable[str]) -> Callable[[Any, str], str | None]:
    known = frozenset(values)
    return lambda organisation, value: value if value in known else None


def _axis(organisation: Any, value: str) -> str | None:
    known = {axis for instrument in library().values() for axis in instrument.axis_ids()}
    return value if value in known else None


def _instrument(organisation: Any, value: str) -> str | None:
    return value if value in {instrument.id for instrument in library().values()} else None


def _version(organisation: Any, value: str) -> str | None:
    return value if value in {instrument.version for instrument in library().values()} else None


def _participant(organisation: Any, value: str) -> str | None:
    """The code as stored, when it is one of the organisation's participants."""
    if organisation is None:
        return None
    codes = list(Participant.objects.for_organisation(organisation)
                 .filter(code__iexact=value).values_list("code", flat=True)[:2])
    return codes[0] if len(codes) == 1 else None


#: How each filter's value is recognised. A filter missing here is recorded without its
#: value, so a new free-text filter cannot leak into the trail by being forgotten.
KNOWN_VALUES: dict[str, Callable[[Any, str], str | None]] = {
    "status": _choice(Status.values),
    "gender": _choice(Gender.values),
    "axis": _axis,
    "instrument": _instrument,
    "version": _version,
    "participant": _participant,
}


def recordable_filters(organisation: Any, filters: dict[str, Any]) -> dict[str, str | None]:
    """Every filter used, by name, with its value if Empower knows it and null otherwise."""
    recorded: dict[str, str | None] = {}
    for name, value in filters.items():
        recognise = KNOWN_VALUES.get(name)
        if recognise is None or not isinstance(value, str):
            recorded[name] = None
        else:
            recorded[name] = recognise(organisation, value)
    return recorded
