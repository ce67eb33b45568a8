"""Assessment pages: choose an instrument, fill it in, read it back; the cohort report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from empower.instruments import DEFAULT_LANGUAGE, Instrument, get_instrument
from empower.instruments.model import NOT_APPLICABLE, PREFER_NOT_TO_SAY, text_in
from empower.metrics.privacy import Audience
from empower.web.accounts.models import Role
from empower.web.accounts.permissions import (
    CAN_READ_PEOPLE,
    CAN_READ_REPORTS,
    CAN_RECORD,
    role_required,
)
from empower.web.audit.log import Action, record
from empower.web.jobs.models import Status
from empower.web.jobs.runner import start as start_job
from empower.web.people.models import Participant, Referral, ReferralKind
from empower.web.people.views import get_participant

from .cohort import cohort_report, cohort_report_html, stored_cohort_report_html
from .forms import (
    NOT_APPLICABLE_LABEL,
    NOTE_LIMIT,
    PREFER_NOT_TO_SAY_LABEL,
    AnswersForm,
    DetailsForm,
    ServiceForm,
    Step,
    fallback_explanation,
    interview_steps,
    missing_texts,
)
from .models import Assessment, AssessmentDraft
from .quality import instrument_quality_html
from .recording import record_assessment

INTERVIEW_LANGUAGES = {"en": "English", "bn": "বাংলা", "my": "မြန်မာ"}
MAX_SERVICES = 20
#: The buttons and hidden fields that steer the interview form: never kept in a draft.
CONTROLS = frozenset({
    "csrfmiddlewaretoken", "pause", "distress", "save", "add_service", "interview_language",
    "step", "next", "back", "goto", "check", "switch_language",
})

#: A form as it was filled in: field name → list of values (what a draft keeps).
Data = dict[str, list[str]]


def _instrument(instrument_id: str, version: str) -> Instrument:
    try:
        return get_instrument(instrument_id, version)
    except KeyError:
        raise Http404(_("No such instrument version.")) from None


def _as_query(data: Data) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in data.items():
        query.setlist(name, list(values))
    return query


def _initial(data: Data, prefix: str = "") -> dict[str, Any]:
    """Kept answers as initial values (so a resumed step shows no errors yet)."""
    start = f"{prefix}-" if prefix else ""
    return {
        name[len(start):]: values if name.endswith("conditions") else values[0]
        for name, values in data.items()
        if name.startswith(start) and values
    }


def _service_count(data: Data) -> int:
    try:
        count = int((data.get("service_count") or ["1"])[0])
    except (TypeError, ValueError):
        count = 1
    return max(1, min(count, MAX_SERVICES))


def _service_forms(
    instrument: Instrument, language: str, data: Data, *, bound: bool
) -> list[ServiceForm]:
    """One form per service entry; call inside ``translation.override(language)``."""
    if instrument.services is None:
        return []
    query = _as_query(data) if bound else None
    return [
        ServiceForm(
            instrument, language, query, prefix=f"service-{n}",
            initial=_initial(data, f"service-{n}"),
        )
        for n in range(_service_count(data))
    ]


def _requested_draft(
    request: HttpRequest, participant: Participant, instrument: Instrument
) -> AssessmentDraft | None:
    """The paused interview named in the address (``?draft=``), if it is this participant's."""
    pk = request.GET.get("draft", "")
    if not pk.isdigit():
        return None
    return participant.drafts.filter(
        pk=pk, instrument_id=instrument.id, instrument_version=instrument.version
    ).first()


def _posted_step(request: HttpRequest, steps: list[Step]) -> Step | None:
    raw = request.POST.get("step", "")
    if raw.isdigit() and 1 <= int(raw) <= len(steps):
        return steps[int(raw) - 1]
    return None


def _merge(kept: Data, posted: QueryDict, step: Step | None) -> Data:
    """The draft's answers with those of ``step`` replaced by what was posted.

    A step's own fields are replaced as a whole, so a cleared note or an unticked box is
    cleared in the draft too. A post that names no step is the whole interview at once.
    """
    typed = {name: values for name, values in posted.lists() if name not in CONTROLS}
    if step is None:
        return typed
    merged = {name: values for name, values in kept.items() if not step.owns(name)}
    merged.update({name: values for name, values in typed.items() if step.owns(name)})
    return merged


