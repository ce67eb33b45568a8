"""``empower demo``: load the synthetic demo organisation, its users and its cohort."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rich.progress import Progress

from empower.demo import pilot_cohort
from empower.instruments import library
from empower.web.accounts.models import Membership, Organisation, Role
from empower.web.assessments.recording import record_assessment
from empower.web.people.consent_texts import purpose_text
from empower.web.people.models import Consent, ConsentDecision, GivenBy, HowGiven, Participant

DEMO_SLUG = "demo"
DEMO_PASSWORD = "empower-demo-2026"
DEMO_USERS = [
    ("demo-admin", Role.ADMIN),
    ("demo-interviewer", Role.INTERVIEWER),
    ("demo-analyst", Role.ANALYST),
    ("demo-viewer", Role.VIEWER),
]


def login_lines() -> list[str]:
    """How to log in to the demo: the logins, their password, and which must use two-step
    login (administrators must: at their first login they set up an authenticator app)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    lines = [f"Demo logins (synthetic data), password for all: {DEMO_PASSWORD}"]
    for username, role in DEMO_USERS:
        note = ""
        if role == Role.ADMIN:
            set_up = TOTPDevice.objects.filter(user__username=username, confirmed=True).exists()
            note = ("  two-step login: after the password, type the code from your "
                    "authenticator app" if set_up else
                    "  needs two-step login: see below")
        lines.append(f"  {username:18} {role.label}{note}")
    lines += [
        "Administrators must use two-step login. The first time demo-admin logs in, Empower",
        "shows only the Two-step login page: install an authenticator app on a phone (Aegis,",
        "FreeOTP, Google Authenticator or any TOTP app), scan the QR code on the page (or type",
        "the key shown), then type the 6-digit code the app shows. After that, every login as",
        "demo-admin asks for a new code from the app. Lost the phone? Run",
        "  empower reset_two_step demo-admin",
        "The other demo logins need only the password: to look around without a phone, log in",
        "as demo-interviewer, demo-analyst or demo-viewer.",
    ]
    return lines


class Command(BaseCommand):
    help = "Load the synthetic demo organisation, users and pilot-shaped cohort."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Do nothing if the database already holds any organisation.",
        )
        parser.add_argument("--seed", type=int, default=2018)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Organisation.objects.exists():
            self.stdout.write("The database already holds data; demo data not loaded.")
            return
        if Organisation.objects.filter(slug=DEMO_SLUG).exists():
            raise CommandError(
                "The demo organisation is already loaded. Use a fresh database to load it again."
            )
        cohort = pilot_cohort(seed=options["seed"])
        instruments = library()
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name="Demo organisation (synthetic data)", slug=DEMO_SLUG
            )
            users = self._users(organisation)
            interviewer = users["demo-interviewer"]
            with Progress(transient=True) as progress:
                task = progress.add_task("Loading the demo cohort", total=len(cohort))
                for person in cohort:
                    self._participant(organisation, person, interviewer, instruments)
                    progress.advance(task)
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {len(cohort)} synthetic participants into '{organisation.name}'."
        ))
        for line in login_lines():
            self.stdout.write(line)

    def _users(self, organisation: Organisation) -> dict[str, Any]:
        User = get_user_model()
        users = {}
        for username, role in DEMO_USERS:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
            Membership.objects.create(user=user, organisation=organisation, role=role)
            users[username] = user
        return users

    def _participant(
        self, organisation: Organisation, person: Any, interviewer: Any, instruments: dict
    ) -> None:
        participant = Participant.objects.create(
            organisation=organisation,
            gender=person.gender,
            year_of_birth=person.year_of_birth,
            region_of_origin=person.region or "",
            exploitation_types=person.exploitation_types,
            destination_country=person.destination or "",
            status=person.status,
            is_synthetic=True,
            created_by=interviewer,
        )
        given_at = timezone.make_aware(datetime.combine(person.conducted_on, time(9, 0)))
        consent = Consent.objects.create(
            participant=participant,
            given_at=given_at,
            how_given=HowGiven.WRITTEN,
            given_by=GivenBy.WITH_GUARDIAN if person.consent_with_guardian else GivenBy.PARTICIPANT,
            language="my",
            recorded_by=interviewer,
        )
        for purpose in ("interview", "own_reporting", "sharing", "research"):
            ConsentDecision.objects.create(
                consent=consent, purpose=purpose, agreed=purpose in person.consent_scopes,
                wording=purpose_text(purpose, "my"),
            )
        for assessment in person.assessments:
            record_assessment(
                participant=participant,
                instrument=instruments[assessment.instrument_key],
                conducted_on=assessment.conducted_on,
                language="my",
                interviewer=interviewer,
                answers=assessment.answers,
                services=assessment.services,
            )
