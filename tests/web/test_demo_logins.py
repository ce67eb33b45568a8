"""What `empower demo`, `empower serve` and `make run` tell a newcomer: the logins, which of them
must set up two-step login and how, and that `make run` takes a port and an address."""

from __future__ import annotations

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from empower.web.management.commands import serve

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_output(db):
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_logins(db):
    """The demo organisation and its logins, without the cohort (quicker)."""
    from empower.web.accounts.models import Organisation
    from empower.web.management.commands.demo import Command

    Command()._users(Organisation.objects.create(name="Demo", slug="demo"))


def test_demo_says_the_administrator_must_set_up_an_authenticator(demo_output):
    lines = demo_output.splitlines()
    admin = next(line for line in lines if line.strip().startswith("demo-admin"))
    assert "needs two-step login" in admin
    for other in ("demo-interviewer", "demo-analyst", "demo-viewer"):
        line = next(line for line in lines if line.strip().startswith(other))
        assert "two-step" not in line
    text = " ".join(demo_output.split())
    assert "The first time demo-admin logs in, Empower shows only the Two-step login page" in text
    assert "install an authenticator app on a phone" in text
    assert "empower reset_two_step demo-admin" in text
    assert "password for all: empower-demo-2026" in text


class FakeWorker:
    def terminate(self) -> None:
        pass

    def wait(self, timeout: float) -> None:
        pass


def test_serve_prints_the_logins_and_passes_the_port_on(demo_logins, monkeypatch):
    calls, servers = [], []
    monkeypatch.setattr(serve, "call_command", lambda *args, **kw: calls.append(args))
    monkeypatch.setattr(serve, "run_gunicorn", lambda *args: servers.append(args))
    monkeypatch.setattr(serve, "start_job_worker", FakeWorker)
    out = StringIO()
    call_command("serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "3", stdout=out)
    # The production server, after a check and with the static files collected.
    assert calls == [("check",), ("collectstatic",)]
    assert servers == [("0.0.0.0", 8080, 3, 4)]
    text = out.getvalue()
    assert "Empower is at http://0.0.0.0:8080/" in text
    assert "needs two-step login" in text and "install an authenticator app" in text


def test_serve_uses_the_development_server_only_when_debugging(demo_logins, monkeypatch,
                                                                 settings):
    settings.DEBUG = True
    calls = []
    monkeypatch.setattr(serve, "call_command", lambda *args, **kw: calls.append(args))
    monkeypatch.setattr(serve, "run_gunicorn", lambda *args: pytest.fail("not in debug mode"))
    call_command("serve", "--port", "8081", stdout=StringIO())
    assert calls == [("runserver", "127.0.0.1:8081")]


def test_serve_says_when_the_administrator_has_set_up_the_app(demo_logins, monkeypatch):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = get_user_model().objects.get(username="demo-admin")
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    monkeypatch.setattr(serve, "call_command", lambda *args, **kw: None)
    monkeypatch.setattr(serve, "run_gunicorn", lambda *args: None)
    monkeypatch.setattr(serve, "start_job_worker", FakeWorker)
    out = StringIO()
    call_command("serve", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "demo-admin " in line)
    assert "type the code from your authenticator app" in line


def test_make_run_takes_a_port_and_an_address():
    dry = subprocess.run(["make", "-n", "run", "PORT=8080", "HOST=0.0.0.0"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert ".venv/bin/empower serve --host 0.0.0.0 --port 8080" in dry
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert ".venv/bin/empower serve --host 127.0.0.1 --port 8000" in default


def test_the_readme_explains_the_port_and_two_step_login():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "`make run PORT=8080`" in readme
    assert "Two-step login for the demo administrator." in readme
    assert "first time you log in as `demo-admin`" in readme
