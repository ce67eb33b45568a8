"""The two export forms: totals for everyone who reads reports, records for analysts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from empower.metrics.privacy import Audience

from .datasets import ExportRefused, check_request

#: Who a file of totals is for, in the words used on the page and the command line.
AUDIENCES = {"staff": Audience.INTERNAL, "shared": Audience.EXTERNAL, "public": Audience.PUBLIC}


class _ExportForm(forms.Form):
    dataset: str

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["audience"] = check_request(
                data.get("dataset") or self.dataset, data["format"], data["purpose"],
                data.get("audience"),
            )
        except ExportRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return data


class TotalsForm(_ExportForm):
    """Totals (aggregates). A viewer's file is always protected for viewers."""

    dataset = "aggregates"
    format = forms.ChoiceField(
        label=_("File type"),
        choices=[("hxl", _("CSV table, tagged for humanitarian data sites (HXL)")),
                 ("xlsx", _("Excel workbook"))],
        help_text=_("Both open in Excel. The CSV file has a second heading row of short tags "
                    "(HXL, the Humanitarian Exchange Language) that humanitarian data sites, "
                    "such as the Humanitarian Data Exchange, read without help."),
    )
    purpose = forms.ChoiceField(
        label=_("What the totals are for"),
        choices=[("own_reporting", _("Our own reports")),
                 ("sharing", _("Sharing with a network or funder")),
                 ("research", _("Research"))],
        help_text=_("Only participants who agreed to this use are counted."),
    )
    audience = forms.ChoiceField(
        label=_("Who will read it"),
        choices=[("staff", _("Our own staff: nothing hidden")),
                 ("shared", _("A partner, funder or researcher: small groups hidden")),
                 ("public", _("Anyone (published): groups under 11 hidden"))],
    )

    def __init__(self, *args: Any, viewer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        if viewer:
            del self.fields["audience"]

    def clean_audience(self) -> str:
        return AUDIENCES[self.cleaned_data["audience"]].value

    def clean(self) -> dict[str, Any]:
        if self.viewer:
            self.cleaned_data["audience"] = Audience.VIEWER.value
        return super().clean()


class RecordsForm(_ExportForm):
    """Records (one row per assessment, score, service or person), for admins and analysts
    only."""

    dataset = forms.ChoiceField(
        label=_("What to export"),
        choices=[("assessments", _("Assessments: one row per interview, with every answer")),
                 ("scores", _("Scores: one row per interview and axis")),
                 ("services", _("Services: one row per service a person received, with "
                                "how it was given and its effects")),
                 ("htcds", _("Participants, in the shared format for trafficking case data "
                             "(HTCDS)"))],
    )
    format = forms.ChoiceField(
        label=_("File type"),
        choices=[("csv", _("CSV (opens in Excel)")), ("xlsx", _("Excel workbook")),
                 ("sav", _("SPSS data file"))],
    )
    purpose = forms.ChoiceField(
        label=_("What the file is for"),
        choices=[("own_reporting", _("Our own staff's analysis")),
                 ("research", _("Research (a research code and fewer details about each "
                                "person)"))],
        help_text=_("Only participants who agreed to this use are included. Names, phone "
                    "numbers, addresses and interview notes are never exported."),
    )
