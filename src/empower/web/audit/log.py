"""Writing to and checking the audit trail.

Views call :func:`record` for every view of identifying data, every export and download and
every consent or permission change; logins and logouts are recorded by ``signals``::

    from empower.web.audit.log import Action, record

    record(Action.VIEW_IDENTIFYING, request=request,
           target_type="participant", target_id=participant.code)

Never put names, narratives or any text a user typed into ``detail``: the audit trail is kept
when a person is erased, so it must hold nothing that identifies them.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext_lazy as _

from . import guards, sealing
from .checkpoints import Checkpoint
from .models import GENESIS_HASH, AuditEntry, ChainHead

logger = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that serialises appends ("EMPOWERA" in ASCII).
ADVISORY_LOCK_KEY = 0x454D504F57455241
HEAD_PK = 1
#: Limits that keep entries small and free of pasted text.
MAX_DETAIL_CHARS = 2000
MAX_DETAIL_STRING = 200
USER_AGENT_CHARS = 200


class Action(StrEnum):
    LOGIN_SUCCESS = "login.success"
    #: The password was right; the code of two-step login (or setting it up) is still to come.
    LOGIN_PASSWORD_OK = "login.password_ok"
    LOGIN_FAILURE = "login.failure"
    LOGOUT = "logout"
    VIEW_IDENTIFYING = "person.view_identifying"
    VIEW_NARRATIVE = "person.view_narrative"
    EXPORT = "export"
    DOWNLOAD = "download"
    CONSENT_GIVEN = "consent.given"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    PERMISSION_CHANGE = "permission.change"
    MEMBER_ADDED = "member.added"
    PERSON_ERASED = "person.erased"
    BACKUP = "backup"
    RESTORE = "restore"
    KEY_ROTATED = "key.rotated"
    AUDIT_VIEWED = "audit.viewed"
    IMPORT = "import"
    API_TOKEN = "api.token"
    API_READ = "api.read"
    #: Written by record() itself when it found the chain head missing; verify reports it.
    CHAIN_HEAD_REBUILT = "audit.head_rebuilt"
    #: Written once, by the migration that sealed the existing entries with a key.
    CHAIN_RESEALED = "audit.resealed"


#: What each action means, in words an administrator reads in the audit page.
ACTION_LABELS: dict[str, Any] = {
    Action.LOGIN_SUCCESS: _("Logged in"),
    Action.LOGIN_PASSWORD_OK: _("Gave the right password; the two-step code is still needed"),
    Action.LOGIN_FAILURE: _("Failed login"),
    Action.LOGOUT: _("Logged out"),
    Action.VIEW_IDENTIFYING: _("Saw identifying details"),
    Action.VIEW_NARRATIVE: _("Read interview notes"),
    Action.EXPORT: _("Exported data"),
    Action.DOWNLOAD: _("Downloaded a file"),
    Action.CONSENT_GIVEN: _("Recorded consent"),
    Action.CONSENT_WITHDRAWN: _("Recorded withdrawal of consent"),
    Action.PERMISSION_CHANGE: _("Changed someone's role or access"),
    Action.MEMBER_ADDED: _("Added a person to the team"),
    Action.PERSON_ERASED: _("Erased a participant's data"),
    Action.BACKUP: _("Made a backup"),
    Action.RESTORE: _("Restored a backup"),
    Action.KEY_ROTATED: _("Changed the encryption key"),
    Action.AUDIT_VIEWED: _("Looked at the audit trail"),
    Action.IMPORT: _("Imported interviews from a data-collection tool"),
    Action.API_TOKEN: _("Created or revoked an access key for the API"),
    Action.API_READ: _("Read records through the API"),
    Action.CHAIN_HEAD_REBUILT: _("Found the audit trail damaged (its end marker was missing)"),
    Action.CHAIN_RESEALED: _("Sealed the earlier audit trail with the key"),
}


#: Kinds of record an entry can point at.
TARGET_LABELS: dict[str, Any] = {
    "participant": _("Participant"),
    "user": _("Account"),
    "consent": _("Consent record"),
    "assessment": _("Interview"),
    "report": _("Report"),
    "instrument": _("Instrument"),
    "import": _("Import of interviews"),
    "export": _("Export"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def target_label(target_type: str) -> str:
    return str(TARGET_LABELS.get(target_type, target_type))


# --- writing -------------------------------------------------------------------------------


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    organisation: Any = None,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail and return it.

    ``request`` supplies the actor (when logged in), the organisation, the IP address and the
    browser; ``actor`` and ``organisation`` given explicitly win. Works inside a caller's
    transaction (the entry then commits or rolls back with it) and on its own.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if organisation is None and request is not None:
        organisation = getattr(request, "organisation", None)
    if organisation is None and actor is not None:
        organisation = _organisation_of(actor)
    return append(
        action, actor=actor, organisation=organisation,
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        target_type=target_type, target_id=target_id, detail=detail,
    )


def append(
    action: str,
    *,
    actor: Any,
    organisation: Any,
    ip: str | None,
    user_agent: str,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry with exactly these values (``record`` works them out from a request)."""
    action = str(action)
    if not action or len(action) > 50:
        raise ValueError("An audit action is a short name such as 'export'.")
    entry = AuditEntry(
        actor=actor,
        actor_username=actor.get_username()[:150] if actor is not None else "",
        organisation=organisation,
        organisation_slug=organisation.slug if organisation is not None else "",
        action=action,
        target_type=str(target_type)[:50],
        target_id=str(target_id)[:100],
        detail=clean_detail(detail),
        ip=_valid_ip(ip) if ip else None,
        user_agent=user_agent[:USER_AGENT_CHARS],
    )
    with transaction.atomic():
        head, rebuilt = _locked_head()
        if rebuilt:
            _link(AuditEntry(action=Action.CHAIN_HEAD_REBUILT, detail={}), head)
        _link(entry, head)
    return entry


