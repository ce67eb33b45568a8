"""The instruments page: which instruments and versions the site uses, and their XLSForms.

An XLSForm is what KoboToolbox and ODK Collect need to collect interviews offline; submissions
come back through the imports pages. The form holds no person data, but every download is
audited so an organisation can see which form versions went out to the field.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from empower.instruments import Instrument, get_instrument, library, text_in
from empower.instruments.xlsform import form_version, xlsform_bytes, xlsform_filename
from empower.web.accounts.models import Role
from empower.web.accounts.permissions import CAN_READ_REPORTS, role_required
from empower.web.audit.log import Action, record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@role_required(*CAN_READ_REPORTS)
def instrument_list(request: HttpRequest) -> HttpResponse:
    """Every instrument version, newest first within each instrument."""
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    rows = [
        {
            "instrument": instrument,
            "title": text_in(instrument.title, language)[0],
            "description": text_in(instrument.description, language)[0],
            "questions": len(instrument.items),
            "languages": ", ".join(_language_name(code) for code in instrument.languages),
        }
        for instrument in sorted(library().values(), key=lambda i: i.id)
    ]
    role = request.membership.role  # type: ignore[attr-defined]
    return render(request, "fieldwork/instrument_list.html", {
        "rows": rows,
        "form_version": form_version(),
        "can_see_quality": role in (Role.ADMIN, Role.ANALYST),
    })


@role_required(*CAN_READ_REPORTS)
def instrument_xlsform(request: HttpRequest, instrument_id: str, version: str) -> HttpResponse:
    """The XLSForm of one instrument version, versioned with today's date."""
    instrument = _instrument(instrument_id, version)
    response = HttpResponse(xlsform_bytes(instrument), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{xlsform_filename(instrument)}"'
    record(Action.DOWNLOAD, request=request, target_type="instrument",
           target_id=instrument.key, detail={"format": "xlsform", "version": form_version()})
    return response


def _language_name(code: str) -> str:
    """A language as the reader calls it ("Bengali", "বাংলা" …), not its code."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _instrument(instrument_id: str, version: str) -> Instrument:
    try:
        return get_instrument(instrument_id, version)
    except KeyError:
        raise Http404(_("No such instrument version.")) from None
