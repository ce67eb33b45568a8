"""Keeping encrypted data readable and recoverable: re-encryption under a new key, encrypted
backups, and restoring them. The commands ``rotate_key``, ``backup`` and ``restore`` are thin
wrappers around this module; ``docs/keys-and-backups.md`` explains them to an operator.

Which data
----------
Encrypted columns are found by type: every concrete field that is an
:class:`~empower.web.fields._Encrypted`, in every model, so a field added later is re-encrypted
without a list to keep up to date. A backup holds every model of every installed app except
``EXCLUDED_APPS`` and ``EXCLUDED_MODELS`` (rebuilt by ``migrate``, or transient).

Backup file, format 1
---------------------
::

    EMPOWER-BACKUP-1\\n
    {"format":1,"kdf":"hkdf-sha256","key_id":"1a2b3c4d","protection":"data-key","salt":"…"}\\n
    nonce (12 bytes) ‖ AES-256-GCM ciphertext of the payload ‖ tag (16 bytes)

The first two lines are the header (ASCII; the second is JSON with sorted keys) and are the
associated data of the encryption, so a changed header fails decryption like a changed body.
The archive key is derived with a fresh random 16-byte ``salt``:

* ``"protection": "data-key"`` – HKDF-SHA256 of the data key whose id is ``key_id`` (the first
  key of the ring when the backup was made), info ``HKDF_INFO``. Restoring needs that key.
* ``"protection": "passphrase"`` – scrypt of the NFC-normalised UTF-8 passphrase with the
  stored parameters ``n``, ``r``, ``p``. Restoring needs only the passphrase.

The payload is gzip-compressed UTF-8 JSON: ``{"manifest": {...}, "objects": [...]}``, where
``objects`` is Django's serialisation ("python" serialiser, natural foreign keys, primary keys
kept) with full-precision times, and ``manifest`` records the row count of every model and
many-to-many link, the applied migrations and the Empower version. Identifying values are
decrypted inside the payload (so the archive can be restored under another key) and therefore
exist only inside the encrypted archive.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import importlib
import importlib.util
import json
import os
import secrets
import tempfile
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone

from . import crypto
from .fields import _Encrypted

#: Called with the number of rows just done, to move a progress bar.
Progress = Callable[[int], None]

MAGIC = b"EMPOWER-BACKUP-1\n"
FORMAT = 1
HKDF_INFO = b"empower backup archive, format 1"
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_HEADER_BYTES = 4096
#: scrypt cost for passphrase backups: 128 MiB of memory and about a third of a second, so that
#: guessing passphrases is slow. Archives store their own values; reading accepts up to MAX_N.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
SCRYPT_MAX_N, SCRYPT_MAX_R, SCRYPT_MAX_P = 2**20, 32, 16
#: A header may ask for at most twice the memory and the work of the values Empower writes: a
#: crafted header could otherwise make `restore` take gigabytes and minutes before refusing.
SCRYPT_MAX_MEMORY = 2 * 128 * SCRYPT_N * SCRYPT_R
SCRYPT_MAX_WORK = 2 * SCRYPT_N * SCRYPT_R * SCRYPT_P
MIN_PASSPHRASE_CHARS = 12

#: Rebuilt by ``migrate`` (content types, permissions), worthless after a restore (sessions,
#: login lock-out counters) or not used (the admin's log).
EXCLUDED_APPS = frozenset({"contenttypes", "sessions", "admin", "axes"})
# Cached reports are recomputed from the data on demand; a backup does not need them.
EXCLUDED_MODELS = frozenset({"auth.permission", "reportcache.cachedresult",
                             "reportcache.dataversion"})

PAGE_ROWS = 500
HEX_DIGITS = "0123456789abcdef"


class BackupError(Exception):
    """A backup cannot be written, read or restored; the message says why and what to do."""


def audit(action: str, **detail: Any) -> None:
    """Record ``action`` in the audit trail, when this installation has one."""
    try:
        found = importlib.util.find_spec("empower.web.audit.log") is not None
    except ModuleNotFoundError:
        found = False
    if found:
        log = importlib.import_module("empower.web.audit.log")
        log.record(action, detail=detail)


# --- encrypted columns and re-encryption -----------------------------------------------------


def encrypted_fields() -> list[tuple[type[Model], list[_Encrypted]]]:
    """Every model with encrypted columns in its own table, with those columns."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = [f for f in meta.local_concrete_fields if isinstance(f, _Encrypted)]
        if columns:
            found.append((model, columns))
    return found


