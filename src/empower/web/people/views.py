"""Participant pages: list, create, detail (with the axis chart) and consent."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from empower.instruments import library
from empower.instruments.model import text_in
from empower.reports.charts import trajectory_svg
from empower.reports.cohort import RENDERING_VERSION
from empower.web.accounts.models import Role
from empower.web.accounts.permissions import CAN_READ_PEOPLE, CAN_RECORD, role_required
from empower.web.assessments.change import change_bands
from empower.web.assessments.forms import FALLBACK_MARK, fallback_explanation
from empower.web.assessments.models import Assessment, AxisScore
from empower.web.audit.log import Action, record
from empower.web.reportcache.cache import cached

from . import consent_texts
from .consent_texts import purpose_text_in, receipt_text_in
from .forms import ConsentForm, ContactForm, ParticipantForm
from .models import Participant
from .services import erase, withdraw
from .withdrawal import outcome_message, plan_withdrawal, withdrawable


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


def _instrument_titles(language: str) -> dict[str, str]:
    """Each installed question set's title and version, by instrument key."""
    return {
        key: _("%(title)s (version %(version)s)")
        % {"title": text_in(i.title, language)[0], "version": i.version}
        for key, i in library().items()
    }


def _score_cell(score: AxisScore | None) -> dict[str, object]:
    """A score for the table, or why there is none, in plain words."""
    if score is None or (score.score is None and "for this axis" in score.missing_reason):
        return {"score": None, "why": _("This question set does not measure this axis.")}
    if score.score is not None:
        return {"score": score.score, "why": ""}
    if score.missing_reason == "prefer not to say":
        return {"score": None, "why": _("The participant preferred not to say.")}
    if score.missing_reason == "not answered":
        return {"score": None, "why": _("Not answered.")}
    return {"score": None, "why": _("Too few questions were answered for a score.")}


@role_required(*CAN_READ_PEOPLE)
def participant_detail(request: HttpRequest, code: str) -> HttpResponse:
    participant = get_participant(request, code)
    assessments = list(participant.assessments.prefetch_related("scores"))
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    axis_labels = _axis_labels(language)
    titles = _instrument_titles(language)

    def title_of(a: Assessment) -> str:
        return titles.get(a.instrument_key) or _(
            "A question set no longer installed (version %(version)s)"
        ) % {"version": a.instrument_version}

    rows = [
        {"date": a.conducted_on, "axis": s.axis, "score": s.score,
         "instrument": title_of(a)}
        for a in assessments
        for s in a.scores.all()
        if s.score is not None
    ]
    organisation = request.organisation  # type: ignore[attr-defined]
    # The bands come from the whole cohort (computed once per change of the organisation's
    # data); the chart is drawn once for exactly these scores and bands, so it is kept while
    # other people's records change.
    bands = change_bands(organisation, assessments[0]) if len(assessments) > 1 else {}
    drawn_from = json.dumps([rows, bands, axis_labels], sort_keys=True, default=str)
    chart = cached(
        organisation, "participant_chart",
        (participant.pk, language, RENDERING_VERSION,
         hashlib.sha256(drawn_from.encode()).hexdigest()[:32]),
        lambda: trajectory_svg(pd.DataFrame(rows), _("Axis scores over time (0–100)"),
                               axis_labels, bands=bands) if rows else "",
        encode=str, decode=str, versioned=False,
    )
    axes = list(axis_labels)
    table = [
        {
            "assessment": a,
            "title": title_of(a),
            "cells": [
                _score_cell(next((s for s in a.scores.all() if s.axis == axis), None))
                for axis in axes
            ],
        }
        for a in assessments
    ]
    consents = list(participant.consents.prefetch_related("decisions"))
    for consent in consents:
        consent.language_name = CONSENT_LANGUAGES.get(consent.language, "")  # type: ignore[attr-defined]
        consent.can_withdraw = bool(withdrawable(consent))  # type: ignore[attr-defined]
    return render(
        request, "people/participant_detail.html",
        {
            "participant": participant,
            "consents": consents,
            "table": table,
            "axes": [axis_labels[a] for a in axes],
            "chart": chart,
            "bands": bands,
            "instruments": [
                {"id": i.id, "version": i.version, "title_text": text_in(i.title, language)[0]}
                for i in sorted(library().values(), key=lambda i: i.key)
            ],
            "has_interview_consent": participant.consent_for("interview") is not None,
            "referrals": participant.referrals.all(),
            "drafts": participant.drafts.all(),
        },
    )


CONSENT_LANGUAGES = {"en": "English", "bn": "বাংলা", "my": "မြန်မာ"}


def consent_language(request: HttpRequest, participant: Participant) -> str:
    """The language the consent wording is read in, independent of the worker's own.

    In order: the one the worker chose (carried in the form while it is filled in), the one of
    the participant's most recent consent, the worker's own; always one the wording has.
    """
    offered = consent_texts.languages()
    latest = participant.consents.order_by("-given_at", "-pk").first()
    candidates = [
        request.POST.get("consent_language") if request.method == "POST" else None,
        request.GET.get("lang"),
        latest.language if latest is not None else None,
        translation.get_language(),
        "en",
    ]
    return next((c for c in candidates if c and c in offered), offered[0])