def _keep(
    request: HttpRequest, participant: Participant, instrument: Instrument,
    draft: AssessmentDraft | None, data: Data, language: str, step: int,
    *, distress: bool = False,
) -> AssessmentDraft:
    """Keep what has been filled in so far (encrypted) so the interview can be resumed."""
    if draft is None:
        draft = AssessmentDraft(
            participant=participant, instrument_id=instrument.id,
            instrument_version=instrument.version, interviewer=request.user,
        )
    draft.data = data
    draft.language = language
    draft.step = step
    if distress:
        draft.stopped_for_distress = True
    draft.save()
    return draft


def _form_url(participant: Participant, instrument: Instrument) -> str:
    return reverse("assessment_new", args=[participant.code, instrument.id, instrument.version])


def _step_url(
    participant: Participant, instrument: Instrument, draft: AssessmentDraft, number: int,
    *, check: bool = False, anchor: str = "", extra: str = "",
) -> str:
    url = f"{_form_url(participant, instrument)}?draft={draft.pk}&step={number}{extra}"
    if check:
        url += "&check=1"
    return url + (f"#{anchor}" if anchor else "")


@dataclass
class Attention:
    """An answer that keeps the interview from being saved, and where it is asked."""

    step: Step
    question: str
    message: str
    #: the form field's name, so the list can lead straight to the question
    field: str


def _all_forms(
    instrument: Instrument, language: str, data: Data
) -> tuple[DetailsForm, AnswersForm, list[ServiceForm], bool]:
    """Every form of the interview bound to ``data``, validated."""
    query = _as_query(data)
    details = DetailsForm(query)
    with translation.override(language):
        answers = AnswersForm(instrument, language, query)
        services = _service_forms(instrument, language, data, bound=True)
        valid = [details.is_valid(), answers.is_valid(), *[f.is_valid() for f in services]]
    return details, answers, services, all(valid)


def _attention(
    steps: list[Step], details: DetailsForm, answers: AnswersForm, services: list[ServiceForm]
) -> list[Attention]:
    """Every problem in the interview, by step, in the order the questions are asked."""
    found: list[Attention] = []
    for form, prefix in [(details, ""), (answers, "")] + [
        (service, str(_("Service %(n)s") % {"n": n})) for n, service in enumerate(services, 1)
    ]:
        for name, errors in form.errors.items():
            html_name = form.add_prefix(name) if name in form.fields else ""
            step = next((s for s in steps if html_name and s.owns(html_name)), steps[-1])
            label = str(form.fields[name].label) if name in form.fields else ""
            question = " · ".join(part for part in (prefix, label) if part)
            found.append(Attention(step, question, " ".join(str(e) for e in errors), html_name))
    return sorted(found, key=lambda a: a.step.number)


def _step_is_valid(instrument: Instrument, language: str, step: Step, data: Data) -> bool:
    query = _as_query(data)
    forms: list[Any] = [DetailsForm(query)] if step.number == 1 else []
    with translation.override(language):
        if step.services:
            forms += _service_forms(instrument, language, data, bound=True)
        else:
            forms.append(AnswersForm(instrument, language, query, items=step.items))
        return all([form.is_valid() for form in forms])


