"""Forms for an organisation's administrator to manage the people who log in, and for the
code step of two-step login."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .models import Membership, Organisation, Role


class NewMemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("First password"), widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 10 characters. Give it to the person privately; "
                    "they should change it after logging in."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken. Choose another."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            user = get_user_model()(username=data.get("username", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    active = forms.BooleanField(label=_("Can log in"), required=False)


class CodeForm(forms.Form):
    """The 6-digit code from the authenticator app (spaces are allowed and ignored)."""

    code = forms.CharField(
        label=_("6-digit code"), max_length=12, strip=True,
        widget=forms.TextInput(attrs={
            "inputmode": "numeric", "autocomplete": "one-time-code", "autocapitalize": "none",
            "autofocus": True, "pattern": "[0-9 ]*",
        }),
    )


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["small_cell_threshold", "withdrawal_contact"]
        help_texts = {
            "small_cell_threshold": _(
                "Groups smaller than this are hidden in reports for viewers and in exports "
                "shared outside the organisation. At least 3; public releases always use 11."
            ),
            "withdrawal_contact": _(
                "A phone number or place, printed on consent receipts. Not a personal number."
            ),
        }


def _language_choices() -> list[tuple[str, str]]:
    """Each language in its own script, so a person finds theirs whatever is shown now."""
    choices = [("", _("Whatever this phone or computer is set to"))]
    for code, name in settings.LANGUAGES:
        own = get_language_info(code)["name_local"]
        shown = str(name)  # the language's name in the language of the page
        choices.append((code, own if own == shown else f"{own} ({shown})"))
    return choices


class LanguageForm(forms.ModelForm):
    """The language a person reads Empower in, stored with their login."""

    language = forms.TypedChoiceField(
        label=_("Language"), required=False, choices=_language_choices, empty_value="",
        widget=forms.RadioSelect,
        help_text=_("Used on every phone or computer you log in from. Interviews and consent "
                    "have their own language, chosen for each participant."),
    )

    class Meta:
        model = Membership
        fields = ["language"]
