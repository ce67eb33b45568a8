"""Forms for an organisation's administrator to manage the people who log in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from .models import Role


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
