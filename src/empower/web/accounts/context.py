"""Template context: the current membership and what the role may do (for the menu)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Role
from .permissions import CAN_READ_PEOPLE, CAN_READ_REPORTS, CAN_RECORD


def membership(request: HttpRequest) -> dict[str, Any]:
    member = getattr(request, "membership", None)
    role = member.role if member else None
    return {
        "membership": member,
        "can_record": role in CAN_RECORD,
        "can_read_people": role in CAN_READ_PEOPLE,
        "can_read_reports": role in CAN_READ_REPORTS,
        "can_manage_team": role == Role.ADMIN,
    }
