"""AES-GCM encryption of identifying values, the key ring and the key file."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from django.db import connection

from empower.web import crypto
from empower.web.crypto import EncryptionKeyError, KeyRing

CONTEXT = "people.participant.name"
TEXT = "Thida Aung Kyaw, ဒေါ်ခင်နှင်းယု"


def _key(n: int) -> bytes:
    return bytes([n]) * 32


def _text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


@pytest.fixture(autouse=True)
def _fresh_ring():
    """Every test starts and ends with the ring read anew from the environment."""
    crypto.reset_key_ring()
    yield
    crypto.reset_key_ring()


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """Keys from a key file in a temporary folder (which does not exist yet)."""
    path = tmp_path / "keys" / "data.key"
    monkeypatch.delenv("EMPOWER_DATA_KEY", raising=False)
    monkeypatch.setenv("EMPOWER_DATA_KEY_FILE", str(path))
    crypto.reset_key_ring()
    return path


def test_round_trip_and_format():
    ring = KeyRing((_key(1),))
    token = crypto.encrypt(TEXT, CONTEXT, ring)
    assert token.startswith(f"enc1:{crypto.key_id(_key(1))}:")
    assert "Thida" not in token
    assert crypto.decrypt(token, CONTEXT, ring) == TEXT
    assert crypto.key_id(_key(1)) == "72cd6e84"  # sha256(0x01 × 32), first 8 hex digits


def test_the_same_text_encrypts_differently_each_time():
    ring = KeyRing((_key(1),))
    tokens = {crypto.encrypt(TEXT, CONTEXT, ring) for _ in range(20)}
    assert len(tokens) == 20


def test_a_value_moved_to_another_field_does_not_decrypt():
    ring = KeyRing((_key(1),))
    token = crypto.encrypt("+95 9 4455 1234", "people.participant.phone", ring)
    with pytest.raises(EncryptionKeyError, match=r"people\.participant\.name failed its integrity"):
        crypto.decrypt(token, "people.participant.name", ring)


@pytest.mark.parametrize("position", [0, 11, 12, 20, -16, -1], ids=lambda p: f"byte{p}")
def test_changing_any_byte_is_found(position):
    ring = KeyRing((_key(1),))
    prefix, kid, body = crypto.encrypt(TEXT, CONTEXT, ring).split(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[position] ^= 0x01  # nonce (0, 11), ciphertext (12, 20), tag (-16, -1)
    tampered = f"{prefix}:{kid}:{_text(bytes(raw))}"
    with pytest.raises(EncryptionKeyError, match="integrity check"):
        crypto.decrypt(tampered, CONTEXT, ring)


@pytest.mark.parametrize("body", ["", "abc", "!!!!", "A" * 30])
def test_a_damaged_value_gives_a_clear_error(body):
    ring = KeyRing((_key(1),))
    with pytest.raises(EncryptionKeyError, match="damaged"):
        crypto.decrypt(f"enc1:{crypto.key_id(_key(1))}:{body}", CONTEXT, ring)


def test_a_value_that_is_not_encrypted_gives_a_clear_error():
    with pytest.raises(EncryptionKeyError, match="not in the encrypted format"):
        crypto.decrypt("Thida", CONTEXT, KeyRing((_key(1),)))


def test_values_written_with_an_old_key_still_decrypt_after_a_new_key_is_put_first():
    old = crypto.encrypt(TEXT, CONTEXT, KeyRing((_key(1),)))
    rotated = KeyRing((_key(2), _key(1)))
    assert crypto.decrypt(old, CONTEXT, rotated) == TEXT
    new = crypto.encrypt(TEXT, CONTEXT, rotated)
    assert new.split(":")[1] == crypto.key_id(_key(2))
    assert crypto.needs_reencryption(old, rotated)
    assert not crypto.needs_reencryption(new, rotated)


def test_a_missing_key_is_named():
    token = crypto.encrypt(TEXT, CONTEXT, KeyRing((_key(1),)))
    with pytest.raises(EncryptionKeyError, match="72cd6e84, which is not in the key ring"):
        crypto.decrypt(token, CONTEXT, KeyRing((_key(2),)))


def test_the_ring_comes_from_the_environment_newest_first(monkeypatch):
    monkeypatch.setenv("EMPOWER_DATA_KEY", f" {_text(_key(2))} , {_text(_key(1))}")
    ring = crypto.key_ring()
    assert ring.keys == (_key(2), _key(1))
    assert crypto.key_ring() is ring  # cached until reset


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not a key at all", "EMPOWER_DATA_KEY: key 1 is"),
        (_text(b"x" * 16), "EMPOWER_DATA_KEY: key 1 is 16 bytes; 32 are needed"),
        (f"{_text(_key(1))},{_text(b'y' * 40)}", "EMPOWER_DATA_KEY: key 2 is 40 bytes"),
        ("Ω" * 43, "EMPOWER_DATA_KEY: key 1 is not base64url text"),
        (" , ", "EMPOWER_DATA_KEY: no key found"),
    ],
)
def test_malformed_keys_in_the_environment_are_refused(monkeypatch, value, message):
    monkeypatch.setenv("EMPOWER_DATA_KEY", value)
    with pytest.raises(EncryptionKeyError, match=message):
        crypto.key_ring()


def test_a_malformed_key_file_is_refused_naming_the_file(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("# keys\n" + _text(b"z" * 31) + "\n")
    with pytest.raises(EncryptionKeyError, match=f"{key_file}: key 2 is 31 bytes"):
        crypto.key_ring()


def test_the_key_file_is_created_private_with_a_warning(key_file, capsys):
    ring = crypto.key_ring()
    warning = capsys.readouterr().err
    assert "WARNING" in warning and str(key_file) in warning and "Back it up" in warning
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(ring.keys) == 1
    assert os.listdir(key_file.parent) == ["data.key"]  # no temporary file left behind

    crypto.reset_key_ring()
    assert crypto.key_ring().keys == ring.keys  # read back, not made again
    assert capsys.readouterr().err == ""


def test_a_key_file_made_meanwhile_by_another_process_is_used_not_replaced(key_file):
    assert crypto._create_key_file(key_file) is True
    first = key_file.read_text()
    assert crypto._create_key_file(key_file) is False
    assert key_file.read_text() == first
    assert os.listdir(key_file.parent) == ["data.key"]


def test_writing_the_key_file_keeps_it_private(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("old")
    key_file.chmod(0o644)
    crypto.write_key_file(key_file, [_text(_key(2)), _text(_key(1))])
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert crypto.key_ring().keys == (_key(2), _key(1))
    assert os.listdir(key_file.parent) == ["data.key"]


def test_model_fields_store_ciphertext_and_read_plaintext(org_a, make_participant):
    participant = make_participant(org_a, name=TEXT, phone="+95 9 4455 1234")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone FROM people_participant WHERE id = %s", [participant.pk]
        )
        name, phone = cursor.fetchone()
    assert crypto.is_encrypted(name) and crypto.is_encrypted(phone)
    assert "Thida" not in name and "4455" not in phone
    participant.refresh_from_db()
    assert (participant.name, participant.phone) == (TEXT, "+95 9 4455 1234")


def test_a_ciphertext_copied_into_another_column_is_refused_on_reading(org_a, make_participant):
    from empower.web.people.models import Participant

    participant = make_participant(org_a, name=TEXT, phone="+95 9 4455 1234")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_participant SET phone = name WHERE id = %s",
                       [participant.pk])
    with pytest.raises(EncryptionKeyError, match=r"people\.participant\.phone failed"):
        Participant.objects.get(pk=participant.pk)
