"""The site recovers by itself when the database drops its connections (a PostgreSQL restart or
fail-over, as the server sees it): the next request reconnects instead of failing.

Runs when the suite runs on PostgreSQL (CI's second pass); it uses a database of its own on the
same server and a real `empower serve`.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .test_serve import EMPOWER, _free_port, _get, site_env  # noqa: F401 (fixture)

URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("postgres"),
                                reason="needs the suite to run on PostgreSQL")
NAME = "empower_recovery_test"


def _psql(sql: str) -> None:
    parts = urllib.parse.urlsplit(URL)
    subprocess.run(["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
                    "-U", parts.username or "postgres", "-d", "postgres", "-q", "-c", sql],
                   check=True, capture_output=True)


def _log_in_wrongly(port: int) -> int:
    """A request that needs the database: a refused login is counted by the lock-out."""
    _status, _headers, page = _get(f"http://127.0.0.1:{port}/login/")
    token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    cookie = f"csrftoken={token}"
    data = urllib.parse.urlencode({"username": "nobody", "password": "wrong password here",
                                   "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/login/", data=data,
                                     headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_site_reconnects_after_the_database_dropped_its_connections(
    site_env,  # noqa: F811 (the fixture imported above)
):
    from .test_serve import _wait_until_up

    _psql(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{NAME}"')
    parts = urllib.parse.urlsplit(URL)
    env = {**site_env, "DATABASE_URL": parts._replace(path=f"/{NAME}").geturl()}
    subprocess.run([str(EMPOWER), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen([str(EMPOWER), "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(server, port)
        assert _log_in_wrongly(port) == 200  # the worker now holds a database connection
        _psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              f"WHERE datname = '{NAME}' AND pid <> pg_backend_pid()")
        assert _log_in_wrongly(port) == 200  # not a server error: it reconnected
    finally:
        server.terminate()
        server.wait(timeout=30)
        _psql(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
