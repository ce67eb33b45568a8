"""Template context: the current membership and what the role may do (for the menu)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Role
from .permissions import CAN_READ_PEOPLE, CAN_READ_REPORTS, CAN_RECORD


def membership(request: HttpRequest) -> dict[str, Any]:
    member = getattr(request, "membership", None)
    # Until the code step of two-step login is passed, the menu offers nothing it would refuse.
    pending = getattr(request, "two_step_pending", None)
    role = member.role if member and not pending else None
    return {
        "membership": member,
        "can_record": role in CAN_RECORD,
        "can_read_people": role in CAN_READ_PEOPLE,
        "can_read_reports": role in CAN_READ_REPORTS,
        "can_manage_team": role == Role.ADMIN,
        "two_step_pending": pending,
    }