def _pages(model: type[Model], fields: list[_Encrypted]) -> Iterator[list[tuple[Any, ...]]]:
    """The primary key and the stored (still encrypted) text of ``fields``, page by page.

    Raw SQL, because the fields decrypt whatever the ORM reads. Pages follow the primary key,
    so rows updated on the way are never read twice.
    """
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    columns = ", ".join(qn(f.column) for f in fields)
    last: Any = None
    while True:
        params: list[Any] = [] if last is None else [last]
        where = "" if last is None else f" WHERE {pk} > %s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {columns} FROM {table}{where} ORDER BY {pk} LIMIT {PAGE_ROWS}",
                params,
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def encrypted_row_count() -> int:
    return sum(model._base_manager.count() for model, _ in encrypted_fields())


def stored_key_ids() -> Counter[str]:
    """How many stored values each key id has encrypted (read from the raw columns)."""
    counts: Counter[str] = Counter()
    for model, fields in encrypted_fields():
        for rows in _pages(model, fields):
            for _, *tokens in rows:
                for token in tokens:
                    if crypto.is_encrypted(token):
                        counts[token.split(":", 2)[1]] += 1
    return counts


@dataclass
class Reencryption:
    rows: int = 0
    values: int = 0
    by_field: Counter[str] = field(default_factory=Counter)


def reencrypt_all(progress: Progress | None = None) -> Reencryption:
    """Re-encrypt, in one transaction, every stored value not under the ring's first key.

    Values already under the first key are left alone, so running it again after an
    interruption finishes the work. A value that is not encrypted at all stops everything:
    it should not be there, and someone should look at it.
    """
    ring = crypto.key_ring()
    primary = crypto.key_id(ring.primary)
    qn = connection.ops.quote_name
    result = Reencryption()
    with transaction.atomic():
        for model, fields in encrypted_fields():
            table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
            for rows in _pages(model, fields):
                for pk_value, *tokens in rows:
                    changes = []
                    for column, token in zip(fields, tokens, strict=True):
                        if token is None or token == "":
                            continue
                        if not crypto.is_encrypted(token):
                            raise crypto.EncryptionKeyError(
                                f"{column.context} of row {pk_value} is stored without "
                                "encryption; nothing was re-encrypted."
                            )
                        if token.split(":", 2)[1] == primary:
                            continue
                        plain = crypto.decrypt(token, column.context, ring)
                        changes.append((column, crypto.encrypt(plain, column.context, ring)))
                    if changes:
                        assignments = ", ".join(f"{qn(c.column)} = %s" for c, _ in changes)
                        with connection.cursor() as cursor:
                            cursor.execute(
                                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",
                                [token for _, token in changes] + [pk_value],
                            )
                        result.values += len(changes)
                        result.by_field.update(c.context for c, _ in changes)
                    result.rows += 1
                if progress:
                    progress(len(rows))
    return result


# --- what a backup holds ---------------------------------------------------------------------


def backed_up_models() -> list[type[Model]]:
    """The models a backup holds, ordered so that what others refer to comes first."""
    app_list = []
    for config in apps.get_app_configs():
        if config.label in EXCLUDED_APPS:
            continue
        models = [
            m for m in config.get_models()
            if not m._meta.proxy and m._meta.managed
            and m._meta.label_lower not in EXCLUDED_MODELS
        ]
        if models:
            app_list.append((config, models))
    return serializers.sort_dependencies(app_list, allow_cycles=True)


