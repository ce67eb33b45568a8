"""``empower rotate_key``: every value under the new key, nothing lost on the way."""

from __future__ import annotations

import base64
import io
import os
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from empower.instruments import get_instrument
from empower.web import backup, crypto
from empower.web.assessments.models import Assessment
from empower.web.assessments.recording import record_assessment
from empower.web.management.commands import rotate_key
from empower.web.people.models import Participant

OLD = base64.urlsafe_b64encode(b"\x07" * 32).decode().rstrip("=")
OLD_ID = crypto.key_id(b"\x07" * 32)


@pytest.fixture(autouse=True)
def _fresh_ring():
    crypto.reset_key_ring()
    yield
    crypto.reset_key_ring()


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "data.key"
    monkeypatch.delenv("EMPOWER_DATA_KEY", raising=False)
    monkeypatch.setenv("EMPOWER_DATA_KEY_FILE", str(path))
    crypto.write_key_file(path, [OLD])
    crypto.reset_key_ring()
    return path


@pytest.fixture
def people(org_a, make_participant):
    """Participants with contact details and interview notes, written with the old key."""
    instrument = get_instrument("empowerment-interview", "2.0")
    for n in range(7):
        participant = make_participant(
            org_a, name=f"Person {n} Aung", phone=f"+95 9 4455 12{n:02}",
            address="" if n % 3 == 0 else f"Lane {n}",
        )
        record_assessment(
            participant=participant, instrument=instrument, conducted_on=date.today(),
            language="en", interviewer=None,
            answers={"rating__healing": 5, "rating__purpose": 5, "rating__inner_peace": 5,
                     "rating__self_capacity": 5},
            narratives={"note__family": f"Note {n} about my aunt"},
        )


def readable() -> dict:
    """What the site reads back, decrypted."""
    return {
        "participants": sorted(Participant.objects.values_list("pk", "name", "phone", "address")),
        "narratives": sorted((a.pk, a.narratives) for a in Assessment.objects.all()),
    }


def stored() -> list[str]:
    """Every non-empty encrypted value as stored (raw column text)."""
    qn = connection.ops.quote_name
    values = []
    for model, fields in backup.encrypted_fields():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(qn(f.column) for f in fields)} FROM "
                f"{qn(model._meta.db_table)}"
            )
            values += [v for row in cursor.fetchall() for v in row if v not in (None, "")]
    return values


def ids_in(path) -> list[str]:
    return [crypto.key_id(k) for k in crypto.KeyRing.parse(path.read_text().splitlines(),
                                                            str(path)).keys]


def test_rotation_re_encrypts_everything_and_drops_the_old_key(key_file, people):
    before, old_values = readable(), stored()
    assert len(old_values) == 7 + 7 + 4 + 7  # names, phones, addresses, narratives
    assert all(v.startswith(f"enc1:{OLD_ID}:") for v in old_values)
    out = io.StringIO()

    call_command("rotate_key", stdout=out)

    [new_id] = ids_in(key_file)
    assert new_id != OLD_ID
    assert OLD not in key_file.read_text()
    values = stored()
    assert len(values) == len(old_values)
    assert all(v.startswith(f"enc1:{new_id}:") for v in values)
    crypto.reset_key_ring()  # only the new key from here on
    assert readable() == before
    assert "Re-encrypted 25 value(s)" in out.getvalue()
    assert OLD not in out.getvalue()


def test_keep_old_leaves_the_old_key_second(key_file, people):
    call_command("rotate_key", "--keep-old", stdout=io.StringIO())
    new_id, old_id = ids_in(key_file)
    assert old_id == OLD_ID
    assert all(v.startswith(f"enc1:{new_id}:") for v in stored())


