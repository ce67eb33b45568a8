"""Page numbers for every list: ``?page=2&page_size=100``."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    #: Bounded so that one request reads a bounded number of people (and one audit entry can
    #: list every code it returned).
    max_page_size = 100