def _links(model: type[Model]) -> list[Any]:
    """The many-to-many fields whose link table belongs to ``model`` (saved with it)."""
    return [f for f in model._meta.local_many_to_many if f.remote_field.through._meta.auto_created]


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but keeping microseconds: it cuts times to milliseconds, which would
    change restored timestamps (and break the audit trail's hash chain)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _applied_migrations(app_labels: set[str]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if app in app_labels:
            applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _version() -> str:
    try:
        return metadata.version("empower")
    except metadata.PackageNotFoundError:
        return "unknown"


def dump(progress: Progress | None = None) -> dict[str, Any]:
    """Everything a backup holds, read in one consistent snapshot of the database."""
    models = backed_up_models()
    outermost = not connection.in_atomic_block
    objects: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    links: dict[str, int] = {}
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Every table as of one moment, even while the site keeps writing.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for model in models:
            label = model._meta.label_lower
            rows = serializers.serialize(
                "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
            )
            objects.extend(rows)
            counts[label] = len(rows)
            for link in _links(model):
                links[f"{label}.{link.name}"] = link.remote_field.through._base_manager.count()
            if progress:
                progress(len(rows))
        migrations = _applied_migrations({m._meta.app_label for m in models})
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "empower_version": _version(),
        "database": connection.vendor,
        "counts": counts,
        "links": links,
        "migrations": migrations,
    }
    return {"manifest": manifest, "objects": objects}


def row_count() -> int:
    """Rows a backup of this database holds now (for a progress bar)."""
    return sum(m._base_manager.count() for m in backed_up_models())


# --- sealing ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _from_data_key(data_key: bytes, salt: bytes) -> bytes:
    # A key of its own per archive: the data key itself never encrypts a backup.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=HKDF_INFO).derive(data_key)


