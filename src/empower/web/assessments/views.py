"""Assessment pages: choose an instrument, fill it in, read it back; the cohort report."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from empower.instruments import Instrument, get_instrument
from empower.instruments.model import text_in
from empower.reports.cohort import render_cohort_html
from empower.web.accounts.permissions import (
    CAN_READ_PEOPLE,
    CAN_READ_REPORTS,
    CAN_RECORD,
    role_required,
)
from empower.web.people.views import get_participant

from .cohort import cohort_report
from .forms import AnswersForm, DetailsForm, ServiceForm
from .models import Assessment
from .recording import record_assessment

INTERVIEW_LANGUAGES = {"en": "English", "bn": "বাংলা", "my": "မြန်မာ"}
MAX_SERVICES = 20


def _instrument(instrument_id: str, version: str) -> Instrument:
    try:
        return get_instrument(instrument_id, version)
    except KeyError:
        raise Http404(_("No such instrument version.")) from None


def _service_forms(
    request: HttpRequest, instrument: Instrument, language: str
) -> list[ServiceForm]:
    if instrument.services is None:
        return []
    try:
        count = int(request.POST.get("service_count", 1))
    except ValueError:
        count = 1
    if "add_service" in request.POST:
        count += 1
    count = max(1, min(count, MAX_SERVICES))
    data = request.POST if request.method == "POST" else None
    return [
        ServiceForm(instrument, language, data, prefix=f"service-{n}") for n in range(count)
    ]


@role_required(*CAN_RECORD)
def assessment_new(
    request: HttpRequest, code: str, instrument_id: str, version: str
) -> HttpResponse:
    participant = get_participant(request, code)
    instrument = _instrument(instrument_id, version)
    language = request.GET.get("lang", "en")
    if language not in instrument.languages:
        language = "en"
    data = request.POST if request.method == "POST" else None
    details = DetailsForm(data, initial={"conducted_on": date.today()})
    answers_form = AnswersForm(instrument, language, data)
    services = _service_forms(request, instrument, language)
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


@role_required(*CAN_READ_PEOPLE)
def assessment_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    participant = get_participant(request, code)
    assessment = get_object_or_404(participant.assessments.prefetch_related("scores"), pk=pk)
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    instrument = assessment.instrument
    axis_labels = {a.id: text_in(a.label, language)[0] for a in instrument.axes}
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
            "services": assessment.services,
        },
    )


@role_required(*CAN_READ_REPORTS)
def cohort_report_view(request: HttpRequest) -> HttpResponse:
    report = cohort_report(request.organisation, request.LANGUAGE_CODE)  # type: ignore[attr-defined]
    return render(
        request, "assessments/cohort_report.html",
        {"report_html": render_cohort_html(report, standalone=False), "report": report},
    )
