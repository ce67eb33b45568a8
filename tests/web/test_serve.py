"""`empower serve` starts a production server that answers, serves compressed static files and
stops cleanly."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

EMPOWER = Path(sys.executable).with_name("empower")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def _wait_until_up(server: subprocess.Popen, port: int) -> tuple[int, bytes]:
    deadline = time.monotonic() + 60
    while True:
        try:
            status, _headers, body = _get(f"http://127.0.0.1:{port}/login/")
            return status, body
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("the server did not answer within a minute")
            time.sleep(0.3)


def _child_running(parent: int, word: str, wait: float = 20) -> bool:
    """Whether a child process of ``parent`` has ``word`` in its command line (Linux /proc)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                              if ":\t" in line)
                command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(parent) and word.encode() in command:
                return True
        time.sleep(0.2)
    return False


@pytest.fixture
def site_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "EMPOWER_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "EMPOWER_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "EMPOWER_SECRET_KEY": secrets.token_urlsafe(50),
    }
    env.pop("EMPOWER_DEBUG", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([str(EMPOWER), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    return env


def test_serve_runs_gunicorn_workers_that_answer(site_env):
    port = _free_port()
    server = subprocess.Popen(
        [str(EMPOWER), "serve", "--port", str(port), "--workers", "2"],
        env=site_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        status, body = _wait_until_up(server, port)
        assert status == 200 and b'name="username"' in body
        status, headers, body = _get(f"http://127.0.0.1:{port}/static/empower/empower.css",
                                     **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert _child_running(server.pid, "run_huey")  # the background-jobs worker
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Booting worker" in output and output.count("Booting worker") >= 2
    assert server.returncode == 0, output
