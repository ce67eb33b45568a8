"""Assessment pages: choose an instrument, fill it in, read it back; the cohort report."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from empower.instruments import DEFAULT_LANGUAGE, Instrument, get_instrument
from empower.instruments.model import text_in
from empower.metrics.privacy import Audience
from empower.reports.cohort import render_cohort_html
from empower.web.accounts.models import Role
from empower.web.accounts.permissions import (
    CAN_READ_PEOPLE,
    CAN_READ_REPORTS,
    CAN_RECORD,
    role_required,
)
from empower.web.audit.log import Action, record
from empower.web.people.models import Participant, Referral, ReferralKind
from empower.web.people.views import get_participant

from .cohort import cohort_report
from .forms import AnswersForm, DetailsForm, ServiceForm, fallback_explanation, missing_texts
from .models import Assessment, AssessmentDraft
from .quality import instrument_quality
from .recording import record_assessment

INTERVIEW_LANGUAGES = {"en": "English", "bn": "বাংলা", "my": "မြန်မာ"}
MAX_SERVICES = 20


def _instrument(instrument_id: str, version: str) -> Instrument:
    try:
        return get_instrument(instrument_id, version)
    except KeyError:
        raise Http404(_("No such instrument version.")) from None


def _service_forms(
    instrument: Instrument, language: str, data: QueryDict | None, add: bool = False,
    draft: AssessmentDraft | None = None,
) -> list[ServiceForm]:
    if instrument.services is None:
        return []
    source = data if data is not None else _draft_initial(draft)
    try:
        count = int(source.get("service_count", 1))
    except ValueError:
        count = 1
    count = max(1, min(count + (1 if add else 0), MAX_SERVICES))
    return [
        ServiceForm(
            instrument, language, data, prefix=f"service-{n}",
            initial=_draft_initial(draft, f"service-{n}"),
        )
        for n in range(count)
    ]


def _draft_initial(draft: AssessmentDraft | None, prefix: str = "") -> dict[str, Any]:
    """The paused answers as initial values (so a resumed form shows no errors yet)."""
    if draft is None:
        return {}
    start = f"{prefix}-" if prefix else ""
    return {
        name[len(start):]: values if name.endswith("conditions") else values[0]
        for name, values in draft.data.items()
        if name.startswith(start) and values
    }


def _pause(
    request: HttpRequest, participant: Participant, instrument: Instrument, language: str,
    *, distress: bool = False,
) -> AssessmentDraft:
    """Keep what has been filled in so far (encrypted) so the interview can be resumed."""
    kept = {
        name: values for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "pause", "distress", "save", "add_service",
                        "interview_language")
    }
    draft, _created = AssessmentDraft.objects.update_or_create(
        participant=participant, instrument_id=instrument.id,
        instrument_version=instrument.version, interviewer=request.user,
        defaults={"language": language, "data": kept, "stopped_for_distress": distress},
    )
    return draft


def interview_language(
    request: HttpRequest, participant: Participant, instrument: Instrument,
    draft: AssessmentDraft | None,
) -> str:
    """The language the participant is interviewed in, independent of the interviewer's own.

    In order: the one the interviewer chose (carried in the form while it is filled in), the
    one a paused interview was in, the one of the participant's most recent consent, the
    interviewer's own; always one the instrument has.
    """
    offered = instrument.languages

    def usable(code: str | None) -> bool:
        return bool(code) and code in offered

    candidates = [
        request.POST.get("interview_language") if request.method == "POST" else None,
        request.GET.get("lang"),
        draft.language if draft is not None else None,
    ]
    latest = participant.consents.order_by("-given_at", "-pk").first()
    candidates += [
        latest.language if latest is not None else None,
        translation.get_language(),
        DEFAULT_LANGUAGE,
    ]
    return next((c for c in candidates if usable(c)), offered[0])


@role_required(*CAN_RECORD)
def assessment_new(
    request: HttpRequest, code: str, instrument_id: str, version: str
) -> HttpResponse:
    participant = get_participant(request, code)
    instrument = _instrument(instrument_id, version)
    data: QueryDict | None = request.POST if request.method == "POST" else None
    draft = participant.drafts.filter(
        pk=request.GET.get("draft") or 0, instrument_id=instrument.id,
        instrument_version=instrument.version,
    ).first()
    language = interview_language(request, participant, instrument, draft)
    if request.method == "POST" and ("pause" in request.POST or "distress" in request.POST):
        distress = "distress" in request.POST
        _pause(request, participant, instrument, language, distress=distress)
        if distress:
            Referral.objects.create(
                participant=participant, kind=ReferralKind.PSYCHOSOCIAL,
                reason="distress_during_interview", created_by=request.user,
            )
            return render(request, "assessments/stopped.html", {"participant": participant})
        messages.success(request, _("Interview paused. Its answers are kept, encrypted, "
                                    "until you resume it from the participant's page."))
        return redirect("participant_detail", code=participant.code)
    initial = _draft_initial(draft)
    details = DetailsForm(data, initial={"conducted_on": date.today(), **initial})
    # What the participant hears is built in the interview's language (answer labels such as
    # "Prefer not to say" are fixed when the fields are made), whatever the interviewer reads.
    with translation.override(language):
        answers_form = AnswersForm(instrument, language, data, initial=initial)
        services = _service_forms(
            instrument, language, data,
            add=request.method == "POST" and "add_service" in request.POST, draft=draft,
        )
        fallback_note = fallback_explanation() if missing_texts(instrument, language) else ""
    errors: list[str] = []
    if request.method == "POST" and "add_service" not in request.POST:
        valid = [details.is_valid(), answers_form.is_valid()] + [f.is_valid() for f in services]
        if all(valid):
            answers, narratives = answers_form.answers_and_narratives()
            try:
                assessment = record_assessment(
                    participant=participant,
                    instrument=instrument,
                    conducted_on=details.cleaned_data["conducted_on"],
                    language=language,
                    interviewer=request.user,
                    answers=answers,
                    narratives=narratives,
                    services=[f.to_record() for f in services if not f.is_blank()],
                )
            except ValidationError as error:
                errors = list(error.messages)
            else:
                participant.drafts.filter(
                    instrument_id=instrument.id, instrument_version=instrument.version
                ).delete()
                messages.success(request, _("Assessment saved."))
                return redirect("assessment_detail", code=participant.code, pk=assessment.pk)
        else:
            errors = [_("Some answers need attention: see the marked questions below.")]
    return render(
        request, "assessments/assessment_form.html",
        {
            "participant": participant,
            "instrument": instrument,
            "title": text_in(instrument.title, language)[0],
            "language": language,
            "languages": [(c, INTERVIEW_LANGUAGES.get(c, c)) for c in instrument.languages],
            "draft": draft,
            "fallback_note": fallback_note,
            "details": details,
            "sections": answers_form.sections(),
            "services": services,
            "service_count": len(services),
            "errors": errors,
            "has_consent": participant.consent_for("interview") is not None,
        },
    )


def _answer_rows(assessment: Assessment, language: str) -> list[dict[str, Any]]:
    instrument = assessment.instrument
    rows = []
    for item in instrument.items:
        if item.kind == "text":
            value = assessment.narratives.get(item.id, "")
        else:
            raw = assessment.answers.get(item.id)
            value = raw
            if item.scale and raw is not None:
                for option in instrument.scales[item.scale].options:
                    if option.value == raw:
                        value = f"{raw} – {text_in(option.label, language)[0]}"
        rows.append({"text": text_in(item.text, language)[0], "value": value, "kind": item.kind})
    return rows


def _service_rows(
    assessment: Assessment, language: str, axis_labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Services as the participant's language names them, not as stored codes."""
    block = assessment.instrument.services
    if block is None:
        return []

    def label(options: Any, value: Any) -> str:
        for option in options:
            if option.value == value:
                return text_in(option.label, language)[0]
        return str(value)

    return [
        {
            "service_type": label(block.service_types, s.get("service_type")),
            "provider_type": label(block.provider_types, s.get("provider_type")),
            "respected_wishes": s.get("respected_wishes"),
            "conditions": [label(block.conditions, c) for c in s.get("conditions", [])],
            "effects": {axis_labels.get(a, a): e for a, e in s.get("effects", {}).items()},
        }
        for s in assessment.services
    ]


