"""Logging in (password, then a code for those who use two-step login), the two-step login
page, and the team page where an administrator adds people, changes roles, stops logins,
unlocks a locked-out person and resets a lost authenticator."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from empower.web.audit.log import Action, record

from . import lockout, twofactor
from .forms import CodeForm, LanguageForm, NewMemberForm, OrganisationSettingsForm, RoleForm
from .middleware import set_language_cookie
from .models import Membership, Role
from .permissions import role_required

# --------------------------------------------------------------------------------------------
# logging in


def _next_url(request: HttpRequest) -> str:
    """Where to go after logging in: the page asked for, if it is on this site."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _after_login(request: HttpRequest, next_url: str) -> HttpResponse:
    step = twofactor.required_step(request)
    if step is not None:
        target = resolve_url(step)
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters()
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Username and password. A locked-out username is refused before the password is
    checked (django-axes); the page it then shows is ``locked_out``."""
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Two-step login checks the role, and the membership is attached before the view; the
        # audit trail (at login) needs it too, to tell a whole login from a password step.
        request.membership = Membership.objects.filter(  # type: ignore[attr-defined]
            user=form.get_user()
        ).first()
        auth_login(request, form.get_user())
        return _after_login(request, _next_url(request))
    return render(request, "registration/login.html", {"form": form, "next": _next_url(request)})


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login page with the lock-out message (``AXES_LOCKOUT_CALLABLE``), 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request, "registration/login.html",
        {"form": AuthenticationForm(request), "locked_out": True, "minutes": minutes,
         "next": _next_url(request)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


@sensitive_post_parameters("code")
@never_cache
@login_required
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the authenticator app."""
    next_url = _next_url(request)
    device = twofactor.confirmed_device(request.user)
    if device is None or request.user.is_verified():  # type: ignore[union-attr]
        return _after_login(request, next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, device, form.cleaned_data["code"]):
            record(Action.LOGIN_SUCCESS, request=request, detail={"step": "code"})
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        # A right password with a wrong code is worth knowing about: it may be someone who
        # has the password but not the phone.
        record(Action.LOGIN_FAILURE, request=request, detail={"step": "code"})
        _code_refused(form, device)
    return render(request, "registration/login_code.html", {"form": form, "next": next_url})


def _code_refused(form: CodeForm, device: TOTPDevice) -> None:
    wait = twofactor.seconds_to_wait(device)
    if wait > 1:
        form.add_error("code", _("Too many wrong codes. Wait %(seconds)s seconds, then try "
                                 "the newest code.") % {"seconds": wait})
    else:
        form.add_error("code", _("That code did not work. Type the newest code from the app. "
                                 "If it still fails, check that the time on your phone is "
                                 "right."))


# --------------------------------------------------------------------------------------------
# the two-step login page


