"""Error responses of the API: always JSON ``{"detail": …}``, never a stack trace.

DRF answers its own errors (400, 403, 404, 405, 429) as JSON. Anything else would fall
through to Django's error page (HTML, and a full traceback if ``DEBUG`` were ever left on in
production). Here it becomes a plain JSON 500, and the exception is logged through
``django.request`` exactly as Django would log it, so operators still see it.

Errors that happen before any API view runs — an address under ``/api/`` that does not
exist — go to the site's error handlers (``empower.web.views``), which ask
:func:`answers_in_json` and then answer with :func:`json_error` instead of the HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("django.request")

#: Where the API lives (``path("api/", …)`` in the site's URLs); a test checks they agree.
API_PREFIX = "/api/"
#: The one page under the prefix that is a page for people, not the API: its errors stay the
#: site's HTML pages.
KEY_PAGE = API_PREFIX + "key/"


def server_error_message() -> str:
    return _("Something went wrong on the server. It has been logged; please try again later "
             "or tell your administrator.")


def answers_in_json(request: HttpRequest) -> bool:
    """Whether an error for ``request`` is answered as JSON: anything under ``/api/`` but the
    key page. Programs reading the API parse JSON; an HTML page would break them."""
    path = request.path_info
    return (path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")) and path != KEY_PAGE


def json_error(status_code: int) -> JsonResponse:
    """``{"detail": …}`` with ``status_code``, for errors raised outside the API's views."""
    messages = {
        403: str(exceptions.PermissionDenied.default_detail),
        404: _("There is nothing at this address. The addresses of the API are listed in its "
               "schema, /api/schema/."),
    }
    detail = messages.get(status_code, server_error_message())
    return JsonResponse({"detail": detail}, status=status_code,
                        json_dumps_params={"ensure_ascii": False})


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    response = exception_handler(exc, context)
    if response is not None:
        return response
    request = context.get("request")
    logger.error(
        "Internal Server Error: %s", getattr(request, "path", "?"), exc_info=exc,
        extra={"status_code": 500, "request": getattr(request, "_request", None)},
    )
    return Response(
        {"detail": server_error_message()},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
