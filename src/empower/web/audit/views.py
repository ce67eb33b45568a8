"""The audit page: an administrator reads and filters their organisation's audit trail."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from empower.web.accounts.models import Organisation, Role
from empower.web.accounts.permissions import role_required

from .forms import AuditFilterForm
from .log import Action, record
from .models import AuditEntry

PER_PAGE = 50


def entries_for(organisation: Organisation) -> QuerySet[AuditEntry]:
    """The organisation's entries, and failed logins aimed at its members' usernames."""
    members = get_user_model()._default_manager.filter(membership__organisation=organisation)
    member_ids = [str(pk) for pk in members.values_list("pk", flat=True)]
    usernames = list(members.values_list("username", flat=True))
    failed_logins = Q(action=Action.LOGIN_FAILURE, organisation__isnull=True) & (
        Q(target_type="user", target_id__in=member_ids) | Q(detail__username__in=usernames)
    )
    return AuditEntry.objects.filter(Q(organisation=organisation) | failed_logins)


def _filtered(entries: QuerySet[AuditEntry], data: dict) -> QuerySet[AuditEntry]:
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("username"):
        entries = entries.filter(
            Q(actor_username__iexact=data["username"])
            | Q(action=Action.LOGIN_FAILURE, detail__username__iexact=data["username"])
        )
    if data.get("target"):
        entries = entries.filter(target_id__iexact=data["target"])
    if data.get("date_from"):
        entries = entries.filter(at__date__gte=data["date_from"])
    if data.get("date_to"):
        entries = entries.filter(at__date__lte=data["date_to"])
    return entries


@role_required(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    page_text = request.GET.get("page", "")
    valid_page = page_text.isascii() and page_text.isdigit() and len(page_text) < 9
    page_number = int(page_text) if valid_page else 1
    # Looking at the trail is itself recorded: which filters, never the text typed into them.
    record(
        Action.AUDIT_VIEWED, request=request,
        detail={
            "filters": sorted(k for k, v in data.items() if v),
            "page": page_number,
        },
    )
    entries = _filtered(entries_for(organisation), data).order_by("-sequence")
    page = Paginator(entries, PER_PAGE).get_page(page_number)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/audit_log.html",
        {
            "form": form, "page": page, "query": query.urlencode(),
            "filtering": bool(form.errors) or any(data.values()),
        },
    )
