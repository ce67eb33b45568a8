"""One audit entry per API request that returns data about people (``Action.API_READ``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from empower.web.audit.log import MAX_DETAIL_CHARS, Action, record

from .models import ApiKey

#: Room left in an entry's detail for everything but the list of codes.
_ROOM_FOR_THE_REST = 300


def audit_read(
    request: Any, endpoint: str, codes: Iterable[str], *, records: int,
    filters: dict[str, Any] | None = None, target: str = "",
) -> None:
    """Record who read ``records`` records about the participants ``codes`` through
    ``endpoint``, with the filters used. Codes are pseudonymous, so they may be listed; they
    answer "who saw this person's data?" after a withdrawal or a complaint."""
    people = sorted(set(codes))
    detail: dict[str, Any] = {"endpoint": endpoint, "count": records, "participants": people}
    if filters:
        detail["filters"] = {key: str(value)[:40] for key, value in filters.items()}
    if isinstance(getattr(request, "auth", None), ApiKey):
        detail["key"] = request.auth.prefix  # which key read it, should it ever leak
    if len(json.dumps(detail)) > MAX_DETAIL_CHARS - _ROOM_FOR_THE_REST:
        detail["participants"] = len(people)  # unusually long codes: keep the number only
    record(
        Action.API_READ, request=request,
        target_type="participant" if target else "", target_id=target, detail=detail,
    )