def _link(entry: AuditEntry, head: ChainHead) -> None:
    """Number, chain and save ``entry`` after ``head``, and move the head to it."""
    entry.sequence = head.last_sequence + 1
    entry.prev_hash = head.last_hash
    entry.at = timezone.now()
    entry.key_id = sealing.current_key_id()
    entry.hash = entry.compute_hash()  # type: ignore[assignment]  # the newest key is in the ring
    entry._chained = True  # type: ignore[attr-defined]
    entry.save()
    head.last_sequence, head.last_hash = entry.sequence, entry.hash
    head.save()


def _organisation_of(user: Any) -> Any:
    from empower.web.accounts.models import Membership

    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    return membership.organisation if membership is not None else None


def _locked_head() -> tuple[ChainHead, bool]:
    """The chain head, locked so that no other writer can append until we commit.

    Also says whether the head had to be rebuilt because it was missing while entries exist
    (the caller then writes that into the trail, so that verification keeps reporting it).
    """
    if connection.vendor == "postgresql":
        # Serialises appenders even while the head row does not exist yet; released at commit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        head = ChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    else:
        # SQLite serialises writers; writing first takes the write lock before we read, so a
        # concurrent writer waits instead of reading the same head.
        ChainHead.objects.filter(pk=HEAD_PK).update(last_sequence=F("last_sequence"))
        head = ChainHead.objects.filter(pk=HEAD_PK).first()
    if head is not None:
        return head, False
    last = AuditEntry.objects.order_by("-sequence").first()
    if last is not None:
        logger.error("Audit chain head was missing; rebuilt from entry %s.", last.sequence)
    head = ChainHead(
        pk=HEAD_PK,
        last_sequence=last.sequence if last else 0,
        last_hash=last.hash if last else GENESIS_HASH,
    )
    head.save(force_insert=True)
    return head, last is not None


def clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """A small JSON object of codes, numbers and short strings, as it will read back."""
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise TypeError("Audit detail must be a dict.")
    text = json.dumps(detail, sort_keys=True, default=str)
    if len(text) > MAX_DETAIL_CHARS:
        raise ValueError("Audit detail is too long; record codes and ids, not text.")
    cleaned = json.loads(text)
    _check_strings(cleaned)
    return cleaned


def _check_strings(value: Any) -> None:
    if isinstance(value, str) and (len(value) > MAX_DETAIL_STRING or "\x00" in value):
        raise ValueError("Audit detail holds a long text; record codes and ids, not text.")
    if isinstance(value, float):
        # PostgreSQL may give a float back in another notation (1e+20 as 100000000000000000000),
        # which would change the hash; counts and ids are integers anyway.
        raise TypeError("Audit detail takes integers and short strings, not decimals.")
    if isinstance(value, dict):
        for item in value.values():
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_CHARS]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind a trusted proxy its X-Forwarded-For.

    ``EMPOWER_TRUSTED_PROXY`` lists the proxies' addresses (comma-separated, or ``*`` for any);
    X-Forwarded-For is read only when the request comes from one of them, right to left,
    skipping the trusted proxies, because anything left of them is what the client claimed.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    trusted = _trusted_proxies()
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not trusted or not forwarded or not _is_trusted(remote, trusted):
        return remote
    for hop in reversed([h.strip() for h in forwarded.split(",")]):
        address = _valid_ip(hop)
        if address is None:
            break
        if not _is_trusted(address, trusted):
            return address
    return remote


