"""Error responses of the API: always JSON ``{"detail": …}``, never a stack trace.

DRF answers its own errors (400, 403, 404, 405, 429) as JSON. Anything else would fall
through to Django's error page (HTML, and a full traceback if ``DEBUG`` were ever left on in
production). Here it becomes a plain JSON 500, and the exception is logged through
``django.request`` exactly as Django would log it, so operators still see it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("django.request")


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
        {"detail": _("Something went wrong on the server. It has been logged; please try "
                     "again later or tell your administrator.")},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
