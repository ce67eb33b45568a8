"""Review work: import, duplicates, screening, conflicts, full texts, PRISMA and outputs."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from empower.evidence import outputs, prisma, prisma_diagram
from empower.evidence.highlight import highlight_html
from empower.evidence.importers import ImportFailed
from empower.evidence.screening import DEFAULT_EXCLUSION_REASONS
from empower.web.accounts.permissions import role_required
from empower.web.audit.log import Action
from empower.web.audit.log import record as audit

from . import logic
from .access import CAN_READ_REVIEWS, CAN_REVIEW, get_project
from .forms import ImportForm
from .models import Decision, DuplicateCandidate, Removal, Retrieval, Stage


@role_required(*CAN_REVIEW)
def import_records(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    form = ImportForm(project, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result, removed, queued = logic.import_export(
                project, form.cleaned_data["search"], upload.read(), upload.name,
                form.cleaned_data["file_format"], request.user, form.cleaned_data["columns"],
            )
        except (ImportFailed, KeyError, ValueError) as error:
            form.add_error("file", _("Nothing was imported. %(problem)s") % {"problem": error})
        else:
            messages.success(request, _import_summary(result, removed, queued))
            for problem in result.problems[:20]:
                messages.warning(request, f"{problem.position}: {problem.message}")
            return redirect("review_detail", pk=project.pk)
    return render(request, "reviews/simple_form.html",
                  {"project": project, "form": form, "title": _("Import records")})


def _import_summary(result, removed: int, queued: int) -> str:
    """What an import did, in words with the right plural for each number."""
    read = len(result.records)
    return " ".join([
        ngettext("%(n)d record read from %(source)s.", "%(n)d records read from %(source)s.",
                 read) % {"n": read, "source": result.source},
        ngettext("%(n)d duplicate removed.", "%(n)d duplicates removed.", removed)
        % {"n": removed},
        ngettext("%(n)d pair needs a person to decide whether it is the same work.",
                 "%(n)d pairs need a person to decide whether they are the same work.",
                 queued) % {"n": queued},
    ])


@role_required(*CAN_REVIEW)
def duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    if request.method == "POST":
        candidate = get_object_or_404(
            DuplicateCandidate, pk=request.POST.get("candidate"), project=project
        )
        answer = request.POST.get("answer")
        if answer in ("duplicate", "distinct"):
            with transaction.atomic():
                candidate.resolved = answer
                candidate.save(update_fields=["resolved"])
                if answer == "duplicate" and not candidate.second.removed:
                    candidate.second.removed = Removal.DUPLICATE
                    candidate.second.duplicate_of = candidate.first
                    candidate.second.save(update_fields=["removed", "duplicate_of"])
        return redirect("review_duplicates", pk=project.pk)
    queue = project.candidates.filter(resolved="").select_related("first", "second")
    return render(request, "reviews/duplicates.html",
                  {"project": project, "queue": queue[:50], "left": queue.count()})


def _highlighted(project, text: str) -> str:
    return highlight_html(text, project.terms("include_terms"), project.terms("exclude_terms"))


#: The longest note kept with a decision. A longer one is refused with the text kept on the
#: page, never cut short.
NOTE_LIMIT = 2000


def _too_long(text: str, limit: int = NOTE_LIMIT) -> str:
    """A message when ``text`` is longer than ``limit`` characters, else ""."""
    if len(text) <= limit:
        return ""
    return ngettext(
        "This text is %(length)s characters long; it can have at most %(limit)s. Nothing was "
        "saved. Shorten it by %(over)s character and save again.",
        "This text is %(length)s characters long; it can have at most %(limit)s. Nothing was "
        "saved. Shorten it by %(over)s characters and save again.",
        len(text) - limit,
    ) % {"length": len(text), "limit": limit, "over": len(text) - limit}


def _screen_page(request: HttpRequest, project, record, left: int, *, note: str = "",
                 note_error: str = "", last=None, last_error: str = "") -> HttpResponse:
    return render(request, "reviews/screen.html", {
        "project": project, "record": record, "left": left,
        "options": logic.scale_for(project).options,
        "title_html": _highlighted(project, record.title) if record else "",
        "abstract_html": _highlighted(project, record.abstract) if record else "",
        "note": note, "note_error": note_error, "note_limit": NOTE_LIMIT, "last": last,
        "last_error": last_error, "last_label": _label(project, last.value) if last else "",
    }, status=400 if note_error or last_error else 200)


def _label(project, value: str) -> str:
    """A stored title/abstract decision in the scale's words ("Maybe", "Not relevant")."""
    scale = logic.scale_for(project)
    try:
        return scale.option(logic.parse_value(scale, value)).label
    except (ValueError, KeyError):
        return value


