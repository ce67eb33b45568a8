"""Django settings for the Empower site.

Configuration comes from the environment so that one code base serves a laptop in a field
office (SQLite, the defaults) and a network's server (PostgreSQL via ``DATABASE_URL``):

* ``DATABASE_URL`` – e.g. ``postgres://user@127.0.0.1:5432/empower``; default SQLite in ``var/``.
* ``EMPOWER_SECRET_KEY`` – Django's signing key; created in ``var/secret_key`` when unset.
* ``EMPOWER_DEBUG`` – ``1`` only on a developer's machine.
* ``EMPOWER_ALLOWED_HOSTS`` – comma-separated host names.
* ``EMPOWER_VAR_DIR`` – where the SQLite file and generated keys live (default ``./var``).
* ``EMPOWER_INSTRUMENTS_DIR`` – a folder of installed instruments (``docs/xlsform.md``).
* ``EMPOWER_API_KEY_RATE`` – requests allowed per API key, e.g. ``1000/hour`` (``docs/api.md``).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

WEB_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("EMPOWER_VAR_DIR", Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    """Read the signing key from the environment, or from a file made on first run."""
    if os.environ.get("EMPOWER_SECRET_KEY"):
        return os.environ["EMPOWER_SECRET_KEY"]
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("EMPOWER_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("EMPOWER_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "empower.web.accounts",
    "empower.web.people",
    "empower.web.assessments",
    "empower.web.audit",
    "empower.web.reviews",
    "empower.web.fieldwork",
    "empower.web.exports",
    "empower.web.api",
    "empower.web.reportcache",
    "empower.web.jobs",
    "huey.contrib.djhuey",
    "empower.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files stay cacheable; every other response is never stored.
    "empower.web.nocache.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "empower.web.accounts.middleware.OrganisationMiddleware",
    # After the organisation middleware: the person's own language choice is on their membership.
    "empower.web.accounts.middleware.UserLanguageMiddleware",
    # After the organisation middleware: whether two-step login is required depends on the role.
    "empower.web.accounts.middleware.TwoStepMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "empower.web.urls"
WSGI_APPLICATION = "empower.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "empower.web.accounts.context.membership",
            ],
        },
    },
]

def _sqlite_file(path: Path) -> None:
    """The database file readable by its owner only, like the key file. SQLite gives its
    journal and WAL files the database file's permissions, so they follow."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
    elif path.stat().st_mode & 0o077 and path.stat().st_uid == getattr(os, "getuid", int)():
        path.chmod(0o600)  # made earlier readable by others: close it


# Background jobs (empower.web.jobs) on Huey's queue: an SQLite file beside the database on one
# machine, nothing to set up; Redis (EMPOWER_REDIS_URL=redis://…) when several machines share
# the work. `empower serve` starts the worker; with EMPOWER_DEBUG=1 jobs run inside the request.
_redis_url = os.environ.get("EMPOWER_REDIS_URL", "")
HUEY = {
    "name": "empower",
    "huey_class": "huey.RedisHuey" if _redis_url else "huey.SqliteHuey",
    **({"url": _redis_url} if _redis_url else {"filename": str(VAR_DIR / "jobs.sqlite3")}),
    "results": False,
    "immediate": DEBUG,
    "consumer": {"workers": 2, "worker_type": "thread"},
}

