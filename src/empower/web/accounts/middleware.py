"""Attach the logged-in person's membership and organisation to each request, and hold
everyone who still owes the code step of two-step login at that step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from . import twofactor
from .models import Membership


class OrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.organisation = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            membership = (
                Membership.objects.select_related("organisation")
                .filter(user=request.user)
                .first()
            )
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.organisation = membership.organisation  # type: ignore[attr-defined]
        return self.get_response(request)


class TwoStepMiddleware:
    """Until the code step is passed, only that step's page, logging out, the quick exit and
    the language switch can be reached; every other page redirects there.

    Applies to a person with an authenticator who has given their password but not yet a
    code, and to an administrator who has no authenticator yet (they must set one up).
    Enforced here rather than per view so that every new page is covered without effort.
    Runs after ``OrganisationMiddleware`` (the rule depends on the role).
    """

    ALWAYS_OPEN = frozenset({"logout", "set_language", "quick_exit"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        step = twofactor.required_step(request)
        request.two_step_pending = step  # type: ignore[attr-defined]
        if step is None or request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.ALWAYS_OPEN | {step}:
            return None
        return redirect_to_login(request.get_full_path(), reverse(step))
