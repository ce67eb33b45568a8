"""``empower backup`` and ``empower restore``: every row comes back; a wrong key, a wrong
passphrase, a changed file or a database in use changes nothing."""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from empower.instruments import get_instrument
from empower.web import backup, crypto
from empower.web.accounts.models import Organisation
from empower.web.assessments.recording import record_assessment
from empower.web.management.commands import backup as backup_command
from empower.web.people.models import Participant

PASSPHRASE = "river lantern copper seventeen"
IDENTIFYING = [
    "Thida Aung Kyaw 773190", "+95 9 4455 1234", "Hlaing Tharyar lane 5",
    "My aunt Daw Khin Hnin Yu 991158 took me in", "ဒေါ်ခင်နှင်းယု",
]
#: Not in a backup, by design (see backup.EXCLUDED_APPS): the test lists them independently.
NOT_BACKED_UP_APPS = {"contenttypes", "sessions", "admin", "axes"}
#: Stored report results are computed again from the restored data on first view.
NOT_BACKED_UP_MODELS = {"auth.permission", "reportcache.cachedresult", "reportcache.dataversion"}


@pytest.fixture(autouse=True)
def _fresh_ring():
    crypto.reset_key_ring()
    yield
    crypto.reset_key_ring()


@pytest.fixture
def no_audit(monkeypatch):
    """Leave the audit trail out of it, so that before and after can be compared exactly."""
    monkeypatch.setattr(backup, "audit", lambda *args, **kwargs: None)
    monkeypatch.setattr(backup_command, "audit", lambda *args, **kwargs: None)


@pytest.fixture
def seeded(transactional_db, make_org, make_member, make_participant):
    """Two organisations with staff, participants, contact details, interviews, notes."""
    instrument = get_instrument("empowerment-interview", "2.0")
    group = Group.objects.create(name="data-protection-officers")
    group.permissions.add(Permission.objects.get(codename="view_user"))
    for n, slug in enumerate(["org-a", "org-b"]):
        organisation = make_org(slug)
        admin = make_member(organisation, "admin")
        admin.groups.add(group)
        admin.user_permissions.add(Permission.objects.get(codename="change_user"))
        interviewer = make_member(organisation, "interviewer")
        for k in range(3):
            participant = make_participant(
                organisation, name=IDENTIFYING[0] if n == k == 0 else f"Person {n}{k}",
                phone=IDENTIFYING[1] if k == 1 else "", address=IDENTIFYING[2],
                region_of_origin="Mon", exploitation_types=["labour_trafficking"],
                created_by=interviewer,
            )
            record_assessment(
                participant=participant, instrument=instrument,
                conducted_on=date.today(), language="my",
                interviewer=interviewer,
                answers={"rating__healing": 7, "rating__purpose": 1 + k,
                         "rating__inner_peace": 10, "rating__self_capacity": 3},
                narratives={"note__family": IDENTIFYING[3], "note__community": IDENTIFYING[4]},
            )
    try:
        from empower.web.audit.log import record
    except ImportError:
        pass
    else:
        for user in get_user_model().objects.all()[:3]:
            record("login.success", actor=user)
        record("export", detail={"format": "csv", "rows": 12})


def models_in_a_backup() -> list:
    return [
        m for m in apps.get_models()
        if m._meta.app_label not in NOT_BACKED_UP_APPS
        and m._meta.label_lower not in NOT_BACKED_UP_MODELS
        and m._meta.managed and not m._meta.proxy
    ]


def snapshot() -> dict[str, list]:
    """Every row of every model that a backup holds, as the site reads it (decrypted), with
    primary keys, exact timestamps and many-to-many links."""
    rows = {}
    for model in models_in_a_backup():
        objects = serializers.serialize(
            "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
        )
        for item in objects:
            for name, value in item["fields"].items():
                if isinstance(value, list) and name in {
                    f.name for f in model._meta.many_to_many
                }:
                    item["fields"][name] = sorted(value)
        rows[model._meta.label_lower] = objects
    return rows


def empty() -> bool:
    return not any(m._base_manager.exists() for m in models_in_a_backup())


def make_backup(tmp_path, *options: str, stdin: str | None = None):
    path = tmp_path / "empower.backup"
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command("backup", str(path), *options, stdout=io.StringIO(), **extra)
    return path


def flush() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert empty()


