"""The team page: an administrator adds people, changes roles, and stops logins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import NewMemberForm, RoleForm
from .models import Membership, Role
from .permissions import role_required


@role_required(Role.ADMIN)
def team(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = NewMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
            Membership.objects.create(
                user=user, organisation=organisation, role=form.cleaned_data["role"]
            )
        messages.success(request, _("%(name)s can now log in.") % {"name": user.username})
        return redirect("team")
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user").order_by("user__username")
    )
    return render(
        request, "accounts/team.html",
        {"form": form, "members": members, "roles": Role.choices},
    )


@require_POST
@role_required(Role.ADMIN)
def member_update(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user"),
        pk=pk, organisation=request.organisation,  # type: ignore[attr-defined]
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("team")
    if membership.user == request.user and (
        form.cleaned_data["role"] != Role.ADMIN or not form.cleaned_data["active"]
    ):
        # An organisation must never lock out its last way of managing itself by accident.
        messages.error(request, _("You cannot remove your own administrator access."))
        return redirect("team")
    with transaction.atomic():
        membership.role = form.cleaned_data["role"]
        membership.save(update_fields=["role"])
        membership.user.is_active = form.cleaned_data["active"]
        membership.user.save(update_fields=["is_active"])
    messages.success(request, _("Saved."))
    return redirect("team")
