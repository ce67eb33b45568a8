"""``empower api_token USERNAME [--revoke]``: make or revoke a person's API key.

    empower api_token amina          # prints a new key (an old one stops working)
    empower api_token amina --revoke # the key stops working at once

For an operator at the server, e.g. to set up a dashboard's account; people can do the same
for themselves on the page ``/api/key/``. The key is printed once and never shown again (only
its hash is stored; see ``empower.web.api.models``). A
person who must use two-step login (an administrator) gets a key only once their
authenticator is set up. Audited as ``api.token`` (without an actor: the operator).

Exit codes: 0 done; 1 the key could not be made (no such login, login stopped, not a member of
an organisation, two-step login not set up); 2 wrong arguments.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from empower.web.accounts.models import Membership
from empower.web.api.authentication import issue_key, revoke_key, two_step_ready


class Command(BaseCommand):
    help = "Make (or with --revoke, revoke) the API key of the login USERNAME."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="Revoke the key instead.")

    def handle(self, *args: Any, username: str, revoke: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no login named {username!r}.", returncode=1)
        if revoke:
            if revoke_key(user, via="command"):
                self.stdout.write(f"The API key of {username} is revoked.")
            else:
                self.stdout.write(f"{username} had no API key; nothing changed.")
            return
        if not user.is_active:
            raise CommandError(f"The login {username!r} is stopped; no key made.", returncode=1)
        if not Membership.objects.filter(user=user).exists():
            raise CommandError(
                f"{username!r} is not a member of any organisation, so a key would read "
                "nothing; no key made.", returncode=1,
            )
        if not two_step_ready(user):
            raise CommandError(
                f"{username!r} must use two-step login and has not set it up yet; they get a "
                "key after setting it up at their next login. No key made.", returncode=1,
            )
        key = issue_key(user, via="command")
        self.stdout.write(f"API key for {username} (shown only now; an older key stops working):")
        self.stdout.write(key)