def test_the_backup_covers_every_model_but_the_rebuilt_ones():
    assert set(backup.backed_up_models()) == set(models_in_a_backup())


def test_round_trip_restores_every_row(seeded, no_audit, tmp_path):
    before = snapshot()
    assert len(before["people.participant"]) == 6
    assert len(before["assessments.assessment"]) == 6
    assert len(before["auth.user"]) == 4
    assert before["people.participant"][0]["fields"]["name"] == IDENTIFYING[0]
    path = make_backup(tmp_path)
    flush()
    out = io.StringIO()

    call_command("restore", str(path), stdout=out)

    assert snapshot() == before
    assert "every row count matches" in out.getvalue()
    assert "people.participant" in out.getvalue()
    # New rows get new ids after the restored ones (sequences reset on PostgreSQL).
    organisation = Organisation.objects.create(slug="after", name="After")
    participant = Participant.objects.create(organisation=organisation, name="New")
    assert participant.pk > max(row["pk"] for row in before["people.participant"])


def test_restored_values_are_encrypted_with_the_restoring_installations_key(
    seeded, no_audit, tmp_path, monkeypatch
):
    before = snapshot()
    path = make_backup(tmp_path, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    flush()
    # The data key is lost: a new installation with a new key, and the passphrase.
    new_key = crypto.new_key()
    monkeypatch.setenv("EMPOWER_DATA_KEY", new_key)
    crypto.reset_key_ring()

    call_command("restore", str(path), "--passphrase-stdin", stdin=io.StringIO(PASSPHRASE),
                 stdout=io.StringIO())

    assert snapshot() == before
    new_id = crypto.key_id(crypto.key_ring().primary)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM people_participant")
        assert all(row[0].startswith(f"enc1:{new_id}:") for row in cursor.fetchall())


def test_the_archive_holds_no_identifying_text(seeded, tmp_path):
    for options, stdin in [((), None), (("--passphrase-stdin",), PASSPHRASE)]:
        data = make_backup(tmp_path, *options, "--overwrite", stdin=stdin).read_bytes()
        assert data.startswith(backup.MAGIC)
        for text in [*IDENTIFYING, "Thida", "773190", "Hlaing", "991158", "Khin Hnin"]:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert text.encode(encoding) not in data
        for code in Participant.objects.values_list("code", flat=True):
            assert code.encode() not in data


def test_the_archive_is_written_for_its_owner_only(seeded, tmp_path):
    path = make_backup(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    with pytest.raises(CommandError, match="exists already"):
        make_backup(tmp_path)


def test_wrong_passphrase_is_refused_and_nothing_written(seeded, tmp_path):
    path = make_backup(tmp_path, "--passphrase-stdin", stdin=PASSPHRASE)
    flush()
    with pytest.raises(CommandError, match="the passphrase is wrong"):
        call_command("restore", str(path), "--passphrase-stdin",
                     stdin=io.StringIO("river lantern copper eighteen"), stdout=io.StringIO())
    assert empty()
    with pytest.raises(CommandError, match="protected by a passphrase"):
        call_command("restore", str(path), stdin=io.StringIO(""), stdout=io.StringIO())
    assert empty()


def test_a_backup_under_a_key_not_in_the_ring_is_refused(seeded, tmp_path, monkeypatch):
    path = make_backup(tmp_path)
    kid = crypto.key_id(crypto.key_ring().primary)
    flush()
    monkeypatch.setenv("EMPOWER_DATA_KEY", crypto.new_key())
    crypto.reset_key_ring()
    with pytest.raises(CommandError, match=f"data key {kid}, which is not in this installation"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert empty()


def test_a_short_passphrase_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="too short"):
        make_backup(tmp_path, "--passphrase-stdin", stdin="short\n")
    assert list(tmp_path.iterdir()) == []


def _flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


@pytest.mark.parametrize("where", ["magic", "header", "key id", "nonce", "body", "tag", "cut"])
def test_a_changed_or_damaged_archive_is_refused_and_nothing_written(seeded, tmp_path, where):
    path = make_backup(tmp_path)
    data = path.read_bytes()
    header_end = data.index(b"\n", len(backup.MAGIC)) + 1
    damaged = {
        "magic": lambda: _flip(data, 3),
        "header": lambda: data.replace(b'"format":1', b'"format":1 ', 1),
        "key id": lambda: _flip(data, data.index(b'"key_id":"') + 11),
        "nonce": lambda: _flip(data, header_end + 2),
        "body": lambda: _flip(data, (header_end + len(data)) // 2),
        "tag": lambda: _flip(data, len(data) - 1),
        "cut": lambda: data[: len(data) - 100],
    }[where]()
    path.write_bytes(damaged)
    flush()
    with pytest.raises(CommandError) as error:
        call_command("restore", str(path), stdout=io.StringIO())
    message = str(error.value)
    assert any(words in message for words in (
        "not an Empower backup", "changed or damaged", "header cannot be read",
        "not in this installation's key ring",
    )), message
    if where in {"header", "nonce", "body", "tag", "cut"}:
        assert "changed or damaged" in message
    assert empty()


def test_restore_into_a_database_in_use_is_refused(seeded, no_audit, tmp_path):
    path = make_backup(tmp_path)
    before = snapshot()
    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore", str(path), stdout=io.StringIO())
    assert snapshot() == before


def test_check_reads_the_archive_and_writes_nothing(seeded, tmp_path):
    path = make_backup(tmp_path)
    flush()
    out = io.StringIO()
    call_command("restore", str(path), "--check", stdout=out)
    assert "is readable" in out.getvalue()
    assert "people.participant" in out.getvalue()
    assert empty()


def test_a_failure_while_loading_leaves_the_database_empty(seeded, no_audit, tmp_path):
    path = make_backup(tmp_path)
    archive = backup.read_backup(path)
    flush()
    archive["manifest"]["counts"]["people.participant"] += 1  # as if a row had gone missing
    with pytest.raises(backup.BackupError, match=r"people\.participant: 6 rows instead of 7"):
        backup.restore(archive)
    assert empty()


def test_a_backup_from_a_newer_database_is_refused(seeded, tmp_path):
    path = make_backup(tmp_path)
    archive = backup.read_backup(path)
    flush()
    archive["manifest"]["migrations"]["people"].append("9999_from_the_future")
    with pytest.raises(backup.BackupError, match=r"people\.9999_from_the_future"):
        backup.restore(archive)
    assert empty()


def test_times_keep_their_microseconds(seeded, no_audit, tmp_path):
    moment = timezone.now().replace(microsecond=123456)
    Participant.objects.filter(pk=Participant.objects.first().pk).update(created_at=moment)
    path = make_backup(tmp_path)
    flush()
    call_command("restore", str(path), stdout=io.StringIO())
    assert Participant.objects.filter(created_at=moment).count() == 1


def test_the_audit_trail_is_restored_verbatim_and_still_verifies(seeded, tmp_path):
    log = pytest.importorskip("empower.web.audit.log")
    from empower.web.audit.models import AuditEntry

    before = list(AuditEntry.objects.order_by("sequence").values())
    assert before and log.verify_chain().ok
    path = make_backup(tmp_path)
    assert AuditEntry.objects.order_by("sequence").last().action == "backup"
    flush()

    call_command("restore", str(path), stdout=io.StringIO())

    after = list(AuditEntry.objects.order_by("sequence").values())
    assert after[: len(before)] == before
    assert [e["action"] for e in after[len(before):]] == ["restore"]
    result = log.verify_chain()
    assert result.ok, result.problems


@pytest.mark.parametrize("n, r, p", [(2**20, 32, 1), (2**20, 8, 1), (2**17, 8, 16)])
def test_a_header_asking_for_a_costly_key_derivation_is_refused_at_once(
    seeded, tmp_path, n, r, p
):
    # 2**20 · 32 would take 4 GiB of memory and half a minute before the passphrase could even
    # be checked; Empower writes 2**17 · 8 · 1 (128 MiB) and reads at most twice that.
    path = make_backup(tmp_path, "--passphrase-stdin", stdin=PASSPHRASE)
    data = path.read_bytes()
    crafted = data.replace(b'"n":131072', f'"n":{n}'.encode(), 1).replace(
        b'"r":8', f'"r":{r}'.encode(), 1).replace(b'"p":1', f'"p":{p}'.encode(), 1)
    assert crafted != data
    path.write_bytes(crafted)
    flush()
    started = time.monotonic()
    with pytest.raises(CommandError, match="far more than Empower ever uses"):
        call_command("restore", str(path), "--passphrase-stdin",
                     stdin=io.StringIO(PASSPHRASE), stdout=io.StringIO())
    assert time.monotonic() - started < 5  # refused before deriving anything
    assert empty()