def _last_decision(project, user, record_id: str | None):
    """The reviewer's own title/abstract decision on ``record_id``, to add a note to it."""
    if not (record_id or "").isdigit():
        return None
    return Decision.objects.filter(
        record__project=project, record_id=int(record_id), stage=Stage.TITLE_ABSTRACT,
        reviewer=user,
    ).select_related("record").first()


@role_required(*CAN_REVIEW)
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    """Blind title/abstract screening: one record at a time, most likely relevant first.

    The note is part of the form of the decision buttons, so a note typed before choosing is
    saved with the decision; a note thought of after choosing is added to that decision from
    the next page ("Add a note to your last decision")."""
    project = get_project(request, pk)
    if request.method == "POST":
        target = get_object_or_404(logic.screenable(project), pk=request.POST.get("record"))
        note = request.POST.get("note", "").strip()
        problem = _too_long(note)
        if request.POST.get("action") == "note":
            return _note_on_last(request, project, target, note, problem)
        if problem:
            _current, left = logic.next_for(project, request.user)
            return _screen_page(request, project, target, max(left, 1), note=note,
                                note_error=problem)
        try:
            logic.decide(target, Stage.TITLE_ABSTRACT, request.user, request.POST.get("value", ""),
                         note=note)
        except ValueError:
            messages.error(request, _("Choose one of the decision buttons."))
            return redirect("review_screen", pk=project.pk)
        return redirect(f"{request.path}?last={target.pk}")
    current, left = logic.next_for(project, request.user)
    last = _last_decision(project, request.user, request.GET.get("last"))
    return _screen_page(request, project, current, left, last=last)


def _note_on_last(request: HttpRequest, project, target, note: str, problem: str
                  ) -> HttpResponse:
    """Keep a note with a decision already made (the reviewer thought of it afterwards)."""
    decision = _last_decision(project, request.user, str(target.pk))
    if decision is None:
        messages.error(request, _("Choose a decision for this record first."))
        return redirect("review_screen", pk=project.pk)
    if problem:
        current, left = logic.next_for(project, request.user)
        decision.note = note
        return _screen_page(request, project, current, left, last=decision, last_error=problem)
    decision.note = note
    decision.save(update_fields=["note"])
    messages.success(request, _("The note was saved with your decision."))
    return redirect(f"{request.path}?last={target.pk}")


