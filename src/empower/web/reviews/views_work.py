"""Review work: import, duplicates, screening, conflicts, full texts, PRISMA and outputs."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
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
            messages.success(request, _(
                "%(summary)s. %(removed)d duplicates removed; %(queued)d pairs need a "
                "person to decide."
            ) % {"summary": result.summary(), "removed": removed, "queued": queued})
            for problem in result.problems[:20]:
                messages.warning(request, f"{problem.position}: {problem.message}")
            return redirect("review_detail", pk=project.pk)
    return render(request, "reviews/simple_form.html",
                  {"project": project, "form": form, "title": _("Import records")})


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


@role_required(*CAN_REVIEW)
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    """Blind title/abstract screening: one record at a time, most likely relevant first."""
    project = get_project(request, pk)
    scale = logic.scale_for(project)
    if request.method == "POST":
        target = get_object_or_404(logic.screenable(project), pk=request.POST.get("record"))
        try:
            logic.decide(target, Stage.TITLE_ABSTRACT, request.user, request.POST.get("value", ""),
                         note=request.POST.get("note", "")[:2000])
        except ValueError as error:
            messages.error(request, str(error))
        return redirect("review_screen", pk=project.pk)
    current, left = logic.next_for(project, request.user)
    return render(request, "reviews/screen.html", {
        "project": project, "record": current, "left": left, "options": scale.options,
        "title_html": _highlighted(project, current.title) if current else "",
        "abstract_html": _highlighted(project, current.abstract) if current else "",
    })


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
        except ValueError as error:
            messages.error(request, str(error))
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
            if action == "exclude" and reason not in reasons:
                messages.error(request, _("Choose the reason for excluding it."))
            elif target.retrieval != Retrieval.RETRIEVED:
                messages.error(request, _("Mark the full text as retrieved first."))
            else:
                logic.decide(target, Stage.FULL_TEXT, request.user, action,
                             reason=reason if action == "exclude" else "",
                             note=request.POST.get("note", "")[:2000])
        return redirect("review_full_text", pk=project.pk)
    mine = dict(Decision.objects.filter(record__project=project, stage=Stage.FULL_TEXT,
                                        reviewer=request.user).values_list("record_id", "value"))
    rows = [{"record": r, "mine": mine.get(r.pk)} for r in logic.full_text_candidates(project)]
    return render(request, "reviews/full_text.html",
                  {"project": project, "rows": rows, "reasons": reasons})


def _counts(project):
    """PRISMA counts, or the list of what is still open."""
    log = logic.prisma_log(project)
    problems = prisma.check_log(log)
    if problems:
        return None, problems
    return prisma.prisma_counts(log), []


@role_required(*CAN_READ_REVIEWS)
def prisma_view(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    counts, problems = _counts(project)
    return render(request, "reviews/prisma.html", {
        "project": project, "problems": problems[:30], "open": len(problems),
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
        theme = request.POST.get("theme", "").strip()[:300]
        if not theme:
            messages.error(request, _("Name the theme."))
        else:
            project.themes.create(
                theme=theme, description=request.POST.get("description", "")[:4000],
                findings={str(r.pk): request.POST.get(f"finding-{r.pk}", "")[:4000]
                          for r, _label in studies},
            )
            messages.success(request, _("Theme added."))
        return redirect("review_themes", pk=project.pk)
    return render(request, "reviews/themes.html",
                  {"project": project, "studies": studies, "themes": project.themes.all()})


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
    messages.success(request, _("%(n)d records sought for retrieval.") % {"n": count})
    return redirect("review_full_text", pk=project.pk)
