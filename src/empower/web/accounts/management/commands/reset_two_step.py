"""``empower reset_two_step USERNAME``: remove a person's authenticator (a lost phone).

For when no other administrator of the organisation can do it on the Team page. An
administrator is asked to set up a new authenticator at their next login.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Remove a person's two-step login authenticator, e.g. after a lost phone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no login named {username!r}.")
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        self.stdout.write(f"Two-step login for {username} reset ({count} removed).")
