"""API keys, kept only as a hash.

A key looks like ``emp_k3x9q2ab_<43 letters and digits>``:

* ``emp_`` marks it as an Empower key, so secret scanners (and people) recognise one pasted
  into a repository, a chat or a ticket;
* the 8-character **prefix** names the key. It is stored in clear, indexed, and shown on the
  key page and in the audit trail, so a key can be told apart from others without revealing
  it;
* the **secret** is 43 characters drawn from 62, about 256 random bits.

Only the SHA-256 hash of the whole key is stored. A slow password hash (argon2, PBKDF2) is
not needed and would only cost time: slow hashes protect *guessable* secrets (a person's
password) against someone who stole the database and tries likely passwords. A 256-bit random
secret has no likely values; 2^256 guesses are out of reach whatever the hash costs, so a
fast hash protects it as well as a slow one, and lets every request be checked in
microseconds rather than the ~100 ms an argon2 check takes (which would also turn every
request with a made-up key into cheap work for an attacker and dear work for the server).

One active key per person: making a new one revokes the old. Revoked keys stay as rows (the
hash of a dead key opens nothing) so the prefix in an old audit entry can still be traced to
its owner and its dates.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_MARK = "emp"
PREFIX_LENGTH = 8
SECRET_LENGTH = 43  # 43 × log2(62) ≈ 256 bits
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits
KEY_PATTERN = re.compile(
    rf"{KEY_MARK}_(?P<prefix>[a-z0-9]{{{PREFIX_LENGTH}}})_[A-Za-z0-9]{{{SECRET_LENGTH}}}"
)
#: ``last_used_at`` is written at most this often, so that reading the API does not turn
#: every request into a database write.
USE_RESOLUTION = timedelta(minutes=1)


def digest(key: str) -> str:
    """SHA-256 of the whole key, hex: the only form in which a key is stored."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def matching(self, key: str) -> ApiKey | None:
        """The active key ``key`` is, or ``None`` (malformed, unknown or revoked).

        Looked up by its prefix; the hash is then compared in constant time, so the answer
        time does not tell how much of a guessed secret was right.
        """
        found = KEY_PATTERN.fullmatch(key)
        if found is None:
            return None
        candidate = (
            self.active().select_related("user").filter(prefix=found["prefix"]).first()
        )
        if candidate is None:  # the prefix is no secret: saying so early gives nothing away
            return None
        return candidate if hmac.compare_digest(candidate.hashed, digest(key)) else None


class ApiKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(_("key name"), max_length=PREFIX_LENGTH, unique=True)
    hashed = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(revoked_at__isnull=True),
                name="api_one_active_key_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{KEY_MARK}_{self.prefix}_…"

    @classmethod
    def create_for(cls, user: Any) -> tuple[ApiKey, str]:
        """A new key row for ``user`` and the key itself, which exists only in the return
        value: the caller shows it once."""
        while True:
            prefix = _random(PREFIX_ALPHABET, PREFIX_LENGTH)
            if not cls.objects.filter(prefix=prefix).exists():
                break
        key = f"{KEY_MARK}_{prefix}_{_random(SECRET_ALPHABET, SECRET_LENGTH)}"
        return cls.objects.create(user=user, prefix=prefix, hashed=digest(key)), key

    def mark_used(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= USE_RESOLUTION:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
