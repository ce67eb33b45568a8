"""Importing interviews collected offline: upload a file, check the dry run, import.

The uploaded file waits, encrypted, in a ``PendingImport`` that only its uploader can open, and
is deleted once imported, when discarded, or after a day. Nothing is written to the
participants' records until the person has seen the dry run and pressed the import button; the
import is then all-or-nothing.

The file is checked once, when it is uploaded (or when the person asks for it to be checked
again), and the result is kept with the upload: reloading the page shows it without reading the
file again. Checking is bounded in size, rows and time (``site_limits``), so one large file
cannot hold up the site for everyone else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from empower.web.accounts.permissions import CAN_RECORD, role_required

from . import results
from .forms_imports import UploadForm
from .imports import ImportOutcome, audit_import, run_import, site_limits
from .models import PendingImport

#: Problems listed on the page; a file with thousands of them needs fixing at its source first.
MAX_SHOWN = 200


def _pending(request: HttpRequest, pk: int) -> PendingImport:
    """The user's own upload in their own organisation, or 404 (also once it has expired)."""
    # Expired uploads go at the next visit of anyone, not only of the upload page.
    PendingImport.objects.expired().delete()
    return get_object_or_404(
        PendingImport.objects.current(), pk=pk,
        organisation=request.organisation,  # type: ignore[attr-defined]
        user=request.user,
    )


def _run(request: HttpRequest, pending: PendingImport, dry_run: bool) -> ImportOutcome:
    limits, seconds = site_limits()
    return run_import(
        organisation=request.organisation,  # type: ignore[attr-defined]
        data=pending.data, filename=pending.filename,
        source=pending.source or None,  # type: ignore[arg-type]
        instrument=pending.instrument or None, user=request.user,  # type: ignore[arg-type]
        dry_run=dry_run, limits=limits, time_limit=seconds,
    )


def _keep(pending: PendingImport, outcome: ImportOutcome) -> None:
    """Keep what checking the file found, for the page to show until the next check."""
    pending.result = results.to_json(outcome)
    pending.checked_at = timezone.now()
    pending.save(update_fields=["result", "checked_at"])


def _check(request: HttpRequest, pending: PendingImport) -> ImportOutcome:
    """The dry run of an upload, kept with it."""
    outcome = _run(request, pending, dry_run=True)
    _keep(pending, outcome)
    return outcome


def _checked(request: HttpRequest, pending: PendingImport) -> ImportOutcome:
    """What the last check of the upload found; checked now only if it never was."""
    return results.from_json(pending.result) or _check(request, pending)


def _read_as(outcome: ImportOutcome) -> str:
    """What the file was read as, in the reader's language."""
    names = {
        ("kobo", "json"): _("KoboToolbox data file (JSON)"),
        ("kobo", "csv"): _("KoboToolbox CSV export"),
        ("kobo", "xlsx"): _("KoboToolbox Excel (XLSX) export"),
        ("odk", "csv"): _("ODK Central CSV export"),
        ("odk", "zip"): _("ODK Central export (zip of CSV files)"),
    }
    return names.get((outcome.file.source, outcome.file.format), outcome.file.description)


def _context(pending: PendingImport, outcome: ImportOutcome) -> dict[str, Any]:
    return {
        "pending": pending,
        "read_as": _read_as(outcome),
        "outcome": outcome,
        "rows": outcome.rows,
        "errors": outcome.errors,
        "shown_errors": outcome.errors[:MAX_SHOWN],
        "more_errors": max(0, len(outcome.errors) - MAX_SHOWN),
        "warnings": outcome.warnings[:MAX_SHOWN],
        "more_warnings": max(0, len(outcome.warnings) - MAX_SHOWN),
    }


@role_required(*CAN_RECORD)
def import_upload(request: HttpRequest) -> HttpResponse:
    PendingImport.objects.expired().delete()
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        pending = PendingImport(
            organisation=request.organisation,  # type: ignore[attr-defined]
            user=request.user, source=form.cleaned_data["source"],
            instrument=form.cleaned_data["instrument"], filename=upload.name[-200:],
        )
        pending.data = upload.read()
        pending.save()
        _check(request, pending)
        return redirect("import_review", pk=pending.pk)
    waiting = PendingImport.objects.current().filter(
        organisation=request.organisation,  # type: ignore[attr-defined]
        user=request.user,
    )
    return render(request, "fieldwork/import_upload.html", {"form": form, "waiting": waiting})


@role_required(*CAN_RECORD)
def import_review(request: HttpRequest, pk: int) -> HttpResponse:
    pending = _pending(request, pk)
    if request.method == "POST" and "check" in request.GET:
        # Checked again on request: after a consent was recorded or a participant added in
        # Empower, or after someone else imported some of these submissions.
        _check(request, pending)
        return redirect("import_review", pk=pending.pk)
    outcome = _checked(request, pending)
    if request.method == "POST" and outcome.ready:
        outcome = _run(request, pending, dry_run=False)
        if outcome.written:
            audit_import(outcome, request=request)
            pending.delete()
            return render(request, "fieldwork/import_done.html", _context(pending, outcome))
        _keep(pending, outcome)
    if request.method == "POST" and outcome.errors:
        messages.error(request, _("Nothing was imported: see the problems below."))
    elif request.method == "POST":
        messages.info(request, _("Nothing was imported: there is nothing new in this file."))
    return render(request, "fieldwork/import_review.html", _context(pending, outcome))


@role_required(*CAN_RECORD)
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    _pending(request, pk).delete()
    messages.success(request, _("The uploaded file was deleted. Nothing was imported."))
    return redirect("import_upload")