@role_required(*CAN_RECORD)
def consent_create(request: HttpRequest, code: str) -> HttpResponse:
    participant = get_participant(request, code)
    language = consent_language(request, participant)
    form = ConsentForm(
        request.POST or None, organisation=request.organisation,  # type: ignore[attr-defined]
        language=language,
    )
    if request.method == "POST" and form.is_valid():
        consent = form.save_with_decisions(participant, request.user)
        record(
            Action.CONSENT_GIVEN, request=request, target_type="participant",
            target_id=participant.code,
            detail={"consent": consent.pk,
                    "agreed": [d.purpose for d in consent.agreed()],
                    "refused": [d.purpose for d in consent.refused()]},
        )
        messages.success(request, _("Consent recorded. Give the participant their receipt."))
        return redirect("consent_receipt", code=participant.code, consent_id=consent.pk)
    with translation.override(language):
        fallback_note = fallback_explanation() if form.fallback_fields else ""
    return render(
        request, "people/consent_form.html",
        {"form": form, "participant": participant, "language": language,
         "languages": [(c, CONSENT_LANGUAGES.get(c, c)) for c in consent_texts.languages()],
         "mark": FALLBACK_MARK, "fallback_note": fallback_note},
    )


@require_http_methods(["GET", "POST"])
@role_required(*CAN_RECORD)
def consent_withdraw(request: HttpRequest, code: str, consent_id: int) -> HttpResponse:
    """Withdraw one purpose (``purpose``, may be repeated) or everything agreed in a consent.

    Opening the page (or a POST without ``confirm``) only shows what will stop; the
    withdrawal is made by the confirmation form alone."""
    participant = get_participant(request, code)
    consent = get_object_or_404(participant.consents, pk=consent_id)
    data = request.POST if request.method == "POST" else request.GET
    purposes = [p for p in data.getlist("purpose") if p]
    try:
        plan = plan_withdrawal(participant, consent, purposes)
    except ValueError:
        messages.error(request, _(
            "Nothing was withdrawn: that use is not agreed in this consent, or it has been "
            "withdrawn already."
        ))
        return redirect("participant_detail", code=participant.code)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        withdraw(participant, plan.decisions, request=request)
        messages.success(request, outcome_message(plan))
        return redirect("participant_detail", code=participant.code)
    return render(
        request, "people/consent_withdraw.html",
        {"participant": participant, "consent": consent, "plan": plan,
         "purposes": [d.purpose for d in plan.decisions] if purposes else [],
         "language_name": CONSENT_LANGUAGES.get(consent.language, "")},
    )


@role_required(*CAN_RECORD)
def consent_receipt(request: HttpRequest, code: str, consent_id: int) -> HttpResponse:
    """A receipt in the participant's language: what they agreed to and how to withdraw."""
    participant = get_participant(request, code)
    consent = get_object_or_404(participant.consents, pk=consent_id)
    language = consent.language
    version = consent.wording_version
    labels, fell_back = {}, False
    for key in ("title", "agreed", "not_agreed", "withdraw", "code", "date", "contact",
                "provider", "until"):
        text, missing = receipt_text_in(key, language, version)
        fell_back |= missing
        with translation.override(language):
            labels[key] = f"{text} {FALLBACK_MARK}" if missing and language != "en" else text
    # A decision keeps the exact sentence that was read; it was English if the wording had no
    # translation for its purpose.
    fallback_purposes = {
        d.purpose for d in consent.decisions.all()
        if language != "en" and purpose_text_in(d.purpose, language, version)[1]
    }
    with translation.override(language):
        note = fallback_explanation() if fell_back or fallback_purposes else ""
    return render(
        request, "people/consent_receipt.html",
        {
            "participant": participant,
            "consent": consent,
            "language": language,
            "labels": labels,
            "mark": FALLBACK_MARK,
            "fallback_purposes": fallback_purposes,
            "fallback_note": note,
            "agreed": consent.agreed(),
            "refused": consent.refused(),
            "organisation": request.organisation,  # type: ignore[attr-defined]
        },
    )


@role_required(*CAN_RECORD)
def participant_contact(request: HttpRequest, code: str) -> HttpResponse:
    """Identifying details, shown only on request and every viewing audited."""
    participant = get_participant(request, code)
    form = ContactForm(request.POST or None, instance=participant)
    if request.method == "POST" and form.is_valid():
        form.save()
        record(
            Action.VIEW_IDENTIFYING, request=request, target_type="participant",
            target_id=participant.code, detail={"changed": sorted(form.changed_data)},
        )
        messages.success(request, _("Saved."))
        return redirect("participant_detail", code=participant.code)
    record(
        Action.VIEW_IDENTIFYING, request=request, target_type="participant",
        target_id=participant.code,
    )
    return render(
        request, "people/participant_contact.html", {"form": form, "participant": participant}
    )


@role_required(Role.ADMIN)
def participant_erase(request: HttpRequest, code: str) -> HttpResponse:
    """Erase a person on their request, after the administrator types the code to confirm."""
    participant = get_participant(request, code)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm_code", "").strip().upper() == participant.code:
            counts = erase(participant, request=request)
            messages.success(
                request,
                _("%(code)s and everything recorded about them has been erased "
                  "(%(assessments)d assessments, %(consents)d consent records).")
                % {"code": code, **counts},
            )
            return redirect("participant_list")
        error = _("The code you typed does not match. Nothing was erased.")
    return render(
        request, "people/participant_erase.html", {"participant": participant, "error": error}
    )