@role_required(*CAN_READ_PEOPLE)
def assessment_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    participant = get_participant(request, code)
    assessment = get_object_or_404(participant.assessments.prefetch_related("scores"), pk=pk)
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    instrument = assessment.instrument
    axis_labels = {a.id: text_in(a.label, language)[0] for a in instrument.axes}
    if assessment.narratives:
        record(
            Action.VIEW_NARRATIVE, request=request, target_type="participant",
            target_id=participant.code, detail={"assessment": assessment.pk},
        )
    return render(
        request, "assessments/assessment_detail.html",
        {
            "participant": participant,
            "assessment": assessment,
            "title": text_in(instrument.title, language)[0],
            "scores": [
                {"axis": axis_labels.get(s.axis, s.axis), "score": s.score,
                 "missing_reason": s.missing_reason}
                for s in assessment.scores.all()
            ],
            "answers": _answer_rows(assessment, language),
            "services": _service_rows(assessment, language, axis_labels),
        },
    )


@role_required(Role.ADMIN, Role.ANALYST)
def instrument_quality_view(request: HttpRequest, instrument_id: str, version: str) -> HttpResponse:
    """Reliability and structure of an instrument version, in this organisation's answers."""
    instrument = _instrument(instrument_id, version)
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    quality = instrument_quality(request.organisation, instrument, language)  # type: ignore[attr-defined]
    return render(request, "assessments/instrument_quality.html",
                  {"q": quality, "title": text_in(instrument.title, language)[0]})


@role_required(*CAN_READ_REPORTS)
def cohort_report_view(request: HttpRequest) -> HttpResponse:
    # Staff of the organisation see its own figures in full; viewers (funders, board members,
    # partners) see them with small groups suppressed.
    role = request.membership.role  # type: ignore[attr-defined]
    audience = Audience.VIEWER if role == Role.VIEWER else Audience.INTERNAL
    report = cohort_report(
        request.organisation, request.LANGUAGE_CODE, audience  # type: ignore[attr-defined]
    )
    return render(
        request, "assessments/cohort_report.html",
        {"report_html": render_cohort_html(report, standalone=False), "report": report},
    )
