"""Export pages: totals for everyone who reads reports, records for admins and analysts.

A valid form answers with the file itself (streamed, named after the organisation, dataset,
purpose and date) and writes the export into the audit trail; when nobody can be included the
page says so and nothing is written.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from empower.web.accounts.models import Role
from empower.web.accounts.permissions import CAN_READ_REPORTS, role_required

from .files import ExportFile, NothingToExport, audit_export, make_export
from .forms import RecordsForm, TotalsForm

#: Files with one row per person or interview: only for people who may analyse records.
CAN_EXPORT_RECORDS = (Role.ADMIN, Role.ANALYST)


def _download(request: HttpRequest, export: ExportFile) -> FileResponse:
    audit_export(export, organisation=request.organisation,  # type: ignore[attr-defined]
                 request=request)
    response = FileResponse(io.BytesIO(export.content), as_attachment=True,
                            filename=export.filename, content_type=export.content_type)
    response["Cache-Control"] = "no-store"  # never keep a copy in a shared browser's cache
    return response


def _export(request: HttpRequest, form: TotalsForm | RecordsForm) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        export = make_export(
            request.organisation,  # type: ignore[attr-defined]
            data.get("dataset") or form.dataset, data["format"], data["purpose"],
            data["audience"].value,
        )
    except NothingToExport:
        messages.warning(request, _(
            "There is nothing to export: no participant has consent to this use, in force "
            "now, and an interview recorded (for the services file: a service recorded in "
            "an interview). Nothing was written."
        ))
        return None
    return _download(request, export)


@role_required(*CAN_READ_REPORTS)
def export_list(request: HttpRequest) -> HttpResponse:
    viewer = request.membership.role == Role.VIEWER  # type: ignore[attr-defined]
    form = TotalsForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        response = _export(request, form)
        if response is not None:
            return response
    return render(request, "exports/export_list.html", {
        "form": form,
        "viewer": viewer,
        "can_export_records": request.membership.role in CAN_EXPORT_RECORDS,  # type: ignore
    })


@role_required(*CAN_EXPORT_RECORDS)
def export_records(request: HttpRequest) -> HttpResponse:
    form = RecordsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _export(request, form)
        if response is not None:
            return response
    return render(request, "exports/export_records.html", {"form": form})