def test_an_interrupted_rotation_changes_nothing_and_keeps_the_old_key(
    key_file, people, monkeypatch
):
    before, old_values = readable(), stored()
    real_encrypt = crypto.encrypt
    calls = []

    def failing_midway(*args, **kwargs):
        calls.append(1)
        if len(calls) == 10:
            raise OSError("disk full")
        return real_encrypt(*args, **kwargs)

    monkeypatch.setattr(crypto, "encrypt", failing_midway)
    with pytest.raises(CommandError, match="database was left as it was"):
        call_command("rotate_key", stdout=io.StringIO())
    monkeypatch.setattr(crypto, "encrypt", real_encrypt)

    assert len(calls) == 10
    assert OLD_ID in ids_in(key_file)
    assert stored() == old_values  # rolled back, row for row
    crypto.reset_key_ring()
    assert readable() == before

    # Running it again with --reencrypt finishes the job.
    call_command("rotate_key", "--reencrypt", stdout=io.StringIO())
    [new_id] = ids_in(key_file)
    assert new_id != OLD_ID
    assert all(v.startswith(f"enc1:{new_id}:") for v in stored())
    crypto.reset_key_ring()
    assert readable() == before


def test_a_value_written_meanwhile_with_the_old_key_keeps_the_old_key(
    key_file, people, monkeypatch
):
    old_ring = crypto.key_ring()
    first = Participant.objects.order_by("pk").first().pk

    def rotation_while_the_site_writes(*args, **kwargs):
        result = backup.reencrypt_all(*args, **kwargs)
        # A web process started before the rotation still encrypts with the old key.
        token = crypto.encrypt("Written meanwhile", "people.participant.name", old_ring)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE people_participant SET name = %s WHERE id = %s",
                           [token, first])
        return result

    monkeypatch.setattr(rotate_key, "reencrypt_all", rotation_while_the_site_writes)
    out = io.StringIO()
    call_command("rotate_key", stdout=out)
    assert "1 value(s) were written with an old key" in out.getvalue()
    assert ids_in(key_file)[1] == OLD_ID
    crypto.reset_key_ring()
    assert Participant.objects.get(pk=first).name == "Written meanwhile"


def test_keys_from_the_environment_are_not_generated(people):
    old_values = stored()
    with pytest.raises(CommandError, match="EMPOWER_DATA_KEY environment variable"):
        call_command("rotate_key", stdout=io.StringIO())
    assert stored() == old_values


def test_reencrypt_with_keys_from_the_environment(people, monkeypatch):
    before = readable()
    current = os.environ["EMPOWER_DATA_KEY"]
    current_id = crypto.key_id(crypto.key_ring().primary)
    new = crypto.new_key()
    monkeypatch.setenv("EMPOWER_DATA_KEY", f"{new},{current}")
    crypto.reset_key_ring()
    new_id = crypto.key_id(crypto.key_ring().primary)
    out = io.StringIO()

    call_command("rotate_key", "--reencrypt", stdout=out)

    assert all(v.startswith(f"enc1:{new_id}:") for v in stored())
    assert f"remove the old key(s) {current_id} from EMPOWER_DATA_KEY" in out.getvalue()
    monkeypatch.setenv("EMPOWER_DATA_KEY", new)
    crypto.reset_key_ring()
    assert readable() == before


def test_a_value_stored_without_encryption_stops_the_rotation(key_file, people):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_participant SET address = 'plain text'")
    with pytest.raises(CommandError, match="stored without encryption"):
        call_command("rotate_key", stdout=io.StringIO())
    assert OLD_ID in ids_in(key_file)


def test_the_rotation_is_audited_without_the_key(key_file, people):
    log = pytest.importorskip("empower.web.audit.log")
    from empower.web.audit.models import AuditEntry

    call_command("rotate_key", stdout=io.StringIO())
    entry = AuditEntry.objects.get(action="key.rotated")
    [new_id] = ids_in(key_file)
    assert entry.detail["new_key_id"] == new_id
    assert entry.detail["old_key_ids"] == [OLD_ID]
    assert entry.detail["values"] == 25
    assert OLD not in str(entry.detail) and key_file.read_text().split()[-1] not in str(
        entry.detail
    )
    assert log.verify_chain().ok
