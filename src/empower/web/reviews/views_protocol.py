"""Review projects and their protocol: question, eligibility criteria, searches."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from empower.web.accounts.permissions import role_required

from .access import CAN_READ_REVIEWS, CAN_REVIEW, get_project
from .forms import CriterionForm, ImportForm, ProjectForm, SearchForm
from .models import Project
from .summary import project_summary


@role_required(*CAN_READ_REVIEWS)
def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.filter(organisation=request.organisation)  # type: ignore[attr-defined]
    return render(request, "reviews/project_list.html", {"projects": projects})


@role_required(*CAN_REVIEW)
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        project.organisation = request.organisation  # type: ignore[attr-defined]
        project.created_by = request.user
        project.save()
        messages.success(request, _("Review created. Add the eligibility criteria and searches."))
        return redirect("review_detail", pk=project.pk)
    return render(request, "reviews/project_form.html", {"form": form})


@role_required(*CAN_READ_REVIEWS)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    return render(
        request, "reviews/project_detail.html",
        {
            "project": project,
            "summary": project_summary(project, request.user),
            "criterion_form": CriterionForm(),
            "search_form": SearchForm(),
            "import_form": ImportForm(project),
            "can_review": request.membership.role in CAN_REVIEW,  # type: ignore[attr-defined]
        },
    )


def _add_to_project(
    request: HttpRequest, pk: int, form_class: type, title: str, done: str
) -> HttpResponse:
    """Add one protocol item (a criterion, a search) to the project."""
    project = get_project(request, pk)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = form.save(commit=False)
        item.project = project
        item.save()
        messages.success(request, done)
        return redirect("review_detail", pk=project.pk)
    return render(request, "reviews/simple_form.html",
                  {"project": project, "form": form, "title": title})


@role_required(*CAN_REVIEW)
def criterion_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_to_project(request, pk, CriterionForm, _("Add a criterion"),
                           _("Criterion added."))


@role_required(*CAN_REVIEW)
def search_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_to_project(request, pk, SearchForm, _("Record a search"),
                           _("Search recorded. Import its export file next."))
