"""Who may do what in evidence reviews, and the organisation-scoped project lookup."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from empower.web.accounts.models import Role

from .models import Project

#: Reviews hold no survivor data, but they are the organisation's own work.
CAN_REVIEW = (Role.ADMIN, Role.ANALYST)
CAN_READ_REVIEWS = (Role.ADMIN, Role.ANALYST, Role.INTERVIEWER, Role.VIEWER)


def get_project(request: HttpRequest, pk: int) -> Project:
    return get_object_or_404(
        Project.objects.filter(organisation=request.organisation),  # type: ignore[attr-defined]
        pk=pk,
    )