def _trusted_proxies() -> set[str]:
    setting = getattr(settings, "EMPOWER_TRUSTED_PROXY", None) or ()
    if isinstance(setting, str):
        setting = setting.split(",")
    proxies = {p.strip() for p in setting if p.strip()}
    return {p if p == "*" else (_valid_ip(p) or p) for p in proxies}


def _is_trusted(address: str | None, trusted: set[str]) -> bool:
    return address is not None and ("*" in trusted or address in trusted)


def _valid_ip(value: str) -> str | None:
    """The address written the way Django writes it (IPv6 compressed, lower case), or None."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


# --- checking ------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    #: what could not be checked without being a sign of tampering (a rotated-out key)
    notes: list[str] = field(default_factory=list)
    #: how many checkpoints were compared with the chain
    checkpoints: int = 0


@dataclass
class _Span:
    """Entries sealed with one key that is not in the key ring."""

    first: int
    last: int
    count: int = 1

    def text(self, singular: str, plural: str) -> str:
        """"Entry 4 <singular>" or "3 entries between 4 and 9 <plural>"."""
        if self.count == 1:
            return f"Entry {self.first} {singular}"
        return f"{self.count} entries between {self.first} and {self.last} {plural}"


#: Columns verify reads: everything sealed, and the seal.
_VERIFIED_COLUMNS = [
    "sequence", "at", "actor", "actor_username", "organisation", "organisation_slug", "action",
    "target_type", "target_id", "detail", "ip", "user_agent", "key_id", "prev_hash", "hash",
]


class _Walk:
    """Checks entries one by one in sequence order and gathers what it finds."""

    def __init__(self, checkpoints: Sequence[Checkpoint]) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.checked = 0
        self.expected = 1
        self.prev_hash = GENESIS_HASH
        self.unkeyed: dict[str, _Span] = {}
        #: key id → entry number of a sealed ``key.rotated`` entry that rotated it out
        self.retired: dict[str, int] = {}
        self.waiting: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            self.waiting.setdefault(checkpoint.sequence, []).append(checkpoint)

    def add(self, entry: AuditEntry) -> None:
        self.checked += 1
        self._check_position(entry)
        sealed = self._check_seal(entry)
        self._check_markers(entry, sealed)
        for checkpoint in self.waiting.pop(entry.sequence, []):
            if entry.hash != checkpoint.hash:
                self.problems.append(
                    f"Entry {entry.sequence} is not the entry checkpointed at {checkpoint.at} "
                    f"({checkpoint.source}): the trail was rewritten from there or earlier."
                )
        self.expected = entry.sequence + 1
        self.prev_hash = entry.hash

    def _check_position(self, entry: AuditEntry) -> None:
        if entry.sequence > self.expected:
            missing = (
                f"{self.expected}" if entry.sequence == self.expected + 1
                else f"{self.expected}–{entry.sequence - 1}"
            )
            self.problems.append(f"Entries missing before entry {entry.sequence}: {missing}.")
        elif entry.sequence < self.expected:
            self.problems.append(f"Entry {entry.sequence} is out of order.")
        if entry.prev_hash != self.prev_hash:
            self.problems.append(
                f"Entry {entry.sequence} does not link to the entry before it "
                "(an entry before it was deleted, changed or replaced)."
            )

    def _check_seal(self, entry: AuditEntry) -> bool:
        """Whether the seal was checked and is right (False when it could not be checked)."""
        expected = entry.compute_hash()
        if expected is None:
            span = self.unkeyed.get(entry.key_id)
            if span is None:
                self.unkeyed[entry.key_id] = _Span(entry.sequence, entry.sequence)
            else:
                span.last, span.count = entry.sequence, span.count + 1
            return False
        if not sealing.same(expected, entry.hash):
            self.problems.append(f"Entry {entry.sequence} was changed after it was written.")
            return False
        return True

    def _check_markers(self, entry: AuditEntry, sealed: bool) -> None:
        if entry.action == Action.CHAIN_HEAD_REBUILT:
            self.problems.append(
                f"The chain head was missing before entry {entry.sequence} and was rebuilt; "
                "the newest entries before it may have been deleted."
            )
        if not sealed:
            return
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        if entry.action == Action.KEY_ROTATED:
            for kid in detail.get("old_key_ids") or []:
                self.retired.setdefault(str(kid), entry.sequence)
        if entry.action == Action.CHAIN_RESEALED and detail.get("old_problems"):
            findings = "; ".join(str(f) for f in detail.get("old_findings") or [])
            self.problems.append(
                f"Before entry {entry.sequence} sealed the trail with a key, the check of the "
                f"time found {detail['old_problems']} problem(s): {findings}."
            )

    def finish_keys(self) -> None:
        for kid, span in self.unkeyed.items():
            retired_at = self.retired.get(kid)
            if retired_at is not None and span.last < retired_at:
                self.notes.append(
                    f"{span.text('was', 'were')} sealed with key {kid}, which entry "
                    f"{retired_at} rotated out and which is no longer in the key ring: their "
                    "links were checked, their contents were not. Add that key to the ring to "
                    "check them."
                )
                continue
            why = (
                "was never rotated out" if retired_at is None
                else f"was rotated out by entry {retired_at}, before entry {span.last}"
            )
            self.problems.append(
                f"{span.text('names', 'name')} {f'key {kid}' if kid else 'no key'}, which is "
                f"not in the key ring and {why}: {'it' if span.count == 1 else 'they'} cannot "
                "be checked, and may be forged or come from another installation."
            )

    def finish_checkpoints(self) -> None:
        for sequence, waiting in sorted(self.waiting.items()):
            if sequence == 0:
                continue  # a checkpoint of an empty trail
            for checkpoint in waiting:
                self.problems.append(
                    f"Entry {sequence}, checkpointed at {checkpoint.at} ({checkpoint.source}), "
                    "is missing: the trail was emptied or cut back."
                )

    def check_head(self, head: ChainHead | None) -> tuple[int, str]:
        last_sequence = self.expected - 1
        if head is None:
            if self.checked:
                self.problems.append("The chain head record is missing.")
            return last_sequence, self.prev_hash
        if head.last_sequence > last_sequence:
            self.problems.append(
                f"The newest entries were deleted: the chain head is entry "
                f"{head.last_sequence} but the last entry is {last_sequence}."
            )
        elif head.last_sequence < last_sequence:
            self.problems.append(
                f"Entries were added behind the chain head: the head is entry "
                f"{head.last_sequence} but the last entry is {last_sequence}."
            )
        elif head.last_hash != self.prev_hash:
            self.problems.append(
                f"The last entry ({last_sequence}) is not the one the chain head recorded."
            )
        return head.last_sequence, head.last_hash


def _checkpoint_signatures(checkpoints: Sequence[Checkpoint], walk: _Walk) -> None:
    for checkpoint in checkpoints:
        valid = checkpoint.signature_ok()
        if valid is None and checkpoint.key_id in walk.retired:
            walk.notes.append(
                f"The checkpoint in {checkpoint.source} was signed with key "
                f"{checkpoint.key_id}, which was rotated out: its signature was not checked."
            )
        elif valid is None:
            walk.problems.append(
                f"The checkpoint in {checkpoint.source} names key {checkpoint.key_id}, which "
                "is not in the key ring: its signature cannot be checked."
            )
        elif not valid:
            walk.problems.append(
                f"The checkpoint in {checkpoint.source} is not signed with this installation's "
                "key: it was made up or edited."
            )


@contextmanager
def _snapshot() -> Iterator[None]:
    """Read the entries and the head as of one moment, while the site keeps appending."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def verify_chain(checkpoints: Sequence[Checkpoint] = ()) -> VerifyResult:
    """Check every entry's seal and link in sequence order, the end against the chain head,
    every checkpoint against the entry it names, and that the database's guards are on.

    Finds an edited entry (its seal no longer matches, and without the key no one can make a
    new one), a deleted or inserted entry (a gap, or a ``prev_hash`` that is not the previous
    entry's seal), deleted newest entries (the chain ends before the head says it does) and,
    with checkpoints, a trail that was cut back or emptied with its head moved to match.
    """
    walk = _Walk(checkpoints)
    with _snapshot():
        entries = AuditEntry.objects.order_by("sequence").only(*_VERIFIED_COLUMNS)
        for entry in entries.iterator(chunk_size=2000):
            walk.add(entry)
        head = ChainHead.objects.filter(pk=HEAD_PK).first()
        missing_guards = guards.missing(connection)
    walk.finish_keys()
    walk.finish_checkpoints()
    _checkpoint_signatures(checkpoints, walk)
    head_sequence, head_hash = walk.check_head(head)
    if missing_guards:
        walk.problems.append(
            "The database's guard against changing the audit trail is off or missing "
            f"({', '.join(missing_guards)}): someone switched it off, or a change to the "
            "tables dropped it."
        )
    return VerifyResult(
        ok=not walk.problems, checked=walk.checked, problems=walk.problems,
        head_sequence=head_sequence, head_hash=head_hash, notes=walk.notes,
        checkpoints=len(checkpoints),
    )


def chain_head() -> tuple[int, str]:
    """The current sequence number and hash at the end of the chain."""
    head = ChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None:
        return 0, GENESIS_HASH
    return head.last_sequence, head.last_hash
