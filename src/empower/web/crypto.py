"""Encryption of identifying data at rest (AES-256-GCM from ``cryptography``).

Keys
----
The key ring is a list of 256-bit keys; the first encrypts, all of them decrypt, so data
written before a rotation stays readable until it has been re-encrypted. The ring comes from

* ``EMPOWER_DATA_KEY`` – one or more base64url keys separated by commas, newest first; or
* the key file ``EMPOWER_DATA_KEY_FILE`` (default ``var/data.key``), one key per line, newest
  first. When neither exists, a key file is created on first use and a warning says to back it
  up: without the key, encrypted data cannot be recovered by anyone.

Ciphertext format
-----------------
``enc1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`` where the key id is the first 8 hex
digits of SHA-256 of the key, and the nonce is 12 random bytes. The field's name is bound in as
associated data, so a ciphertext copied from one field into another does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc1"
NONCE_BYTES = 12
TAG_BYTES = 16


class EncryptionKeyError(Exception):
    """The key ring is missing, malformed, or does not hold the key a value was written with."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A fresh random 256-bit key, base64url-encoded."""
    return _b64encode(secrets.token_bytes(32))


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[bytes, ...]

    @classmethod
    def parse(cls, texts: list[str], source: str) -> KeyRing:
        keys = []
        for n, text in enumerate(t.strip() for t in texts):
            if not text or text.startswith("#"):
                continue
            try:
                key = _b64decode(text)
            except ValueError:
                raise EncryptionKeyError(f"{source}: key {n + 1} is not base64url text.") from None
            if len(key) != 32:
                raise EncryptionKeyError(
                    f"{source}: key {n + 1} is {len(key)} bytes; 32 are needed."
                )
            keys.append(key)
        if not keys:
            raise EncryptionKeyError(f"{source}: no key found.")
        return cls(tuple(keys))

    @property
    def primary(self) -> bytes:
        return self.keys[0]

    def by_id(self, kid: str) -> bytes:
        for key in self.keys:
            if key_id(key) == kid:
                return key
        raise EncryptionKeyError(
            f"Data was encrypted with key {kid}, which is not in the key ring. "
            "Restore the key (from your key backup) before reading this data."
        )


def key_file_path() -> Path:
    configured = os.environ.get("EMPOWER_DATA_KEY_FILE")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "data.key"


KEY_FILE_HEADER = "# Empower data-encryption keys, newest first. Back this file up safely.\n"


def _write_temporary(directory: Path, keys: list[str]) -> Path:
    """The key file's contents in a new file (mode 0600) beside it, flushed to disk."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".data-key-", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(KEY_FILE_HEADER)
        handle.write("\n".join(keys) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


def _sync_directory(directory: Path) -> None:
    # A rename is durable only once the directory itself is on disk: a key that data was
    # encrypted with must not vanish in a power cut.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_key_file(path: Path, keys: list[str]) -> None:
    """Write the key file atomically, readable by its owner only."""
    temporary = _write_temporary(path.parent, keys)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _create_key_file(path: Path) -> bool:
    """Create the key file with one new key unless it exists. True if this call created it.

    Two processes starting at once (web workers, a command) must not each make a key and
    encrypt with it: only one file can win, and the other process reads the winner's key.
    """
    temporary = _write_temporary(path.parent, [new_key()])
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:
        # A file system without hard links: create the file exclusively instead.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as handle:
            handle.write(temporary.read_text())
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(path.parent)
    return True


def _load_ring() -> KeyRing:
    if os.environ.get("EMPOWER_DATA_KEY"):
        return KeyRing.parse(os.environ["EMPOWER_DATA_KEY"].split(","), "EMPOWER_DATA_KEY")
    path = key_file_path()
    if not path.exists() and _create_key_file(path):
        print(
            f"WARNING: a new data-encryption key was created in {path}.\n"
            "Back it up now, somewhere other than this machine: without it, the encrypted "
            "names, contacts and narratives cannot be read by anyone.",
            file=sys.stderr,
        )
    return KeyRing.parse(path.read_text().splitlines(), str(path))


_ring: KeyRing | None = None
_lock = threading.Lock()


def key_ring() -> KeyRing:
    global _ring
    with _lock:
        if _ring is None:
            _ring = _load_ring()
        return _ring


def reset_key_ring() -> None:
    """Forget the cached ring (after a rotation, or in tests that change keys)."""
    global _ring
    with _lock:
        _ring = None


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def encrypt(plaintext: str, context: str, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.primary).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{PREFIX}:{key_id(ring.primary)}:{_b64encode(nonce + sealed)}"


def decrypt(token: str, context: str, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    try:
        prefix, kid, body = token.split(":", 2)
    except ValueError:
        raise EncryptionKeyError(
            f"A stored value for {context} is not in the encrypted format."
        ) from None
    if prefix != PREFIX:
        raise EncryptionKeyError(f"Unknown encryption format '{prefix}'.")
    key = ring.by_id(kid)
    try:
        raw = _b64decode(body)
    except ValueError:
        raw = b""
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise EncryptionKeyError(
            f"A stored value for {context} is damaged: it is not valid encrypted text."
        )
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except InvalidTag:
        raise EncryptionKeyError(
            f"A stored value for {context} failed its integrity check: it was altered, or "
            "moved from another field."
        ) from None
    return plain.decode("utf-8")


def needs_reencryption(token: str, ring: KeyRing | None = None) -> bool:
    ring = ring or key_ring()
    return is_encrypted(token) and token.split(":", 2)[1] != key_id(ring.primary)