def _render_step(
    request: HttpRequest, participant: Participant, instrument: Instrument,
    draft: AssessmentDraft | None, language: str, steps: list[Step], number: int, data: Data,
    *, bound: bool = False, check: bool = False, errors: list[str] | None = None,
    notice: str = "",
) -> HttpResponse:
    step = steps[number - 1]
    query = _as_query(data) if bound else None
    initial = _initial(data)
    details = (
        DetailsForm(query, initial={"conducted_on": date.today(), **initial})
        if number == 1 else None
    )
    sections: list[Any] = []
    services: list[ServiceForm] = []
    # What the participant hears is built in the interview's language (answer labels such as
    # "Prefer not to say" are fixed when the fields are made), whatever the interviewer reads.
    with translation.override(language):
        if step.services:
            services = _service_forms(instrument, language, data, bound=bound)
        else:
            answers = AnswersForm(instrument, language, query, initial=initial, items=step.items)
            sections = answers.sections()
        fallback_note = fallback_explanation() if missing_texts(instrument, language) else ""
    attention = _attention(steps, *_all_forms(instrument, language, data)[:3]) if check else []
    draft_query = f"?draft={draft.pk}" if draft is not None else ""
    return render(
        request, "assessments/assessment_form.html",
        {
            "participant": participant,
            "instrument": instrument,
            "title": text_in(instrument.title, language)[0],
            "language": language,
            "languages": [(c, INTERVIEW_LANGUAGES.get(c, c)) for c in instrument.languages],
            "draft": draft,
            "form_url": _form_url(participant, instrument) + draft_query,
            "draft_url": reverse(
                "assessment_draft", args=[participant.code, instrument.id, instrument.version]
            ) + draft_query,
            "fallback_note": fallback_note,
            "details": details,
            "sections": sections,
            "services": services,
            "service_count": len(services),
            "steps": steps,
            "step": step,
            "is_last": number == len(steps),
            "check": check,
            "attention": attention,
            "attention_steps": {a.step.number for a in attention},
            "errors": errors or [],
            "notice": notice,
            "note_limit": NOTE_LIMIT,
            "ui_language": request.LANGUAGE_CODE,  # type: ignore[attr-defined]
            "has_consent": participant.consent_for("interview") is not None,
        },
    )


def _add_notice(kind: str, data: Data) -> str:
    """Why "Add another service" added nothing, when it could not."""
    count = _service_count(data)
    if kind == "blank":
        return _("Service %(n)s is still empty: choose which service it was, then add "
                 "another.") % {"n": count}
    if kind == "full":
        return ngettext(
            "No more services can be added: an interview holds at most %(n)s service.",
            "No more services can be added: an interview holds at most %(n)s services.",
            MAX_SERVICES,
        ) % {"n": MAX_SERVICES}
    return ""


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
    """The interview, one short step at a time. Every step is a post that keeps the answers in
    the (encrypted) draft and shows the next step; the last step saves the assessment."""
    participant = get_participant(request, code)
    instrument = _instrument(instrument_id, version)
    draft = _requested_draft(request, participant, instrument)
    language = interview_language(request, participant, instrument, draft)
    with translation.override(language):
        steps = interview_steps(instrument, language)
    if request.method == "POST":
        return _interview_post(request, participant, instrument, draft, language, steps)
    kept: Data = draft.data if draft is not None else {}
    wanted = request.GET.get("step", "")
    number = int(wanted) if wanted.isdigit() else (draft.step if draft is not None else 1)
    number = max(1, min(number, len(steps)))
    check = draft is not None and request.GET.get("check") == "1"
    notes = {i.id for i in instrument.items if i.kind == "text"} & set(steps[number - 1].items)
    if draft is not None and any("".join(kept.get(n) or []).strip() for n in notes):
        # Resuming shows the notes kept in the draft: reading them is audited like any other.
        record(Action.VIEW_NARRATIVE, request=request, target_type="participant",
               target_id=participant.code, detail={"draft": draft.pk, "step": number})
    return _render_step(
        request, participant, instrument, draft, language, steps, number, kept,
        bound=check, check=check, notice=_add_notice(request.GET.get("add", ""), kept),
    )


def _typed(data: Data) -> bool:
    """Whether anything was filled in besides the date, which comes filled in."""
    return any(value for name, values in data.items() if name not in ("conducted_on",
               "service_count") for value in values)


def _goto(raw: str, steps: list[Step]) -> tuple[int, str]:
    """A "go to" button's value: a step number, or "number:field" to land on the question."""
    number, _sep, field = raw.partition(":")
    if not number.isdigit() or not 1 <= int(number) <= len(steps):
        return 1, ""
    return int(number), (f"q-{field}" if steps[int(number) - 1].owns(field) else "")


