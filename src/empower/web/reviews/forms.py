"""Forms for the review protocol."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Criterion, Project, Search


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["title", "question", "scale", "conflict_rule", "include_terms",
                  "exclude_terms"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 3}),
            "include_terms": forms.Textarea(attrs={"rows": 3}),
            "exclude_terms": forms.Textarea(attrs={"rows": 3}),
        }


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["factor", "criterion", "rationale"]
        widgets = {"criterion": forms.Textarea(attrs={"rows": 2}),
                   "rationale": forms.Textarea(attrs={"rows": 2})}


class SearchForm(forms.ModelForm):
    class Meta:
        model = Search
        fields = ["database", "method", "query", "run_on", "hits", "not_exported", "note"]
        widgets = {"query": forms.Textarea(attrs={"rows": 3}),
                   "note": forms.Textarea(attrs={"rows": 2}),
                   "run_on": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict:
        data = super().clean() or {}
        if (data.get("not_exported") or 0) > (data.get("hits") or 0):
            self.add_error("not_exported", _("More hits left out than the search found."))
        return data

    def clean_run_on(self) -> date:
        value: date = self.cleaned_data["run_on"]
        if value > date.today():
            raise forms.ValidationError(_("A search cannot have been run in the future."))
        return value


class ImportForm(forms.Form):
    FORMATS = [("", _("Recognise from the file")), ("ris", "RIS"), ("bibtex", "BibTeX"),
               ("csv", "CSV")]
    search = forms.ModelChoiceField(queryset=Search.objects.none(), label=_("From which search"))
    file = forms.FileField(label=_("Export file (RIS, BibTeX or CSV)"))
    file_format = forms.ChoiceField(choices=FORMATS, required=False, label=_("Format"))
    columns = forms.CharField(
        label=_("Columns of a CSV file (only if not recognised)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: the column's name = title, abstract, authors, year, "
                    "journal, doi, keywords or source_id. Scopus and Publish or Perish exports "
                    "are recognised without this."),
    )

    MAX_BYTES = 50 * 1024 * 1024

    def __init__(self, project: Project, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["search"].queryset = project.searches.all()  # type: ignore[attr-defined]

    def clean_columns(self) -> dict[str, str] | None:
        return parse_column_mapping(self.cleaned_data.get("columns", ""))

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB. Split the export."))
        return upload


def parse_column_mapping(text: str) -> dict[str, str] | None:
    """``"Article Title = title"`` lines → ``{"Article Title": "title"}`` (None when empty)."""
    mapping = {}
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        column, sep, field = line.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise forms.ValidationError(
                _("Line %(n)d: write the column's name, then =, then the field.") % {"n": n}
            )
        mapping[column.strip()] = field.strip().lower()
    return mapping or None