@sensitive_post_parameters("code")
@never_cache
@login_required
def two_step(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app, see whether two-step login is on, or turn it off."""
    user = request.user
    required = twofactor.is_required(request)
    next_url = _next_url(request)
    device = twofactor.confirmed_device(user)
    if device is not None:
        if request.method == "POST" and request.POST.get("action") == "turn_off":
            if required:
                messages.error(request, _("Administrators must use two-step login."))
            else:
                TOTPDevice.objects.filter(user=user).delete()
                messages.success(request, _("Two-step login is off."))
            return redirect("two_step")
        return render(request, "accounts/two_step.html",
                      {"is_on": True, "required": required})

    pending = twofactor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        completes_login = twofactor.required_step(request) is not None
        if twofactor.verify(request, pending, form.cleaned_data["code"]):
            if completes_login:  # an administrator's first login: set up, then logged in
                record(Action.LOGIN_SUCCESS, request=request, detail={"step": "setup"})
            messages.success(request, _("Two-step login is on. Keep the app on your phone: "
                                        "you will need a code each time you log in."))
            return redirect(next_url or (settings.LOGIN_REDIRECT_URL if required else "two_step"))
        _code_refused(form, pending)
    return render(request, "accounts/two_step.html", {
        "is_on": False,
        "required": required,
        "form": form,
        "next": next_url,
        "qr_code": twofactor.qr_code_svg(pending, _("QR code for your authenticator app")),
        "secret": twofactor.secret_for_typing(pending),
        "setup_link": pending.config_url,
    })


# --------------------------------------------------------------------------------------------
# the team page


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
            record(
                Action.MEMBER_ADDED, request=request, target_type="user", target_id=str(user.pk),
                detail={"role": form.cleaned_data["role"]},
            )
        messages.success(request, _("%(name)s can now log in.") % {"name": user.username})
        return redirect("team")
    members = list(
        Membership.objects.filter(organisation=organisation)
        .select_related("user").order_by("user__username")
    )
    locked = lockout.locked_usernames(m.user.username for m in members)
    with_two_step = set(
        TOTPDevice.objects.filter(user__in=[m.user for m in members], confirmed=True)
        .values_list("user_id", flat=True)
    )
    for m in members:
        m.locked_out = m.user.username in locked  # type: ignore[attr-defined]
        m.two_step = m.user_id in with_two_step  # type: ignore[attr-defined]
    return render(
        request, "accounts/team.html",
        {"form": form, "members": members, "roles": Role.choices,
         "settings_form": OrganisationSettingsForm(instance=organisation),
         "lockout_failures": settings.AXES_FAILURE_LIMIT,
         "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
    )


def _own_member(request: HttpRequest, pk: int) -> Membership:
    """A member of the administrator's own organisation; any other is "not found"."""
    return get_object_or_404(
        Membership.objects.select_related("user"),
        pk=pk, organisation=request.organisation,  # type: ignore[attr-defined]
    )


@require_POST
@role_required(Role.ADMIN)
def organisation_settings(request: HttpRequest) -> HttpResponse:
    """The small-cell threshold for shared reports and the contact printed on receipts."""
    organisation = request.organisation  # type: ignore[attr-defined]
    form = OrganisationSettingsForm(request.POST, instance=organisation)
    if form.is_valid():
        form.save()
        record(
            Action.PERMISSION_CHANGE, request=request, target_type="organisation",
            target_id=organisation.slug,
            detail={"small_cell_threshold": organisation.small_cell_threshold},
        )
        messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
    return redirect("team")


@require_POST
@role_required(Role.ADMIN)
def member_update(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _own_member(request, pk)
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
    before = {"role": membership.role, "active": membership.user.is_active}
    after = {"role": form.cleaned_data["role"], "active": form.cleaned_data["active"]}
    with transaction.atomic():
        membership.role = after["role"]
        membership.save(update_fields=["role"])
        membership.user.is_active = after["active"]
        membership.user.save(update_fields=["is_active"])
        if before != after:
            record(
                Action.PERMISSION_CHANGE, request=request, target_type="user",
                target_id=str(membership.user_id), detail={"before": before, "after": after},
            )
    messages.success(request, _("Saved."))
    return redirect("team")


@require_POST
@role_required(Role.ADMIN)
def member_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a lock-out after too many failed logins, before the 15 minutes are over."""
    membership = _own_member(request, pk)
    lockout.unlock(membership.user.get_username())
    record(
        Action.PERMISSION_CHANGE, request=request, target_type="user",
        target_id=str(membership.user_id), detail={"unlocked": True},
    )
    messages.success(request, _("%(name)s can try to log in again.")
                     % {"name": membership.user.get_username()})
    return redirect("team")


@require_POST
@role_required(Role.ADMIN)
def member_reset_two_step(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a person's authenticator, e.g. after a lost phone. An administrator will be
    asked to set up a new one at their next page; others log in with the password alone."""
    membership = _own_member(request, pk)
    if membership.user == request.user:
        messages.error(request, _("You cannot reset your own two-step login. Ask another "
                                  "administrator."))
        return redirect("team")
    TOTPDevice.objects.filter(user=membership.user).delete()
    record(
        Action.PERMISSION_CHANGE, request=request, target_type="user",
        target_id=str(membership.user_id), detail={"two_step_reset": True},
    )
    messages.success(request, _("Two-step login for %(name)s has been reset.")
                     % {"name": membership.user.get_username()})
    return redirect("team")


# --------------------------------------------------------------------------------------------
# the person's own language


@role_required(*Role.values)
def language_preference(request: HttpRequest) -> HttpResponse:
    """Choose the language Empower is shown in, for this person on every device."""
    membership = request.membership  # type: ignore[attr-defined]
    form = LanguageForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        form.save()
        chosen = form.cleaned_data["language"]
        with translation.override(chosen or translation.get_language()):
            messages.success(request, _("Saved. Empower is now shown in this language."))
        response = redirect("account_language")
        if chosen:
            set_language_cookie(response, chosen)
        return response
    return render(request, "accounts/language.html", {"form": form})
