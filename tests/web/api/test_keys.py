"""API keys: their form, that only a hash is stored, how they are sent, used and revoked."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from empower.web.api.authentication import issue_key, revoke_key
from empower.web.api.models import ApiKey
from empower.web.audit.models import AuditEntry

#: The documented form: emp_, 8 lowercase letters or digits, _, 43 letters or digits.
FORM = re.compile(r"emp_[a-z0-9]{8}_[A-Za-z0-9]{43}")


def _client(key: str, scheme: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


@pytest.fixture
def analyst(org_a, make_member):
    return make_member(org_a, "analyst", username="amina")


def test_a_key_has_the_documented_form_and_is_random(analyst):
    keys = [issue_key(analyst) for _ in range(3)]
    assert all(FORM.fullmatch(key) for key in keys)
    assert len({key[13:] for key in keys}) == 3 and len({key[4:12] for key in keys}) == 3


def test_the_database_never_holds_the_key_in_plain_text(analyst):
    key = issue_key(analyst)
    secret = key.split("_")[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apikey")
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1
    raw = " ".join(str(value) for value in rows[0])
    assert key not in raw and secret not in raw
    row = dict(zip(columns, rows[0], strict=True))
    # Only the name part (prefix) is in clear; the rest is SHA-256 of the whole key.
    assert row["prefix"] == key[4:12]
    assert row["hashed"] == hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.parametrize("scheme", ["Token", "token", "Bearer"])
def test_the_key_is_accepted_with_token_or_bearer(scheme, analyst):
    assert _client(issue_key(analyst), scheme).get("/api/participants/").status_code == 200


@pytest.mark.parametrize("tamper", ["secret", "prefix", "truncated", "extra", "no_mark",
                                    "two_words", "no_key"])
def test_a_changed_or_malformed_key_is_refused(tamper, analyst):
    key = issue_key(analyst)
    last = "A" if key[-1] != "A" else "B"
    sent = {
        "secret": key[:-1] + last,
        "prefix": key[:4] + ("x" if key[4] != "x" else "y") + key[5:],
        "truncated": key[:-1],
        "extra": key + "A",
        "no_mark": key[4:],
        "two_words": f"{key} {key}",
        "no_key": "",
    }[tamper]
    response = _client(sent).get("/api/participants/")
    assert response.status_code == 403
    assert "results" not in response.json()


def test_another_scheme_is_not_taken_for_a_key(analyst):
    key = issue_key(analyst)
    assert _client(key, "Basic").get("/api/participants/").status_code == 403


def test_one_active_key_a_new_one_revokes_the_old(analyst):
    first = issue_key(analyst)
    second = issue_key(analyst)
    assert _client(first).get("/api/participants/").status_code == 403
    assert _client(second).get("/api/participants/").status_code == 200
    keys = ApiKey.objects.filter(user=analyst).order_by("created_at", "id")
    assert [k.revoked_at is None for k in keys] == [False, True]
    # The database itself refuses a second active key.
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create(user=analyst, prefix="zzzzzzzz", hashed="0" * 64)


def test_revoking_stops_the_key_and_keeps_a_trace(analyst):
    key = issue_key(analyst)
    assert revoke_key(analyst) is True
    assert revoke_key(analyst) is False  # nothing left to revoke
    assert _client(key).get("/api/participants/").status_code == 403
    revoked = ApiKey.objects.get()
    assert revoked.prefix == key[4:12] and revoked.revoked_at is not None
    changes = [(e.detail["change"], e.detail["key"])
               for e in AuditEntry.objects.filter(action="api.token").order_by("sequence")]
    assert changes == [("created", key[4:12]), ("revoked", key[4:12])]


def test_a_replacement_names_both_keys_in_the_audit_trail(analyst):
    old = issue_key(analyst)
    new = issue_key(analyst)
    entry = AuditEntry.objects.filter(action="api.token").order_by("sequence").last()
    assert entry.detail == {"change": "replaced", "via": "site", "key": new[4:12],
                            "revoked_key": old[4:12]}


def test_use_is_recorded_on_the_key_and_on_each_read(analyst):
    key = issue_key(analyst)
    api_key = ApiKey.objects.get()
    assert api_key.last_used_at is None
    before = timezone.now()
    _client(key).get("/api/participants/")
    api_key.refresh_from_db()
    assert api_key.last_used_at >= before
    read = AuditEntry.objects.get(action="api.read")
    assert read.detail["key"] == key[4:12]


def test_a_session_read_names_no_key(org_a, login):
    login(org_a, "analyst").get("/api/participants/")
    assert "key" not in AuditEntry.objects.get(action="api.read").detail


def test_the_key_page_shows_the_name_of_the_key_but_never_the_key(org_a, login):
    client = login(org_a, "analyst")
    made = client.post("/api/key/", {"action": "create"}).content.decode()
    key = FORM.search(made)[0]
    page = client.get("/api/key/").content.decode()
    assert key not in page and key[13:] not in page
    assert f"emp_{key[4:12]}_" in page


def test_the_command_prints_a_working_key_once(analyst):
    out = StringIO()
    call_command("api_token", "amina", stdout=out)
    key = FORM.search(out.getvalue())[0]
    assert _client(key).get("/api/participants/").status_code == 200
    out = StringIO()
    call_command("api_token", "amina", "--revoke", stdout=out)
    assert key not in out.getvalue()
    assert _client(key).get("/api/participants/").status_code == 403


def test_the_upgrade_deletes_the_old_plain_text_tokens(db):
    """Databases from before hashed keys hold DRF's token table with keys in clear: the
    migration drops it and forgets its migrations."""
    import importlib
    from types import SimpleNamespace

    migration = importlib.import_module("empower.web.api.migrations.0001_api_keys")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
                       "created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('9944b09199c62bcf9418ad846dd0e4bb"
                       "dfc6ee4b', CURRENT_TIMESTAMP, 1)")
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES "
                       "('authtoken', '0001_initial', CURRENT_TIMESTAMP)")
        editor = SimpleNamespace(connection=connection, execute=cursor.execute,
                                 quote_name=connection.ops.quote_name)
        migration.drop_plain_text_tokens(None, editor)
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    assert "authtoken_token" not in connection.introspection.table_names()
    migration.drop_plain_text_tokens(None, editor)  # nothing left: does nothing
