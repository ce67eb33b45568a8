"""A rate limit for requests made with an API key (``DEFAULT_THROTTLE_RATES["api_key"]``).

A program with a key can send requests as fast as the network allows; a person in a browser
cannot. The limit keeps one script (or a stolen key) from reading the whole organisation in
seconds or slowing the site for the people doing case work. It counts per person, so several
keys over time share one allowance; browser sessions are not limited here.

Counts live in Django's cache: with the default per-process memory cache each server process
counts on its own, so the effective limit is the rate times the number of processes. A shared
cache (Redis, Memcached, the database cache) makes it exact.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class KeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str | None:
        # Read at each request, not once at import, so that a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # a browser session, or no key: not counted
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
