"""The page where a person makes or revokes their own API key (``/api/key/``).

The key is shown once, on the page that made it, and never again: Empower keeps only its hash
(see ``models``). The page sits behind two-step login like every other page, so an administrator can
reach it only after passing the code step.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from empower.web.accounts.permissions import CAN_READ_REPORTS, role_required

from .authentication import issue_key, revoke_key, two_step_ready
from .models import ApiKey


@never_cache
@role_required(*CAN_READ_REPORTS)
def api_key(request: HttpRequest) -> HttpResponse:
    # TwoStepMiddleware already holds an administrator without an authenticator at the setup
    # page; checked again here because a key would outlive the session.
    if not two_step_ready(request.user):
        raise PermissionDenied
    new_key = None
    revoked = False
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            new_key = issue_key(request.user, request=request)
        elif action == "revoke":
            revoked = revoke_key(request.user, request=request)
    existing = ApiKey.objects.active().filter(user=request.user).first()
    return render(
        request, "api/key.html",
        {"new_key": new_key, "existing": existing, "revoked": revoked},
    )
