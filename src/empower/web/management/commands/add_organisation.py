"""``empower add_organisation``: create an organisation and its first administrator."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from empower.web.accounts.models import Membership, Organisation, Role


class Command(BaseCommand):
    help = "Create an organisation and its first administrator (asks for the password)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="The organisation's name.")
        parser.add_argument("--slug", help="Short name used on the command line.")
        parser.add_argument("--admin", required=True, help="Username of the first administrator.")
        parser.add_argument(
            "--password-stdin", action="store_true",
            help="Read the password from standard input instead of asking.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"] or slugify(options["name"])
        if not slug:
            raise CommandError("Give a --slug made of letters, digits and hyphens.")
        if Organisation.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with the short name '{slug}' exists already.")
        User = get_user_model()
        if User.objects.filter(username__iexact=options["admin"]).exists():
            raise CommandError(f"The username '{options['admin']}' is taken.")
        password = self._password(options)
        try:
            password_validation.validate_password(password, User(username=options["admin"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            organisation = Organisation.objects.create(name=options["name"], slug=slug)
            user = User.objects.create_user(username=options["admin"], password=password)
            Membership.objects.create(user=user, organisation=organisation, role=Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(
            f"Created '{organisation.name}' ({slug}) with administrator {user.username}."
        ))

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("Password for the administrator: ")
        if first != getpass.getpass("Again: "):
            raise CommandError("The two passwords differ.")
        return first