_default_db = f"sqlite:///{VAR_DIR / 'empower.sqlite3'}"
# Connections are kept for a minute between requests, and checked before each request reuses
# one: after a database restart the site reconnects by itself instead of failing a request.
DATABASES = {"default": dj_database_url.config(default=_default_db, conn_max_age=60,
                                               conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _sqlite_file(Path(DATABASES["default"]["NAME"]))
    # WAL lets the site keep serving reads while an import or a report writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 60 * 60 * 8  # a working day; shared phones should not stay logged in
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True  # no script on the site needs to read it
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The first backend refuses a locked-out username before any password is checked (django-axes);
# the second checks the password.
AUTHENTICATION_BACKENDS = [
    "empower.web.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock-out after repeated failed logins (django-axes). By username only, from any address:
# field offices share one public address, so locking by address would lock out a whole office
# because of one person's typing. Five failures within 15 minutes lock that username for 15
# minutes; a successful login clears the count. An administrator unlocks a person on the Team
# page, an operator with `empower axes_reset_username USERNAME`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# Tries while locked do not extend the lock, so "try again in 15 minutes" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "empower.web.accounts.views.locked_out"
# Keep no record of successful logins (addresses, browsers): it is not needed for the lock-out
# and is personal data about staff. Records of failed attempts are deleted at the first login
# after their 15 minutes are over.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# django-axes warns when `ip_address` is not a lock-out parameter, because then one address can
# try many usernames. That is the deliberate choice above (see docs/accounts.md); guessing one
# person's password from many addresses is still stopped.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Two-step login (django-otp, time-based codes from an authenticator app). Required for
# administrators (accounts.middleware.TwoStepMiddleware), optional for everyone else.
# The name shown in the authenticator app; an organisation may prefer a neutral one.
OTP_TOTP_ISSUER = os.environ.get("EMPOWER_OTP_ISSUER", "Empower")
OTP_TOTP_THROTTLE_FACTOR = 1  # after wrong codes, wait 1, 2, 4, 8 … seconds

# Content Security Policy (django-csp): only this site's own files run, load or frame it.
# style-src allows inline styles: the charts are matplotlib SVGs inlined in the page, and they
# colour every bar and line with style="…" attributes and carry a small <style> element.
# Styles cannot run code, and img-src/font-src keep CSS from sending anything to another site.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("bn", _("Bengali")),
    ("my", _("Burmese")),
]
LOCALE_PATHS = [WEB_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve from the app folders without a collectstatic step
# `empower serve` collects the files once at start, with a gzip copy of each, and serves those.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Where "Quick exit" sends people: an ordinary site where the participants live. Empty: a
# neutral page served by Empower itself (works offline).
EMPOWER_QUICK_EXIT_URL = os.environ.get("EMPOWER_QUICK_EXIT_URL", "")
# Addresses of a reverse proxy whose X-Forwarded-For the audit trail may trust ("*" for any).
EMPOWER_TRUSTED_PROXY = os.environ.get("EMPOWER_TRUSTED_PROXY", "")

# The API (Django REST framework, docs/api.md): read-only JSON, with the site's login session
# or a personal key (`Authorization: Token emp_…`, stored hashed). Session first, so that a
# request without valid credentials gets 403 like the site's pages (DRF answers 401 only when
# the first scheme names a challenge). No browsable HTML API: JSON only. Requests made with a
# key are rate-limited per person (EMPOWER_API_KEY_RATE, e.g. "1000/hour").
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "empower.web.api.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["empower.web.api.throttling.KeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": os.environ.get("EMPOWER_API_KEY_RATE", "1000/hour"),
    },
    "EXCEPTION_HANDLER": "empower.web.api.errors.api_exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["empower.web.api.permissions.AnyMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "empower.web.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # No `?format=` switch and no `.json` suffixes: one representation, one route per name.
    "URL_FORMAT_OVERRIDE": None,
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Empower API",
    "DESCRIPTION": "Read-only access to one organisation's pseudonymous participant records, "
                   "assessments, axis scores and cohort aggregates. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema holds no data, but the site serves nothing to strangers; the same file is in
    # the source code (docs/openapi.yaml) for anyone who wants it without an account.
    "SERVE_PERMISSIONS": ["empower.web.api.permissions.AnyMember"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "GenderEnum": "empower.web.people.models.Gender",
        "StatusEnum": "empower.web.people.models.Status",
        "InstrumentKindEnum": "empower.web.api.serializers.INSTRUMENT_KINDS",
        "ItemKindEnum": "empower.web.api.serializers.ITEM_KINDS",
    },
}
