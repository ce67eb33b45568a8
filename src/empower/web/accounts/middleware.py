"""Attach the logged-in person's membership and organisation to each request, read the page in
the language that person chose, and hold everyone who still owes the code step of two-step
login at that step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

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


class UserLanguageMiddleware:
    """Show every page in the language the logged-in person chose, whichever device they use.

    Runs after ``LocaleMiddleware`` (which picked a language from the cookie or the browser)
    and ``OrganisationMiddleware`` (which found the membership holding the choice). A person
    without a stored choice keeps the device's language. Choosing a language with the switcher
    at the foot of the page (``set_language``) stores it as their choice, so the switcher and
    the stored choice never disagree. The language cookie follows the stored choice, so the
    login page after logging out or a timeout is still in that person's language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = stored_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language \
                and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            set_language_cookie(response, language)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        match = request.resolver_match
        membership = getattr(request, "membership", None)
        if match is None or match.view_name != "set_language" or request.method != "POST" \
                or membership is None:
            return
        language = request.POST.get("language", "")
        if language in dict(settings.LANGUAGES) and membership.language != language:
            membership.language = language
            membership.save(update_fields=["language"])


def stored_language(request: HttpRequest) -> str:
    """The logged-in person's chosen language, if it is one the site offers."""
    membership = getattr(request, "membership", None)
    language = membership.language if membership is not None else ""
    return language if language in dict(settings.LANGUAGES) else ""


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """The same cookie Django's ``set_language`` view sets."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


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
