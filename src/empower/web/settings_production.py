"""Settings for a site served to the internet over HTTPS.

Select with ``DJANGO_SETTINGS_MODULE=empower.web.settings_production``. Everything in
``settings`` applies, hardened for production:

* ``EMPOWER_SECRET_KEY`` (at least 50 characters) and ``EMPOWER_ALLOWED_HOSTS`` must be set;
  there is no fallback to a key file or to local host names;
* ``DEBUG`` is always off;
* HTTP is redirected to HTTPS, cookies are sent over HTTPS only, and browsers are told to use
  HTTPS for a year, on subdomains too (HSTS, with preload);
* ``EMPOWER_BEHIND_PROXY=1`` when a reverse proxy terminates TLS and sets
  ``X-Forwarded-Proto`` and ``X-Forwarded-For``. Set it only then: otherwise a visitor could
  claim a secure connection or another address by sending those headers.

``empower check --deploy`` must report no issues with these settings.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def _required(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production: {hint}")
    return value


# Checked before the shared settings load, so that a missing key never falls back to creating
# one in a file.
_SECRET_KEY = _required(
    "EMPOWER_SECRET_KEY",
    "a random string of at least 50 characters, e.g. from "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`. Keep it secret.",
)
if len(_SECRET_KEY) < 50 or len(set(_SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "EMPOWER_SECRET_KEY is too short or too simple: use at least 50 random characters."
    )
_ALLOWED_HOSTS = _required(
    "EMPOWER_ALLOWED_HOSTS", "the host names the site answers to, separated by commas."
)

from .settings import *  # noqa: E402, F403
from .settings import CONTENT_SECURITY_POLICY  # noqa: E402

SECRET_KEY = _SECRET_KEY
ALLOWED_HOSTS = [host.strip() for host in _ALLOWED_HOSTS.split(",") if host.strip()]
DEBUG = False

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
# The __Host- prefix makes browsers refuse these cookies unless they are secure, for this
# exact host and the whole site, so a neighbouring subdomain cannot plant one.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY,
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "upgrade-insecure-requests": True,
    },
}

if os.environ.get("EMPOWER_BEHIND_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # django-axes records the visitor's address from the proxy's header, not the proxy's own.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
