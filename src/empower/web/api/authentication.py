"""Access keys (``Authorization: Token …``) for the API, and the two-step rule for them.

A key is DRF's ``authtoken`` token: one per person, 40 random hex characters. A key stands in
for the password *and* the code of two-step login, so those who must use two-step login
(administrators) get a key only once their authenticator is set up, and their key stops
working whenever they have none (say, after a reset for a lost phone).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from empower.web.accounts import twofactor
from empower.web.accounts.models import Membership
from empower.web.audit.log import Action, record


def two_step_ready(user: Any) -> bool:
    """Whether ``user`` may hold and use a key: two-step login is either not required of
    them, or their authenticator is set up (the same rule as ``TwoStepMiddleware``)."""
    membership = Membership.objects.filter(user=user).first()
    who = SimpleNamespace(user=user, membership=membership)
    return not twofactor.is_required(who) or twofactor.confirmed_device(user) is not None


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token check (an unknown key or an inactive person is refused) plus two-step."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if not two_step_ready(user):
            raise AuthenticationFailed(
                _("Administrators must set up two-step login before they can use an API key.")
            )
        return user, token


def _organisation_of(user: Any) -> Any:
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    return membership.organisation if membership is not None else None


def issue_key(user: Any, *, request: Any = None, via: str = "site") -> str:
    """Create a new key for ``user`` (replacing any old one) and return it.

    The caller shows the key once; Empower never shows it again. Audited: from the site the
    actor is the person logged in; from the command line there is no actor (the operator).
    """
    with transaction.atomic():
        replaced, _deleted = Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        record(
            Action.API_TOKEN, request=request, organisation=_organisation_of(user),
            target_type="user", target_id=str(user.pk),
            detail={"change": "replaced" if replaced else "created", "via": via},
        )
    return token.key


def revoke_key(user: Any, *, request: Any = None, via: str = "site") -> bool:
    """Delete ``user``'s key; ``False`` when there was none (nothing is audited then)."""
    with transaction.atomic():
        deleted, _detail = Token.objects.filter(user=user).delete()
        if deleted:
            record(
                Action.API_TOKEN, request=request, organisation=_organisation_of(user),
                target_type="user", target_id=str(user.pk),
                detail={"change": "revoked", "via": via},
            )
    return bool(deleted)
