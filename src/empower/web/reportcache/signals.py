"""Raise an organisation's data version whenever something a report reads changes.

Connected for every model whose rows feed a report, chart or total. Bulk updates bypass
signals, so code that changes these models with ``QuerySet.update`` calls ``cache.bump``
itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from empower.web.accounts.models import Organisation
from empower.web.assessments.models import Assessment
from empower.web.people.models import Consent, ConsentDecision, Participant, Referral

from .cache import bump


def _organisation_of_participant(participant_id: int | None) -> int | None:
    return (
        Participant.objects.filter(pk=participant_id).values_list("organisation_id", flat=True)
        .first()
    )


def _organisation_of(instance: Any) -> int | None:
    if isinstance(instance, Organisation):
        return instance.pk
    if isinstance(instance, Participant):
        return instance.organisation_id
    if isinstance(instance, Assessment | Consent | Referral):
        return _organisation_of_participant(instance.participant_id)
    if isinstance(instance, ConsentDecision):
        return (
            Consent.objects.filter(pk=instance.consent_id)
            .values_list("participant__organisation_id", flat=True).first()
        )
    return None


WATCHED = (Organisation, Participant, Assessment, Consent, ConsentDecision, Referral)


@receiver(post_save)
@receiver(post_delete)
def data_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if sender in WATCHED:
        bump(_organisation_of(instance))
