"""Releases to anyone but the organisation's own staff, checked against every earlier one.

The cohort report (page, API, command line) and the files of totals call :func:`decide` each
time they are about to give figures to a viewer, a partner or the public. It compares what
the new figures would say about each group of people with what every earlier release said
(``empower.metrics.privacy.plan_release``) and answers:

* ``new`` — publish (some tables may be withheld); the release is recorded;
* ``same`` — the same figures were released before; publish them again;
* ``held`` — too few people joined or left since an earlier release: the last release for
  this audience is shown again, unchanged, until enough people have changed;
* ``refused`` — held, but this audience never had a release to show again.

The ledger sits where figures leave the organisation, not inside the stored computation:
a stored report is the same for everyone, a release is what a reader actually got.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from django.db import transaction
from django.utils.crypto import salted_hmac

from empower.metrics.privacy import Audience, Contributions, plan_release

from .models import Release


class Decision(NamedTuple):
    kind: str  # "new", "same", "held" or "refused"
    withhold: frozenset[str]
    #: the release now shown: the new or same one, or the earlier one shown again
    release: Release | None
    fewest: dict[str, int]


def sealed(contributions: Contributions) -> dict[str, dict[str, dict[str, str]]]:
    """Contributions with every person and token replaced by a keyed hash (HMAC-SHA256 with
    a key derived from the site's secret key), so that the ledger holds neither ids nor
    scores: two releases still match person for person and value for value."""
    key = salted_hmac("empower.exports.ledger", "release contributions").digest()

    def mark(text: str) -> str:
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]

    out: dict[str, dict[str, dict[str, str]]] = {}
    for table, cells in contributions.items():
        out[table] = {}
        for cell, members in cells.items():
            out[table][cell] = {
                mark(f"person|{person}"): mark(f"{table}|{cell}|{person}|{token}")
                for person, token in members.items()
            }
    return out


def _pack(contributions: Mapping[str, Any]) -> str:
    text = json.dumps(contributions, sort_keys=True, separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def _unpack(packed: str) -> dict[str, Any]:
    return json.loads(zlib.decompress(base64.b64decode(packed)))


def _fingerprint(contributions: Mapping[str, Any]) -> str:
    text = json.dumps(contributions, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def decide(
    organisation: Any, product: str, audience: Audience | str, threshold: int,
    contributions: Contributions,
) -> Decision:
    """Check a release of ``product`` for ``audience`` against every earlier release of the
    organisation to anyone outside its staff, and record it if it is new.

    ``contributions`` are what the release would publish, already sealed (:func:`sealed`)
    and reduced to what its protection leaves visible. Earlier releases to *other* outside
    audiences count too: a board member (viewer) may also read the published report, so the
    pair is checked with the smaller of the two thresholds.
    """
    audience = Audience(audience)
    if audience is Audience.INTERNAL:
        raise ValueError("internal reports are not releases")
    full = _fingerprint(contributions)
    with transaction.atomic():
        earlier = list(Release.objects.filter(organisation=organisation)
                       .order_by("made_at", "pk"))
        own = [r for r in earlier if r.product == product and r.audience == audience]
        # Fast path: nothing was released since this very release (page views repeat).
        if earlier and earlier[-1] in own and earlier[-1].fingerprint == full \
                and not earlier[-1].withheld and earlier[-1].threshold == threshold:
            return Decision("same", frozenset(), earlier[-1], {})
        plan = plan_release(
            contributions, [(_unpack(r.contributions), r.threshold) for r in earlier], threshold
        )
        if plan.hold:
            kind = "held" if own else "refused"
            return Decision(kind, plan.withhold, own[-1] if own else None, plan.fewest)
        kept = {t: c for t, c in contributions.items() if t not in plan.withhold}
        fingerprint = _fingerprint(kept)
        for release in reversed(own):
            if release.fingerprint == fingerprint and release.threshold == threshold \
                    and set(release.withheld) == set(plan.withhold):
                return Decision("same", plan.withhold, release, plan.fewest)
        release = Release.objects.create(
            organisation=organisation, product=product, audience=audience.value,
            threshold=threshold, fingerprint=fingerprint, contributions=_pack(kept),
            withheld=sorted(plan.withhold), figures={},
        )
    return Decision("new", plan.withhold, release, plan.fewest)


def remember(release: Release, key: str, figures: Any) -> None:
    """Keep the figures a release published (under ``key``: a language, or "table"), so that
    they can be shown again while a later release is held back. The first kept stay."""
    if key not in release.figures:
        release.figures = {**release.figures, key: figures}
        release.save(update_fields=["figures"])
