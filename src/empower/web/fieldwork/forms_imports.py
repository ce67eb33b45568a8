"""The upload form for importing interviews collected offline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from empower.instruments import library, text_in
from empower.instruments.submissions import not_a_submissions_file

#: Exports of a few thousand interviews stay well below this.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def instrument_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Every question set as "title, version 2.0", in the reader's language."""
    language = language or get_language() or "en"
    return [
        (key, _("%(title)s, version %(version)s") % {
            "title": text_in(i.title, language)[0], "version": i.version})
        for key, i in sorted(library().items())
    ]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File downloaded from KoboToolbox or ODK Central"),
        help_text=_("KoboToolbox: the Excel (XLSX) export, which keeps the services, a CSV "
                    "export, or the JSON data file. ODK Central: the zip export, which keeps "
                    "the services, or its CSV. Collect with the form Empower made, and in "
                    "KoboToolbox export with “XML values and headers”."),
    )
    source = forms.ChoiceField(
        label=_("Where it comes from"), required=False, widget=forms.RadioSelect,
        choices=[("", _("Work it out from the file")), ("kobo", _("KoboToolbox")),
                 ("odk", _("ODK Central"))],
    )
    instrument = forms.ChoiceField(
        label=_("Question set, for submissions that do not say which they used"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [  # type: ignore[attr-defined]
            ("", _("As each submission says")), *instrument_choices()
        ]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB. Export fewer submissions at a time.")
                % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        # A picture or a PDF chosen by mistake is refused here, before it is stored or read.
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        stranger = not_a_submissions_file(head, upload.name or "")
        if stranger is not None:
            raise forms.ValidationError(str(stranger))
        return upload
