"""Production settings pass Django's deployment check; every page carries a strict Content
Security Policy; cookies are out of reach of scripts; sessions end."""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

PRODUCTION = "empower.web.settings_production"


def _production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMPOWER_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "EMPOWER_SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "EMPOWER_ALLOWED_HOSTS": "example.org",
        "EMPOWER_VAR_DIR": str(tmp_path / "var"),
    })
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def _django(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=tmp_path, env=_production_env(tmp_path, **env),
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _django(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert not [line for line in output.splitlines() if line.startswith("?:")]


@pytest.mark.parametrize("missing", ["EMPOWER_SECRET_KEY", "EMPOWER_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_key_or_hosts(tmp_path, missing):
    result = _django(tmp_path, "check", **{missing: ""})
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()  # no silent fallback to a key file


def test_production_refuses_a_short_key(tmp_path):
    result = _django(tmp_path, "check", EMPOWER_SECRET_KEY="short-key")
    assert result.returncode != 0
    assert "EMPOWER_SECRET_KEY is too short" in result.stderr


@pytest.fixture
def production(monkeypatch, tmp_path):
    """The production settings module, loaded afresh with the given environment."""

    def load(**env: str):
        monkeypatch.delenv("EMPOWER_BEHIND_PROXY", raising=False)
        for key, value in _production_env(tmp_path, **env).items():
            if key.startswith("EMPOWER_"):
                monkeypatch.setenv(key, value)
        sys.modules.pop(PRODUCTION, None)
        try:
            return importlib.import_module(PRODUCTION)
        finally:
            sys.modules.pop(PRODUCTION, None)

    return load


def test_production_settings_harden_transport_and_cookies(production):
    prod = production()
    assert prod.DEBUG is False
    assert prod.ALLOWED_HOSTS == ["example.org"]
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_HSTS_SECONDS == 365 * 24 * 60 * 60
    assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS and prod.SECURE_HSTS_PRELOAD
    assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE
    assert prod.SESSION_COOKIE_HTTPONLY and prod.CSRF_COOKIE_HTTPONLY
    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert prod.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]
    # Trusting X-Forwarded-Proto without a proxy would let anyone claim HTTPS.
    assert not hasattr(prod, "SECURE_PROXY_SSL_HEADER")


def test_proxy_header_is_trusted_only_when_asked(production):
    prod = production(EMPOWER_BEHIND_PROXY="1")
    assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.django_db
def test_login_page_has_a_strict_content_security_policy(client):
    policy = _policy(client.get(reverse("login")))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_pages_behind_login_have_the_policy_too(login, org_a):
    client = login(org_a, "interviewer")
    for name in ["home", "participant_list", "cohort_report"]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert _policy(response)["script-src"] == ["'self'"], name


def test_cookies_are_http_only_and_end_with_the_browser(client, org_a, make_member):
    make_member(org_a, "viewer", username="reader")
    csrf = client.get(reverse("login")).cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] is True
    response = client.post(
        reverse("login"), {"username": "reader", "password": "a-long-test-password"}
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert not session["max-age"] and not session["expires"]  # gone when the browser closes
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60  # and on the server after a working day
