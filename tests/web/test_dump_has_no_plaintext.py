"""A copy of the database – the SQLite file, or a pg_dump – holds no identifying text.

The data is committed (``transactional_db``) so that another process (pg_dump) sees it. The
dump is searched for every seeded value and distinctive pieces of them, in UTF-8 and UTF-16;
a non-sensitive value written beside them must be found, or the search proves nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import date

import pytest
from django.db import connection

from empower.instruments import get_instrument
from empower.web import crypto
from empower.web.assessments.recording import record_assessment
from empower.web.backup import encrypted_fields
from empower.web.people.models import Consent

PEOPLE = [
    {"name": "Thida Aung Kyaw 773190", "phone": "+95 9 4455 1234",
     "address": "Hlaing Tharyar lane 5"},
    {"name": "နန်းဆုမွန်", "phone": "+880 1712 909 414", "address": "Kamrangirchar ghat 3"},
]
NARRATIVES = [
    {"note__family": "My aunt Daw Khin Hnin Yu 991158 took me in",
     "note__community": "The broker Ko Zaw Lin Htet 618204 still asks about me"},
    {"note__family": "ကျွန်မရဲ့ အဒေါ် ဒေါ်ခင်နှင်းယု ကူညီခဲ့တယ်"},
]
WITNESS = "Ma Ei Phyu Sin 402716"
#: Seeded values, and pieces of them that would give a person away on their own.
SEEDED = [value for person in PEOPLE for value in person.values()] + [
    text for notes in NARRATIVES for text in notes.values()
] + [WITNESS]
PIECES = [
    "Thida", "Aung Kyaw", "773190", "4455 1234", "Hlaing", "Tharyar", "နန်းဆုမွန်",
    "1712 909", "Kamrangirchar", "Khin Hnin", "991158", "Zaw Lin Htet", "618204",
    "ဒေါ်ခင်နှင်းယု", "Ei Phyu", "402716",
]
#: Stored in plain text beside the identifying values: found in a real dump.
REGION = "Ayeyarwady-plain-marker"


@pytest.fixture
def seeded(transactional_db, make_org, make_participant):
    organisation = make_org("dump-check")
    instrument = get_instrument("empowerment-interview", "2.0")
    codes = []
    for person, notes in zip(PEOPLE, NARRATIVES, strict=True):
        participant = make_participant(organisation, region_of_origin=REGION, **person)
        if _has_field(Consent, "witness_name"):
            Consent.objects.filter(participant=participant).update(witness_name=WITNESS)
        record_assessment(
            participant=participant, instrument=instrument, conducted_on=date.today(),
            language="my", interviewer=None,
            answers={"rating__healing": 6, "rating__purpose": 4, "rating__inner_peace": 9,
                     "rating__self_capacity": 2},
            narratives=notes,
        )
        codes.append(participant.code)
    return codes


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def assert_no_identifying_text(dump: bytes) -> None:
    found = [
        f"{text!r} ({encoding})"
        for text in SEEDED + PIECES
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
        if text.encode(encoding) in dump
    ]
    assert not found, "identifying text in the database dump: " + ", ".join(found)


def assert_the_dump_is_real(dump: bytes, codes: list[str]) -> None:
    for code in codes:
        assert code.encode() in dump
    assert REGION.encode() in dump
    # The encrypted values themselves are there too.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM people_participant")
        tokens = [row[0] for row in cursor.fetchall()]
    assert tokens and all(t.encode() in dump for t in tokens)


def test_every_encrypted_column_holds_only_ciphertext(seeded):
    checked = 0
    qn = connection.ops.quote_name
    for model, fields in encrypted_fields():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(qn(f.column) for f in fields)} FROM "
                f"{qn(model._meta.db_table)}"
            )
            for row in cursor.fetchall():
                for value in row:
                    assert value in (None, "") or crypto.is_encrypted(value), value
                    checked += value not in (None, "")
    # names, phones, addresses, narratives (and witnesses, where recorded)
    assert checked >= 2 * 3 + 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file")
def test_the_sqlite_file_holds_no_identifying_text(seeded, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    reader = sqlite3.connect(copy)
    text_dump = "\n".join(reader.iterdump()).encode("utf-8")
    reader.close()
    dump = copy.read_bytes() + b"\n" + text_dump
    assert_the_dump_is_real(dump, seeded)
    assert_no_identifying_text(dump)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump of PostgreSQL")
def test_pg_dump_holds_no_identifying_text(seeded):
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    database = connection.settings_dict
    command = ["pg_dump", "--no-owner", "--no-privileges"]
    if database.get("HOST"):
        command += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        command += ["--port", str(database["PORT"])]
    if database.get("USER"):
        command += ["--username", str(database["USER"])]
    command.append(str(database["NAME"]))
    environment = dict(os.environ, PGPASSWORD=str(database.get("PASSWORD") or ""))
    done = subprocess.run(command, capture_output=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert_the_dump_is_real(done.stdout, seeded)
    assert_no_identifying_text(done.stdout)
