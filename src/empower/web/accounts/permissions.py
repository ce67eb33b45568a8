"""Role checks for views.

``role_required`` both checks the role and guarantees ``request.organisation`` is set, so a
view decorated with it can always scope its queries by organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Role

#: Who may do what. Kept in one place so that the access tests can read it too.
CAN_RECORD = (Role.ADMIN, Role.INTERVIEWER)
CAN_READ_PEOPLE = (Role.ADMIN, Role.INTERVIEWER, Role.ANALYST)
CAN_READ_REPORTS = (Role.ADMIN, Role.INTERVIEWER, Role.ANALYST, Role.VIEWER)

View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
