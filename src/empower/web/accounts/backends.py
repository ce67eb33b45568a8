"""The lock-out check that runs before any password is checked."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, also for ``authenticate()`` calls made without a request.

    The login page always passes the request. Code that checks a password without one
    (a script, the test client's ``login``) would make django-axes raise an error instead.
    Because the lock-out is by username only, an empty request is enough to apply it: a
    locked-out username stays refused whichever way the password is checked.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, **kwargs: Any,
    ) -> None:
        return super().authenticate(  # type: ignore[no-any-return]
            request if request is not None else HttpRequest(), username, password, **kwargs
        )
