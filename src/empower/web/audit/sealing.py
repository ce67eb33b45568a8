"""Keys for the audit trail: entries are sealed, and checkpoints signed, with HMAC-SHA256.

The keys are derived from the data-encryption keys (``empower.web.crypto``) with HKDF-SHA256,
one purpose per ``info`` string, so an audit key never has to be stored anywhere: whoever can
read the database alone cannot recompute a seal. Each sealed entry and each checkpoint names
the data key it was made with by that key's id (the same 8 hex digits as in ciphertexts), so
that after a key rotation older entries are still checked with the older key while it is in
the key ring.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from empower.web import crypto

#: HKDF ``info`` of the key that seals entries; never reused for anything else.
CHAIN_INFO = b"empower audit chain v2"
#: HKDF ``info`` of the key that signs checkpoints kept outside the database.
CHECKPOINT_INFO = b"empower audit checkpoint v1"


@lru_cache(maxsize=32)
def derive(data_key: bytes, info: bytes) -> bytes:
    """A 256-bit key for one purpose, from one data key (HKDF-SHA256, no salt, RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(data_key)


def current_key_id() -> str:
    """The id of the data key new entries and checkpoints are sealed with (the newest)."""
    return crypto.key_id(crypto.key_ring().primary)


def data_key(kid: str) -> bytes | None:
    """The data key with this id, or None when it is not (or no longer) in the key ring."""
    for key in crypto.key_ring().keys:
        if crypto.key_id(key) == kid:
            return key
    return None


def mac(text: str, kid: str, info: bytes) -> str | None:
    """HMAC-SHA256 (hex) of ``text`` under the ``info`` key derived from data key ``kid``;
    None when that data key is not in the ring."""
    key = data_key(kid)
    if key is None:
        return None
    return hmac.new(derive(key, info), text.encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    # Comparing in constant time costs nothing and leaves no timing to measure.
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
