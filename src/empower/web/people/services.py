"""What happens when consent is withdrawn or a person asks to be erased.

Kept out of the views so that the same rules hold wherever they are triggered (site, command
line, API later): withdrawal takes effect at once, and pending referrals that depend on consent
are cancelled in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from empower.web.audit.log import Action, record
from empower.web.reportcache.cache import forget

from .models import ConsentDecision, Participant, Referral, ReferralStatus

OPEN_REFERRALS = (ReferralStatus.NEEDED,)


def withdraw(
    participant: Participant, decisions: list[ConsentDecision], *, request: Any = None
) -> int:
    """Withdraw ``decisions`` now. Returns how many were withdrawn (already withdrawn ones are
    left as they were)."""
    now = timezone.now()
    user = getattr(request, "user", None)
    withdrawn = 0
    with transaction.atomic():
        for decision in decisions:
            if decision.agreed and decision.withdrawn_at is None:
                decision.withdrawn_at = now
                decision.withdrawal_recorded_by = user if user and user.is_authenticated else None
                decision.save(update_fields=["withdrawn_at", "withdrawal_recorded_by"])
                withdrawn += 1
                record(
                    Action.CONSENT_WITHDRAWN, request=request, target_type="participant",
                    target_id=participant.code,
                    detail={"purpose": decision.purpose, "consent": decision.consent_id},
                )
        cancel_referrals_without_consent(participant, request=request)
    return withdrawn


def cancel_referrals_without_consent(participant: Participant, *, request: Any = None) -> int:
    """Cancel every referral not yet made once no referral consent is in force."""
    if participant.consent_for("referral") is not None:
        return 0
    open_referrals = participant.referrals.filter(status__in=OPEN_REFERRALS)
    count = open_referrals.update(
        status=ReferralStatus.CANCELLED, closed_at=timezone.now(),
        closed_reason="consent_withdrawn",
    )
    if count:
        record(
            Action.CONSENT_WITHDRAWN, request=request, target_type="participant",
            target_id=participant.code, detail={"referrals_cancelled": count},
        )
    return count


def erase(participant: Participant, *, request: Any = None) -> dict[str, int]:
    """Delete the person and everything recorded about them; the audit trail keeps only a
    tombstone naming the code and how many records were removed."""
    counts = {
        "assessments": participant.assessments.count(),
        "consents": participant.consents.count(),
        "referrals": Referral.objects.filter(participant=participant).count(),
    }
    code = participant.code
    with transaction.atomic():
        # Assessments protect the consent they were made under; with the person gone, both go.
        participant.assessments.all().delete()
        organisation = participant.organisation
        participant.delete()
        # Nothing computed from the erased person's answers stays stored.
        forget(organisation)
        record(
            Action.PERSON_ERASED, request=request, target_type="participant", target_id=code,
            detail={"removed": counts},
        )
    return counts
