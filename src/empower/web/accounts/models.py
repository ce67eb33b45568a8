"""Organisations and the roles people hold in them.

Every record that concerns a survivor belongs to exactly one organisation, and every query a
view makes is limited to the organisation of the person logged in (see ``permissions``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    #: groups smaller than this are suppressed in reports for anyone but the organisation's
    #: own staff (public releases always use at least 11)
    small_cell_threshold = models.PositiveSmallIntegerField(
        _("smallest group shown in shared reports"), default=5,
        validators=[MinValueValidator(3), MaxValueValidator(50)],
    )
    #: how a participant can reach the organisation to withdraw consent; printed on receipts
    withdrawal_contact = models.CharField(
        _("how participants can reach you to withdraw consent"), max_length=200, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a person may do inside their organisation.

    * admin – manages people who log in, and can do everything below;
    * interviewer – records participants, consent and assessments;
    * analyst – reads pseudonymous participant records and cohort reports;
    * viewer – reads cohort reports (aggregates) only.
    """

    ADMIN = "admin", _("Administrator")
    INTERVIEWER = "interviewer", _("Interviewer")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A person's role in one organisation. One login belongs to one organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    #: the language this person reads Empower in, on every device they log in from; empty:
    #: whatever the device asks for (browser setting or the switcher at the foot of each page).
    #: A code from settings.LANGUAGES, checked by the form (no choices here, so that adding a
    #: language needs no migration).
    language = models.CharField(
        _("language of the interface"), max_length=10, blank=True, default=""
    )

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.role})"
