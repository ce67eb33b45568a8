"""The home page and friendly error pages (no stack traces are ever shown to users)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from empower.web.api.errors import answers_in_json, json_error
from empower.web.assessments.models import Assessment
from empower.web.people.models import Participant


@login_required
def home(request: HttpRequest) -> HttpResponse:
    organisation = getattr(request, "organisation", None)
    context = {}
    if organisation is not None:
        context = {
            "participant_count": Participant.objects.for_organisation(organisation).count(),
            "assessment_count": Assessment.objects.for_organisation(organisation).count(),
        }
    return render(request, "home.html", context)


def quick_exit(request: HttpRequest) -> HttpResponse:
    """A neutral page with nothing of Empower in it; the session ends, so Back leads only to the
    login page. Operators can send people elsewhere with ``EMPOWER_QUICK_EXIT_URL``."""
    logout(request)
    target = settings.EMPOWER_QUICK_EXIT_URL
    if target:
        return redirect(target)
    response = render(request, "neutral.html")
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# Under /api/ (but the key page) programs are reading: they get the API's JSON
# {"detail": …} with the same status instead of the HTML page.


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if answers_in_json(request):
        return json_error(403)
    return render(request, "error.html", {"status": 403}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if answers_in_json(request):
        return json_error(404)
    return render(request, "error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if answers_in_json(request):
        return json_error(500)
    return render(request, "error.html", {"status": 500}, status=500)
