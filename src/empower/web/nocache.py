"""Nothing the site sends is kept in the browser's cache.

Pages show who someone is, what happened to them and how they are doing; on a shared or seized
phone, a copy in the browser's cache could be read after logout or quick exit, or brought back
with the back button. Every response from the site's own views is therefore marked
``no-store`` — pages, file downloads and API answers alike. Static files (style sheets, scripts,
the icon) hold nothing personal and are answered earlier by WhiteNoise, which caches them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private (and Expires).
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"  # for old browsers and proxies (HTTP/1.0)
        return response