def _interview_post(
    request: HttpRequest, participant: Participant, instrument: Instrument,
    draft: AssessmentDraft | None, language: str, steps: list[Step],
) -> HttpResponse:
    post = request.POST
    step = _posted_step(request, steps)
    data = _merge(draft.data if draft is not None else {}, post, step)
    here = step.number if step is not None else 1
    check = post.get("check") == "1"

    def keep(number: int, **kwargs: Any) -> AssessmentDraft:
        return _keep(request, participant, instrument, draft, data, language, number, **kwargs)

    if "distress" in post:
        keep(here, distress=True)
        Referral.objects.create(
            participant=participant, kind=ReferralKind.PSYCHOSOCIAL,
            reason="distress_during_interview", created_by=request.user,
        )
        return render(request, "assessments/stopped.html", {"participant": participant})
    if "pause" in post:
        keep(here)
        messages.success(request, _("Interview paused. Its answers are kept, encrypted, "
                                    "until you resume it from the participant's page."))
        return redirect("participant_detail", code=participant.code)
    if "switch_language" in post:
        chosen = post["switch_language"]
        chosen = chosen if chosen in instrument.languages else language
        if draft is None and not _typed(data):
            return redirect(f"{_form_url(participant, instrument)}?lang={chosen}")
        draft = _keep(request, participant, instrument, draft, data, chosen, here)
        return redirect(_step_url(participant, instrument, draft, here, check=check))
    if "back" in post:
        target = max(1, here - 1)
        return redirect(_step_url(participant, instrument, keep(target), target, check=check))
    if "goto" in post:
        target, anchor = _goto(post["goto"], steps)
        return redirect(
            _step_url(participant, instrument, keep(target), target, check=check, anchor=anchor)
        )
    if "add_service" in post and instrument.services is not None:
        return _add_service(request, participant, instrument, draft, language, steps, data)
    if step is not None and step.number < len(steps) and "save" not in post:
        if _step_is_valid(instrument, language, step, data):
            target = step.number + 1
            return redirect(_step_url(participant, instrument, keep(target), target, check=check))
        draft = keep(here)
        return _render_step(
            request, participant, instrument, draft, language, steps, here, data, bound=True,
            check=check,
            errors=[_("Some answers on this step need attention: see the marked questions.")],
        )
    return _save(request, participant, instrument, draft, language, steps, data, here)


def _add_service(
    request: HttpRequest, participant: Participant, instrument: Instrument,
    draft: AssessmentDraft | None, language: str, steps: list[Step], data: Data,
) -> HttpResponse:
    """One more service entry, unless the last one is still empty or there are enough."""
    services_step = steps[-1]
    count = _service_count(data)
    with translation.override(language):
        last = ServiceForm(instrument, language, _as_query(data), prefix=f"service-{count - 1}")
        last.is_valid()
    if not last.cleaned_data.get("service_type"):
        outcome = "blank"
    elif count >= MAX_SERVICES:
        outcome = "full"
    else:
        outcome = ""
        data["service_count"] = [str(count + 1)]
    draft = _keep(request, participant, instrument, draft, data, language, services_step.number)
    return redirect(_step_url(
        participant, instrument, draft, services_step.number,
        check=request.POST.get("check") == "1",
        anchor="add-service" if outcome else f"service-{count}",
        extra=f"&add={outcome}" if outcome else "",
    ))


def _save(
    request: HttpRequest, participant: Participant, instrument: Instrument,
    draft: AssessmentDraft | None, language: str, steps: list[Step], data: Data, here: int,
) -> HttpResponse:
    """Save the interview through ``record_assessment``, or keep it in the draft and show the
    first step that needs attention with every problem listed by step and question."""
    details, answers_form, services, valid = _all_forms(instrument, language, data)
    if not valid:
        draft = _keep(request, participant, instrument, draft, data, language, here)
        attention = _attention(steps, details, answers_form, services)
        return _render_step(
            request, participant, instrument, draft, language, steps,
            attention[0].step.number, data, bound=True, check=True,
            errors=[_("Some answers need attention before the interview can be saved: see the "
                      "list below.")],
        )
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
        draft = _keep(request, participant, instrument, draft, data, language, len(steps))
        return _render_step(
            request, participant, instrument, draft, language, steps, len(steps), data,
            bound=True, errors=list(error.messages),
        )
    participant.drafts.filter(
        instrument_id=instrument.id, instrument_version=instrument.version
    ).delete()
    messages.success(request, _("Assessment saved."))
    return redirect("assessment_detail", code=participant.code, pk=assessment.pk)


