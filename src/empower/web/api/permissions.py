"""Who may call which endpoint: the same roles as the site's pages.

DRF authenticates inside the view, after the middleware that attaches the membership, so a
request made with a token reaches the view with no ``request.organisation``. The permission
classes here look the membership up from the authenticated user themselves and attach it, so
every view can scope its queries exactly as ``role_required`` lets the site's views do.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from empower.web.accounts.models import Membership, Role
from empower.web.accounts.permissions import CAN_READ_PEOPLE, CAN_READ_REPORTS


def attach_membership(request: Request) -> Membership | None:
    """Find the caller's membership, attach it and its organisation to the request, return it.

    Set on the DRF request and on the Django request beneath it, so that the audit trail
    (which reads ``request.organisation``) sees the same organisation as the view.
    """
    membership = None
    if request.user is not None and request.user.is_authenticated:
        membership = (
            Membership.objects.select_related("organisation").filter(user=request.user).first()
        )
    organisation = membership.organisation if membership is not None else None
    for target in (request, request._request):
        target.membership = membership  # type: ignore[union-attr]
        target.organisation = organisation  # type: ignore[union-attr]
    return membership


class MemberWithRole(BasePermission):
    """Allow a member of an organisation whose role is in ``roles``."""

    roles: tuple[str, ...] = tuple(Role.values)

    def has_permission(self, request: Request, view: Any) -> bool:
        # A browser session that still owes the code step of two-step login never gets here
        # (TwoStepMiddleware redirects it); refuse anyway should the middleware ever be moved.
        if getattr(request._request, "two_step_pending", None):
            return False
        membership = attach_membership(request)
        return membership is not None and membership.role in self.roles


class AnyMember(MemberWithRole):
    """Any role: for instruments and the schema, which hold no data about people."""

    roles = tuple(Role.values)


class CanReadPeople(MemberWithRole):
    """Person-level records (pseudonymous): administrators, interviewers, analysts."""

    roles = tuple(CAN_READ_PEOPLE)


class CanReadReports(MemberWithRole):
    """Cohort aggregates: every role; viewers get them with small groups suppressed."""

    roles = tuple(CAN_READ_REPORTS)