@role_required(*CAN_REVIEW)
def conflicts(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    stage = request.GET.get("stage", Stage.TITLE_ABSTRACT)
    if stage not in Stage.values:
        stage = Stage.TITLE_ABSTRACT
    if request.method == "POST":
        target = get_object_or_404(project.records, pk=request.POST.get("record"))
        try:
            logic.settle(target, stage, agreed=request.POST.get("value"), by=request.user)
        except ValueError:
            messages.error(request, _("Choose one of the decision buttons."))
        return redirect(f"{request.path}?stage={stage}")
    return render(request, "reviews/conflicts.html", {
        "project": project, "stage": stage, "conflicts": logic.open_conflicts(project, stage),
        "options": logic.scale_for(project, stage).options,
    })


@role_required(*CAN_REVIEW)
def full_text(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    reasons = project.exclusion_reasons or list(DEFAULT_EXCLUSION_REASONS)
    if request.method == "POST":
        target = get_object_or_404(
            logic.full_text_candidates(project), pk=request.POST.get("record")
        )
        action = request.POST.get("action")
        if action in (Retrieval.SOUGHT, Retrieval.NOT_RETRIEVED, Retrieval.RETRIEVED):
            target.retrieval = action
            target.save(update_fields=["retrieval"])
        elif action in ("include", "exclude"):
            reason = request.POST.get("reason", "")
            note = request.POST.get("note", "").strip()
            problem = _too_long(note)
            if not problem and action == "exclude" and reason not in reasons:
                problem = _("Choose the reason for excluding it.")
            if not problem and target.retrieval != Retrieval.RETRIEVED:
                problem = _("Mark the full text as retrieved first.")
            if problem:
                # The page again with the note as typed: a refused decision never loses it.
                messages.error(request, problem)
                return _full_text_page(request, project, reasons, status=400,
                                       kept={"record": target.pk, "note": note})
            logic.decide(target, Stage.FULL_TEXT, request.user, action,
                         reason=reason if action == "exclude" else "", note=note)
        return redirect("review_full_text", pk=project.pk)
    return _full_text_page(request, project, reasons)


def _full_text_page(request: HttpRequest, project, reasons, *, status: int = 200,
                    kept: dict | None = None) -> HttpResponse:
    mine = dict(Decision.objects.filter(record__project=project, stage=Stage.FULL_TEXT,
                                        reviewer=request.user).values_list("record_id", "value"))
    kept = kept or {}
    rows = [{"record": r, "mine": mine.get(r.pk),
             "note": kept.get("note", "") if kept.get("record") == r.pk else ""}
            for r in logic.full_text_candidates(project)]
    return render(request, "reviews/full_text.html",
                  {"project": project, "rows": rows, "reasons": reasons,
                   "note_limit": NOTE_LIMIT}, status=status)


def _counts(project):
    """PRISMA counts, or the list of what is still open."""
    log = logic.prisma_log(project)
    problems = prisma.check_log(log)
    if problems:
        return None, problems
    return prisma.prisma_counts(log), []


#: Problems listed one by one on the PRISMA page; the rest are counted.
SHOWN_PROBLEMS = 30

#: What is still open on a record, as the PRISMA check words it, and the kind of open work.
_OPEN_KINDS = {
    "neither screened nor removed before screening": "screen",
    "included at title/abstract screening but not sought for retrieval": "seek",
    "sought for retrieval but neither assessed nor marked not retrieved": "full_text",
}


def _open_work(project, problems: list[str]) -> dict:
    """The PRISMA check's problems, grouped into the usual open work (counted, in plain
    words) and the rest (each named by the record's title). The groups add up to the total."""
    kinds = {"screen": 0, "seek": 0, "full_text": 0}
    others: list[tuple[str, str]] = []
    for problem in problems:
        record_id, _sep, text = problem.partition(": ")
        kind = _OPEN_KINDS.get(text)
        if kind:
            kinds[kind] += 1
        else:
            others.append((record_id.removeprefix("record "), text))
    titles = dict(project.records.filter(
        pk__in=[int(r) for r, _text in others[:SHOWN_PROBLEMS] if r.isdigit()]
    ).values_list("pk", "title"))
    groups = [
        (ngettext("%(n)d record has not been decided at title and abstract screening yet.",
                  "%(n)d records have not been decided at title and abstract screening yet.",
                  kinds["screen"]) % {"n": kinds["screen"]}, "review_screen")
        if kinds["screen"] else None,
        (ngettext("%(n)d record passed screening, but its full text has not been sought yet.",
                  "%(n)d records passed screening, but their full texts have not been sought "
                  "yet.", kinds["seek"]) % {"n": kinds["seek"]}, "review_full_text")
        if kinds["seek"] else None,
        (ngettext("%(n)d full text is sought, but not yet marked retrieved and decided.",
                  "%(n)d full texts are sought, but not yet marked retrieved and decided.",
                  kinds["full_text"]) % {"n": kinds["full_text"]}, "review_full_text")
        if kinds["full_text"] else None,
    ]
    return {
        "total": len(problems),
        "groups": [g for g in groups if g],
        "others": [(titles.get(int(r), "") if r.isdigit() else "", text)
                   for r, text in others[:SHOWN_PROBLEMS]],
        "other_count": len(others),
    }


@role_required(*CAN_READ_REVIEWS)
def prisma_view(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    counts, problems = _counts(project)
    return render(request, "reviews/prisma.html", {
        "project": project, "open": _open_work(project, problems),
        "svg": prisma_diagram.prisma_svg(counts) if counts else "",
    })


@role_required(*CAN_READ_REVIEWS)
def download(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """PRISMA diagram (svg, png, pdf), the PRISMA2020 R package CSV, and all decisions."""
    project = get_project(request, pk)
    if what == "decisions.csv":
        body: bytes | str = outputs.decisions_csv(_decision_rows(project))
        kind = "text/csv; charset=utf-8"
    elif what in ("characteristics.xlsx", "synthesis.xlsx"):
        body = _characteristics(project) if what == "characteristics.xlsx" else _synthesis(project)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        counts, _problems = _counts(project)
        if counts is None:
            messages.error(request, _("The PRISMA diagram is ready when every record has a "
                                      "final decision."))
            return redirect("review_prisma", pk=project.pk)
        makers = {
            "prisma.svg": (lambda: prisma_diagram.prisma_svg(counts), "image/svg+xml"),
            "prisma.png": (lambda: prisma_diagram.prisma_png(counts), "image/png"),
            "prisma.pdf": (lambda: prisma_diagram.prisma_pdf(counts), "application/pdf"),
            "prisma-r.csv": (lambda: outputs.prisma_r_csv(counts), "text/csv; charset=utf-8"),
        }
        if what not in makers:
            return render(request, "error.html", {"status": 404}, status=404)
        make, kind = makers[what]
        body = make()
    audit(Action.DOWNLOAD, request=request, target_type="review", target_id=str(project.pk),
           detail={"file": what})
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="review-{project.pk}-{what}"'
    return response


CHARACTERISTICS = [
    ("study", "Study"), ("title", "Title"), ("authors", "Authors"), ("year", "Year"),
    ("journal", "Journal"), ("doi", "DOI"), ("source", "Found in"),
    ("quality", "Notes on quality"),
]


def included_studies(project):
    """Records included at full text, each with a short label ("Rahman 2020")."""
    studies = []
    for record in logic.screenable(project).filter(
        resolutions__stage=Stage.FULL_TEXT, resolutions__value="include"
    ).order_by("year", "id"):
        first = (record.authors[0].split(",")[0] if record.authors else record.title[:30])
        studies.append((record, f"{first} {record.year or 'n.d.'}"))
    return studies


def _characteristics(project) -> bytes:
    rows = []
    for record, label in included_studies(project):
        notes = Decision.objects.filter(record=record, stage=Stage.FULL_TEXT).exclude(note="")
        rows.append({
            "study": label, "title": record.title, "authors": record.authors,
            "year": record.year, "journal": record.journal, "doi": record.doi,
            "source": record.source, "quality": [d.note for d in notes],
        })
    return outputs.study_characteristics_xlsx(rows, CHARACTERISTICS)


def _synthesis(project) -> bytes:
    labels = {str(record.pk): label for record, label in included_studies(project)}
    themes = [
        {"theme": t.theme, "description": t.description,
         "findings": {labels[k]: v for k, v in t.findings.items() if k in labels and v}}
        for t in project.themes.all()
    ]
    return outputs.synthesis_xlsx(themes, studies=list(labels.values()))


@role_required(*CAN_REVIEW)
def themes(request: HttpRequest, pk: int) -> HttpResponse:
    """The thematic synthesis: a theme, and what each included study says on it."""
    project = get_project(request, pk)
    studies = included_studies(project)
    if request.method == "POST":
        theme = request.POST.get("theme", "").strip()
        description = request.POST.get("description", "").strip()
        findings = {str(r.pk): request.POST.get(f"finding-{r.pk}", "").strip()
                    for r, _label in studies}
        labels = [_("Description"), *(label for _record, label in studies)]
        problem = next((f"{label}: {_too_long(text, THEME_TEXT_LIMIT)}"
                        for label, text in zip(labels, (description, *findings.values()),
                                               strict=True)
                        if _too_long(text, THEME_TEXT_LIMIT)), "")
        if not theme:
            problem = _("Name the theme.")
        elif len(theme) > 300:
            problem = _("The theme's name is %(length)s characters long; at most 300 fit. "
                        "Shorten it, and put the rest in the description.") % {
                "length": len(theme)}
        if problem:
            messages.error(request, problem)
            return _themes_page(request, project, studies, status=400, kept={
                "theme": theme, "description": description, "findings": findings})
        project.themes.create(theme=theme, description=description, findings=findings)
        messages.success(request, _("Theme added."))
        return redirect("review_themes", pk=project.pk)
    return _themes_page(request, project, studies)


#: The longest description of a theme, and the longest finding of one study on it.
THEME_TEXT_LIMIT = 4000


def _themes_page(request: HttpRequest, project, studies, *, status: int = 200,
                 kept: dict | None = None) -> HttpResponse:
    kept = kept or {}
    findings = kept.get("findings", {})
    rows = [(record, label, findings.get(str(record.pk), "")) for record, label in studies]
    return render(request, "reviews/themes.html", {
        "project": project, "studies": rows, "themes": project.themes.all(), "kept": kept,
        "text_limit": THEME_TEXT_LIMIT,
    }, status=status)


def _decision_rows(project):
    for d in Decision.objects.filter(record__project=project).select_related(
        "record", "reviewer"
    ).order_by("record_id", "stage", "decided_at"):
        yield {
            "record_id": d.record_id, "title": d.record.title, "stage": d.stage,
            "reviewer": d.reviewer.get_username(), "decision": d.value,
            "reason": d.exclusion_reason, "note": d.note, "decided_at": d.decided_at,
        }


@require_POST
@role_required(*CAN_REVIEW)
def send_to_full_text(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark every record that passed title/abstract screening as sought for retrieval."""
    project = get_project(request, pk)
    count = logic.full_text_candidates(project).filter(
        retrieval=Retrieval.NOT_SOUGHT
    ).update(retrieval=Retrieval.SOUGHT)
    messages.success(request, ngettext("%(n)d record sought for retrieval.",
                                       "%(n)d records sought for retrieval.", count)
                     % {"n": count})
    return redirect("review_full_text", pk=project.pk)
