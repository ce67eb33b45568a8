"""Page numbers for every list: ``?page=2&page_size=100``.

DRF quietly falls back to the default when ``page_size`` is not a number (``abc``, ``0``,
``-1``) and caps one that is too large; a caller would then get a different page than the one
asked for without knowing. Here a bad ``page`` or ``page_size`` is a 400 naming it and the
numbers it takes, like every other bad parameter. A page past the end stays a 404.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.serializers import ValidationError

#: Digits 0–9 only: ``int()`` would also take ``+5``, `` 5``, ``5_0`` and other scripts' digits,
#: which the page links (built from the query as sent) would then carry on.
WHOLE_NUMBER = re.compile(r"[0-9]+")
#: Longer numbers are past the end of any list (and ``int()`` refuses very long ones).
MAX_DIGITS = 18


def _whole_number(text: str) -> int | None:
    if not WHOLE_NUMBER.fullmatch(text):
        return None
    return int(text) if len(text) <= MAX_DIGITS else sys.maxsize


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    #: Bounded so that one request reads a bounded number of people (and one audit entry can
    #: list every code it returned).
    max_page_size = 100
    #: Only numbers: the documentation and the schema promise ``page`` is a number from 1.
    last_page_strings = ()
    page_query_description = "The page to read, from 1. A page past the end is 404."
    page_size_query_description = "Records per page, from 1 to 100 (50 if not given)."

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._size, self._number = self._checked(request)
        return super().paginate_queryset(queryset, request, view)

    def _checked(self, request: Request) -> tuple[int, int]:
        """The page size and page number asked for; 400 naming each one that is not valid."""
        size = _whole_number(request.query_params.get(self.page_size_query_param,
                                                      str(self.page_size)))
        number = _whole_number(request.query_params.get(self.page_query_param, "1"))
        problems: dict[str, list[str]] = {}
        if size is None or not 1 <= size <= self.max_page_size:
            problems[self.page_size_query_param] = [
                _("Give a whole number from 1 to %(maximum)d: the number of records on a "
                  "page.") % {"maximum": self.max_page_size}
            ]
        if number is None or number < 1:
            problems[self.page_query_param] = [_("Give a whole number from 1: the page to read.")]
        if size is None or number is None or problems:
            raise ValidationError(problems)
        return size, number

    def get_page_size(self, request: Request) -> int:
        return self._size

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return self._number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """The same bounds in the schema, so clients (and the contract test) know them."""
        bounds = {self.page_query_param: {"minimum": 1},
                  self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size}}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