def _from_passphrase(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise BackupError(
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters "
            "(several unrelated words are easy to remember and hard to guess)."
        )


def seal(payload: bytes, passphrase: str | None = None) -> bytes:
    """Header and encrypted payload: the bytes of a backup file."""
    salt = secrets.token_bytes(SALT_BYTES)
    header: dict[str, Any] = {"format": FORMAT, "salt": _b64(salt)}
    if passphrase is None:
        data_key = crypto.key_ring().primary
        header.update(protection="data-key", kdf="hkdf-sha256", key_id=crypto.key_id(data_key))
        key = _from_data_key(data_key, salt)
    else:
        check_passphrase(passphrase)
        header.update(protection="passphrase", kdf="scrypt", n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        key = _from_passphrase(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    head = MAGIC + json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    nonce = secrets.token_bytes(NONCE_BYTES)
    try:
        sealed = AESGCM(key).encrypt(nonce, payload, head)
    except OverflowError:
        raise BackupError("The database is too large for one backup file (over 2 GB).") from None
    return head + nonce + sealed


@dataclass(frozen=True)
class Header:
    raw: bytes
    values: dict[str, Any]

    @property
    def protection(self) -> str:
        return str(self.values["protection"])

    @property
    def key_id(self) -> str | None:
        return self.values.get("key_id")


DAMAGED_HEADER = "The backup file is damaged: its header cannot be read."


def read_header(data: bytes) -> Header:
    """The header of a backup file, checked; ``BackupError`` if it is not one."""
    if not data.startswith(MAGIC):
        if data.startswith(b"EMPOWER-BACKUP-"):
            raise BackupError(
                "This backup was written in a format this version of Empower does not read; "
                "restore it with a newer version."
            )
        raise BackupError("This file is not an Empower backup.")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER_BYTES)
    if end < 0:
        raise BackupError(DAMAGED_HEADER)
    raw = data[: end + 1]
    try:
        values = json.loads(raw[len(MAGIC):end].decode("ascii"))
        _check_header(values)
    except (ValueError, KeyError, TypeError):
        raise BackupError(DAMAGED_HEADER) from None
    return Header(raw, values)


def _check_header(values: Any) -> None:
    if not isinstance(values, dict) or values["format"] != FORMAT:
        raise ValueError
    if len(_unb64(values["salt"])) != SALT_BYTES:
        raise ValueError
    if values["protection"] == "data-key":
        kid = values["key_id"]
        if values["kdf"] != "hkdf-sha256" or len(kid) != 8 or set(kid) - set(HEX_DIGITS):
            raise ValueError
    elif values["protection"] == "passphrase":
        n, r, p = values["n"], values["r"], values["p"]
        if values["kdf"] != "scrypt" or not all(isinstance(v, int) for v in (n, r, p)):
            raise ValueError
        if not (2 <= n <= SCRYPT_MAX_N and n & (n - 1) == 0):
            raise ValueError
        if not (1 <= r <= SCRYPT_MAX_R and 1 <= p <= SCRYPT_MAX_P):
            raise ValueError
        if 128 * n * r > SCRYPT_MAX_MEMORY or n * r * p > SCRYPT_MAX_WORK:
            # Refused before any work: a crafted header must not cost gigabytes and minutes.
            raise BackupError(
                f"The backup's header asks for a passphrase check costing "
                f"{128 * n * r // 2**20:,} MiB of memory and {n * r * p // (SCRYPT_N * SCRYPT_R):,}"
                f" times the usual work, far more than Empower ever uses: the file was not "
                f"written by Empower or was changed. Nothing was restored."
            )
    else:
        raise ValueError


def unseal(data: bytes, passphrase: str | None = None) -> bytes:
    """The payload of a backup file; ``BackupError`` for a wrong key or passphrase, or for any
    change to the file."""
    header = read_header(data)
    salt = _unb64(header.values["salt"])
    if header.protection == "data-key":
        try:
            data_key = crypto.key_ring().by_id(str(header.key_id))
        except crypto.EncryptionKeyError:
            raise BackupError(
                f"This backup was encrypted with data key {header.key_id}, which is not in this "
                "installation's key ring. Put that key back from your key backup (see "
                "docs/keys-and-backups.md), then try again."
            ) from None
        key = _from_data_key(data_key, salt)
        failure = "The backup cannot be decrypted: the file was changed or damaged."
    else:
        if passphrase is None:
            raise BackupError(
                "This backup is protected by a passphrase: give it with --passphrase-stdin."
            )
        values = header.values
        key = _from_passphrase(passphrase, salt, values["n"], values["r"], values["p"])
        failure = (
            "The backup cannot be decrypted: the passphrase is wrong, or the file was changed "
            "or damaged."
        )
    body = data[len(header.raw):]
    if len(body) < NONCE_BYTES + TAG_BYTES:
        raise BackupError(failure)
    try:
        return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], header.raw)
    except InvalidTag:
        raise BackupError(failure) from None


def encode_payload(archive: dict[str, Any]) -> bytes:
    text = json.dumps(archive, cls=_Encoder, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), mtime=0)


def decode_payload(payload: bytes) -> dict[str, Any]:
    try:
        archive = json.loads(gzip.decompress(payload).decode("utf-8"))
        manifest, objects = archive["manifest"], archive["objects"]
        if not isinstance(objects, list) or not isinstance(manifest["counts"], dict):
            raise TypeError
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError):
        raise BackupError(
            "The backup decrypted, but what it holds is not an Empower backup's contents."
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError("This backup's contents are in a format this version cannot read.")
    return archive


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600) completely or not at all."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_backup(
    path: Path,
    *,
    passphrase: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], Header, int]:
    """Write a backup of the whole database to ``path``: its manifest, header and size."""
    if passphrase is not None:
        check_passphrase(passphrase)  # before the work, not after
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already. Choose another name, or add --overwrite.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    archive = dump(progress)
    data = seal(encode_payload(archive), passphrase)
    try:
        _write_private(path, data)
    except OSError as error:
        raise BackupError(f"Cannot write {path}: {error.strerror}.") from None
    return archive["manifest"], read_header(data), len(data)


def read_backup(path: Path, passphrase: str | None = None) -> dict[str, Any]:
    """The decrypted, checked contents of the backup file at ``path``."""
    return decode_payload(unseal(read_file(path), passphrase))


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None