@role_required(*CAN_RECORD)
@require_POST
def assessment_draft(
    request: HttpRequest, code: str, instrument_id: str, version: str
) -> HttpResponse:
    """Keep the step of the interview that is open, as pausing does, and answer 204 No Content.

    Quick exit (and Esc pressed three times) sends the open form here in the background as it
    leaves the site, so what was typed is not lost. It never saves an assessment."""
    participant = get_participant(request, code)
    instrument = _instrument(instrument_id, version)
    draft = _requested_draft(request, participant, instrument)
    language = interview_language(request, participant, instrument, draft)
    with translation.override(language):
        steps = interview_steps(instrument, language)
    step = _posted_step(request, steps)
    if step is None:
        return HttpResponseBadRequest(_("Which step of the interview this is was not sent."))
    data = _merge(draft.data if draft is not None else {}, request.POST, step)
    _keep(request, participant, instrument, draft, data, language, step.number)
    return HttpResponse(status=204)


def _answer_label(instrument: Instrument, scale_id: str | None, raw: Any, language: str) -> Any:
    """An answer as the interview named it. Scale labels carry their own number ("+2 strongly
    empowering", "10 – completely"), so the stored value is not put in front of them again."""
    if raw is None or scale_id is None:
        return raw
    for option in instrument.scales[scale_id].options:
        if option.value == raw:
            return text_in(option.label, language)[0]
    if raw == PREFER_NOT_TO_SAY:
        return str(PREFER_NOT_TO_SAY_LABEL)
    if raw == NOT_APPLICABLE:
        return str(NOT_APPLICABLE_LABEL)
    return raw


def _answer_rows(assessment: Assessment, language: str) -> list[dict[str, Any]]:
    instrument = assessment.instrument
    rows = []
    for item in instrument.items:
        if item.kind == "text":
            value = assessment.narratives.get(item.id, "")
        else:
            value = _answer_label(
                instrument, item.scale, assessment.answers.get(item.id), language
            )
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
            "effects": {
                axis_labels.get(a, a): _answer_label(
                    assessment.instrument, block.effect_scale, e, language
                )
                for a, e in s.get("effects", {}).items()
            },
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
            "language_name": INTERVIEW_LANGUAGES.get(assessment.language, assessment.language),
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
    body_html = instrument_quality_html(
        request.organisation, instrument, language  # type: ignore[attr-defined]
    )
    return render(request, "assessments/instrument_quality.html", {"body_html": body_html})


@role_required(*CAN_READ_REPORTS)
def cohort_report_view(request: HttpRequest) -> HttpResponse:
    # Staff of the organisation see its own figures in full; viewers (funders, board members,
    # partners) see them with small groups suppressed.
    role = request.membership.role  # type: ignore[attr-defined]
    audience = Audience.VIEWER if role == Role.VIEWER else Audience.INTERNAL
    organisation, language = request.organisation, request.LANGUAGE_CODE  # type: ignore[attr-defined]
    report_html = stored_cohort_report_html(organisation, language, audience)
    if report_html is None:
        # Not ready for the current data: prepared in the background, with a progress page
        # that comes back here when it is done.
        job = start_job("cohort_report", organisation, request.user,
                        {"language": language, "audience": audience},
                        result_url=reverse("cohort_report"))
        if job.status != Status.DONE:
            return redirect("job_detail", job.pk)
        report_html = cohort_report_html(organisation, language, audience)
    # Both come from the report cache: the figures shown, and their rendering with charts.
    return render(request, "assessments/cohort_report.html", {
        "report": cohort_report(organisation, language, audience),
        "report_html": report_html,
    })
