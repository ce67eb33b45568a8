"""API keys in requests (``Authorization: Token emp_…``), the two-step rule for them, and
making and revoking them (audited).

A key stands in for the password *and* the code of two-step login, so those who must use
two-step login (administrators) get a key only once their authenticator is set up, and their
key stops working whenever they have none (say, after a reset for a lost phone).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from empower.web.accounts import twofactor
from empower.web.accounts.models import Membership
from empower.web.audit.log import Action, record

from .models import ApiKey

#: ``Token`` is the scheme in the documentation; ``Bearer`` is what many HTTP clients and
#: dashboard tools send for "a key in the Authorization header", so it is accepted too.
SCHEMES = (b"token", b"bearer")


def two_step_ready(user: Any) -> bool:
    """Whether ``user`` may hold and use a key: two-step login is either not required of
    them, or their authenticator is set up (the same rule as ``TwoStepMiddleware``)."""
    membership = Membership.objects.filter(user=user).first()
    who = SimpleNamespace(user=user, membership=membership)
    return not twofactor.is_required(who) or twofactor.confirmed_device(user) is not None


class ApiKeyAuthentication(BaseAuthentication):
    """A hashed key in the Authorization header. Unknown, malformed or revoked keys, stopped
    logins and administrators without two-step login are refused."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in SCHEMES:
            return None  # no key: another scheme (the browser session) may apply
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the key as the header: Authorization: Token "
                                         "followed by one space and the key."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid or revoked key.")) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiKey]:
        api_key = ApiKey.objects.matching(key)
        if api_key is None:
            raise AuthenticationFailed(_("Invalid or revoked key."))
        user = api_key.user
        if not user.is_active:
            raise AuthenticationFailed(_("This login is stopped."))
        if not two_step_ready(user):
            raise AuthenticationFailed(
                _("Administrators must set up two-step login before they can use an API key.")
            )
        api_key.mark_used()
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        return "Token"


def _organisation_of(user: Any) -> Any:
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    return membership.organisation if membership is not None else None


def _revoke_active(user: Any) -> list[str]:
    """Revoke ``user``'s active key (at most one); return the revoked prefixes."""
    active = list(ApiKey.objects.active().filter(user=user).values_list("prefix", flat=True))
    ApiKey.objects.active().filter(user=user).update(revoked_at=timezone.now())
    return active


def issue_key(user: Any, *, request: Any = None, via: str = "site") -> str:
    """Create a new key for ``user`` (revoking any old one) and return it.

    The caller shows the key once; only its hash is stored. Audited: from the site the actor
    is the person logged in; from the command line there is no actor (the operator).
    """
    with transaction.atomic():
        # Lock the person's row so that two requests at once cannot both make a key (the
        # one-active-key constraint would refuse the second with an error).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        replaced = _revoke_active(user)
        api_key, key = ApiKey.create_for(user)
        detail = {"change": "replaced" if replaced else "created", "via": via,
                  "key": api_key.prefix}
        if replaced:
            detail["revoked_key"] = replaced[0]
        record(
            Action.API_TOKEN, request=request, organisation=_organisation_of(user),
            target_type="user", target_id=str(user.pk), detail=detail,
        )
    return key


def revoke_key(user: Any, *, request: Any = None, via: str = "site", reason: str = "") -> bool:
    """Revoke ``user``'s key; ``False`` when there was none (nothing is audited then).

    ``reason`` says why in the audit entry when it was not the person's own choice (e.g. the
    login was stopped)."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        revoked = _revoke_active(user)
        if revoked:
            detail = {"change": "revoked", "via": via, "key": revoked[0]}
            if reason:
                detail["reason"] = reason
            record(
                Action.API_TOKEN, request=request, organisation=_organisation_of(user),
                target_type="user", target_id=str(user.pk), detail=detail,
            )
    return bool(revoked)