# --- restoring -------------------------------------------------------------------------------


@dataclass
class Restored:
    counts: dict[str, int]
    #: Migrations this database has that the backup's did not (it was made by an older version).
    newer_migrations: list[str]


def _compatibility(manifest: dict[str, Any]) -> list[str]:
    """Refuse a backup this installation cannot hold; list migrations it lacks."""
    unknown = []
    for label in list(manifest["counts"]) + [k.rsplit(".", 1)[0] for k in manifest["links"]]:
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            unknown.append(label)
    if unknown:
        raise BackupError(
            "The backup holds kinds of data this installation does not have "
            f"({', '.join(sorted(set(unknown)))}). Restore it with the Empower version that "
            f"made it ({manifest.get('empower_version', 'unknown')}) or a newer one."
        )
    ours = _applied_migrations(set(manifest["migrations"]))
    theirs = manifest["migrations"]
    missing = [f"{app}.{name}" for app, names in theirs.items()
               for name in names if name not in ours.get(app, [])]
    if missing:
        raise BackupError(
            "The backup was made from a database with changes this one does not have yet "
            f"({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}). Run "
            "`empower migrate`, upgrading Empower first if it is older than the one that "
            "made the backup."
        )
    return [f"{app}.{name}" for app, names in ours.items()
            for name in names if name not in theirs.get(app, [])]


def _load(objects: list[dict[str, Any]], progress: Progress | None) -> list[type[Model]]:
    """Save the objects as they were (primary keys, timestamps, no model save() logic)."""
    loaded: dict[type[Model], None] = {}
    deferred = []
    with connection.constraint_checks_disabled():
        for item in serializers.deserialize("python", objects, handle_forward_references=True):
            item.save(force_insert=True)
            loaded[type(item.object)] = None
            if item.deferred_fields:
                deferred.append(item)
            if progress:
                progress(1)
        for item in deferred:
            item.save_deferred_fields()
    connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
    return list(loaded)


def _reset_sequences(models: list[type[Model]]) -> None:
    # On PostgreSQL the next new row would otherwise get an id that a restored row has.
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _verify_counts(manifest: dict[str, Any]) -> None:
    differences = []
    for label, expected in manifest["counts"].items():
        actual = apps.get_model(label)._base_manager.count()
        if actual != expected:
            differences.append(f"{label}: {actual} rows instead of {expected}")
    for key, expected in manifest["links"].items():
        label, name = key.rsplit(".", 1)
        through = apps.get_model(label)._meta.get_field(name).remote_field.through
        actual = through._base_manager.count()
        if actual != expected:
            differences.append(f"{key}: {actual} links instead of {expected}")
    if differences:
        raise BackupError(
            "After loading, the database does not hold what the backup recorded, so nothing "
            "was restored: " + "; ".join(differences) + "."
        )


def restore(archive: dict[str, Any], progress: Progress | None = None) -> Restored:
    """Load a backup into an empty database, all or nothing, and check every row count."""
    manifest = archive["manifest"]
    newer = _compatibility(manifest)
    try:
        with transaction.atomic():
            occupied = [m._meta.label for m in backed_up_models() if m._base_manager.exists()]
            if occupied:
                raise BackupError(
                    "The database is not empty (it holds "
                    f"{', '.join(occupied[:6])}{' …' if len(occupied) > 6 else ''}). "
                    "Restore only into a new database: create one, run `empower migrate`, "
                    "then `empower restore`."
                )
            loaded = _load(archive["objects"], progress)
            _reset_sequences(loaded)
            _verify_counts(manifest)
            audit("restore", rows=sum(manifest["counts"].values()),
                  made_at=str(manifest.get("created_at", ""))[:40])
    except (DeserializationError, DatabaseError, ValidationError,
            crypto.EncryptionKeyError) as error:
        raise BackupError(
            f"The backup could not be restored, and nothing was changed: {error}"
        ) from error
    return Restored(counts=dict(manifest["counts"]), newer_migrations=newer)
