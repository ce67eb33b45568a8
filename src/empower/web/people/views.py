"""Participant pages: list, create, detail (with the axis chart) and consent."""

from __future__ import annotations

import pandas as pd
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from empower.instruments import library
from empower.instruments.model import text_in
from empower.reports.charts import trajectory_svg
from empower.web.accounts.permissions import CAN_READ_PEOPLE, CAN_RECORD, role_required

from .forms import ConsentForm, ParticipantForm
from .models import Consent, Participant


def get_participant(request: HttpRequest, code: str) -> Participant:
    """The participant with ``code`` in the user's own organisation, or 404."""
    return get_object_or_404(
        Participant.objects.for_organisation(request.organisation), code=code  # type: ignore[attr-defined]
    )


@role_required(*CAN_READ_PEOPLE)
def participant_list(request: HttpRequest) -> HttpResponse:
    participants = Participant.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
    query = request.GET.get("q", "").strip().upper()
    if query:
        participants = participants.filter(code__icontains=query)
    return render(
        request, "people/participant_list.html",
        {"participants": participants[:200], "query": query, "total": participants.count()},
    )


@role_required(*CAN_RECORD)
def participant_create(request: HttpRequest) -> HttpResponse:
    form = ParticipantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        participant = form.save(commit=False)
        participant.organisation = request.organisation  # type: ignore[attr-defined]
        participant.created_by = request.user
        participant.save()
        messages.success(
            request,
            _("Participant %(code)s created. Write the code on the paper form; "
              "record their consent next.") % {"code": participant.code},
        )
        return redirect("consent_create", code=participant.code)
    return render(request, "people/participant_form.html", {"form": form})


@role_required(*CAN_RECORD)
def participant_edit(request: HttpRequest, code: str) -> HttpResponse:
    participant = get_participant(request, code)
    form = ParticipantForm(request.POST or None, instance=participant)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("participant_detail", code=participant.code)
    return render(
        request, "people/participant_form.html", {"form": form, "participant": participant}
    )


def _axis_labels(language: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for instrument in library().values():
        for axis in instrument.axes:
            labels.setdefault(axis.id, text_in(axis.label, language)[0])
    return labels


@role_required(*CAN_READ_PEOPLE)
def participant_detail(request: HttpRequest, code: str) -> HttpResponse:
    participant = get_participant(request, code)
    assessments = list(participant.assessments.prefetch_related("scores"))
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    axis_labels = _axis_labels(language)
    rows = [
        {"date": a.conducted_on, "axis": s.axis, "score": s.score, "instrument": a.instrument_key}
        for a in assessments
        for s in a.scores.all()
        if s.score is not None
    ]
    chart = (
        trajectory_svg(pd.DataFrame(rows), _("Axis scores over time (0–100)"), axis_labels)
        if rows else ""
    )
    axes = list(axis_labels)
    table = [
        {
            "assessment": a,
            "scores": [next((s for s in a.scores.all() if s.axis == axis), None) for axis in axes],
        }
        for a in assessments
    ]
    return render(
        request, "people/participant_detail.html",
        {
            "participant": participant,
            "consents": participant.consents.all(),
            "table": table,
            "axes": [axis_labels[a] for a in axes],
            "chart": chart,
            "instruments": sorted(library().values(), key=lambda i: i.key),
            "has_interview_consent": participant.consent_for("interview") is not None,
        },
    )


@role_required(*CAN_RECORD)
def consent_create(request: HttpRequest, code: str) -> HttpResponse:
    participant = get_participant(request, code)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        consent = form.save(commit=False)
        consent.participant = participant
        consent.recorded_by = request.user
        consent.save()
        messages.success(request, _("Consent recorded."))
        return redirect("participant_detail", code=participant.code)
    return render(
        request, "people/consent_form.html", {"form": form, "participant": participant}
    )


@require_POST
@role_required(*CAN_RECORD)
def consent_withdraw(request: HttpRequest, code: str, consent_id: int) -> HttpResponse:
    participant = get_participant(request, code)
    with transaction.atomic():
        consent = get_object_or_404(
            Consent.objects.select_for_update(), pk=consent_id, participant=participant
        )
        if consent.withdrawn_at is None:
            consent.withdrawn_at = timezone.now()
            consent.withdrawal_recorded_by = request.user
            consent.save(update_fields=["withdrawn_at", "withdrawal_recorded_by"])
    messages.success(request, _("Consent withdrawn. It no longer covers any use from now on."))
    return redirect("participant_detail", code=participant.code)
