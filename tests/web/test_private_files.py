"""The SQLite database and its journal files are readable by their owner only, like the key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

EMPOWER = Path(sys.executable).with_name("empower")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _env(folder: Path) -> dict[str, str]:
    env = {**os.environ, "EMPOWER_VAR_DIR": str(folder)}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "EMPOWER_DATA_KEY"):
        env.pop(name, None)
    return env


def _run(env: dict[str, str], *args: str) -> None:
    # A permissive umask, as on many servers: the files must be private anyway.
    subprocess.run([str(EMPOWER), *args], env=env, check=True, capture_output=True,
                   preexec_fn=lambda: os.umask(0o022))


def test_a_new_database_and_its_wal_are_owner_only(tmp_path):
    env = _env(tmp_path)
    _run(env, "migrate", "--no-input", "-v", "0")
    database = tmp_path / "empower.sqlite3"
    assert _mode(database) == 0o600
    for journal in tmp_path.glob("empower.sqlite3-*"):  # -wal and -shm, while open
        assert _mode(journal) == 0o600, journal.name


def test_an_existing_database_readable_by_others_is_closed(tmp_path):
    env = _env(tmp_path)
    _run(env, "migrate", "--no-input", "-v", "0")
    database = tmp_path / "empower.sqlite3"
    database.chmod(0o644)
    _run(env, "check")
    assert _mode(database) == 0o600
