"""Logins, failed logins and logouts go into the audit trail."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from .log import Action, append, client_ip, record, user_agent

USERNAME_CHARS = 150


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # The middleware ran before the login, so the organisation comes from the user's membership.
    # With two-step login the password alone is not a login: the code step records the success.
    action = (
        Action.LOGIN_PASSWORD_OK if _second_step_to_come(request, user) else Action.LOGIN_SUCCESS
    )
    record(action, request=request, actor=user)


def _second_step_to_come(request: HttpRequest | None, user: Any) -> bool:
    from empower.web.accounts import twofactor

    # Only the user and the membership matter (a test client's login has a bare request).
    state = SimpleNamespace(user=user, membership=getattr(request, "membership", None))
    return twofactor.required_step(state) is not None  # type: ignore[arg-type]


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    User = get_user_model()
    attempted = str(credentials.get(User.USERNAME_FIELD) or "")[:USERNAME_CHARS]
    # Link the attempt to the account it aimed at, so that account's organisation can see it.
    target = (
        User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": attempted})
        .values_list("pk", flat=True).first()
        if attempted else None
    )
    # Nobody is the actor of a failed login, even if someone is logged in on that browser.
    append(
        Action.LOGIN_FAILURE, actor=None, organisation=None,
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        target_type="user" if target is not None else "",
        target_id=str(target) if target is not None else "",
        detail={"username": attempted},
    )


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(Action.LOGOUT, request=request, actor=user)
