"""Evidence reviews: the protocol, imported records, screening decisions and their resolution.

The statistics, de-duplication, ranking and PRISMA counting live in the pure
``empower.evidence`` package; these models only keep what reviewers did, so every PRISMA number
is computed from the decisions and never typed in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from empower.web.accounts.models import Organisation


class Scale(models.TextChoices):
    RANK_0_4 = "rank_0_4", _("Relevance rank 0–4 (as in the survivor-groups review)")
    INCLUDE_MAYBE_EXCLUDE = "include_maybe_exclude", _("Include / maybe / exclude")


class ConflictRule(models.TextChoices):
    DISCUSSION = "discussion", _("Reviewers discuss and record the agreed decision")
    THIRD_REVIEWER = "third_reviewer", _("A third reviewer decides")
    MOST_INCLUSIVE = "most_inclusive", _("The more inclusive decision wins")


class Project(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=300)
    question = models.TextField(_("review question"))
    scale = models.CharField(_("screening scale"), max_length=30, choices=Scale.choices,
                             default=Scale.RANK_0_4)
    conflict_rule = models.CharField(_("when reviewers disagree"), max_length=20,
                                     choices=ConflictRule.choices,
                                     default=ConflictRule.MOST_INCLUSIVE)
    include_terms = models.TextField(
        _("words to highlight as relevant"), blank=True,
        help_text=_("One per line; * matches any ending, e.g. traffick*"),
    )
    exclude_terms = models.TextField(_("words to highlight as reasons to exclude"), blank=True)
    exclusion_reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def terms(self, field: str) -> list[str]:
        return [t.strip() for t in getattr(self, field).splitlines() if t.strip()]


class Criterion(models.Model):
    """One eligibility criterion: the factor (population, setting, design …), what qualifies,
    and why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="criteria")
    factor = models.CharField(_("factor"), max_length=100)
    criterion = models.TextField(_("criterion"))
    rationale = models.TextField(_("rationale"), blank=True)

    class Meta:
        ordering = ["id"]


class Method(models.TextChoices):
    DATABASE = "database", _("Database")
    REGISTER = "register", _("Register")
    OTHER = "other", _("Other method (websites, organisations, citation searching)")


class Search(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="searches")
    database = models.CharField(_("database or source"), max_length=200)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.DATABASE)
    query = models.TextField(_("query as run"))
    run_on = models.DateField(_("date run"))
    hits = models.PositiveIntegerField(_("number of hits reported by the database"))
    not_exported = models.PositiveIntegerField(
        _("hits not exported"), default=0,
        help_text=_("Hits left out before export, e.g. when screening stopped after 10 pages "
                    "with nothing relevant. They count as removed before screening."),
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["run_on", "id"]

    def __str__(self) -> str:
        return f"{self.database} ({self.run_on})"


class ImportBatch(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    search = models.ForeignKey(Search, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="imports")
    filename = models.CharField(max_length=300)
    file_format = models.CharField(max_length=20)
    records_read = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class Removal(models.TextChoices):
    NONE = "", _("Kept")
    DUPLICATE = "duplicate", _("Duplicate")
    AUTOMATION = "automation", _("Marked ineligible by an automation tool")
    OTHER = "other", _("Removed for another reason")


class Retrieval(models.TextChoices):
    NOT_SOUGHT = "", _("Not sought")
    SOUGHT = "sought", _("Sought")
    NOT_RETRIEVED = "not_retrieved", _("Could not be retrieved")
    RETRIEVED = "retrieved", _("Retrieved")


class Record(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="records")
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL,
                              related_name="records")
    source = models.CharField(max_length=200)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.DATABASE)
    source_id = models.CharField(max_length=200, blank=True)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    journal = models.CharField(max_length=500, blank=True)
    doi = models.CharField(max_length=300, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    removed = models.CharField(max_length=20, choices=Removal.choices, default=Removal.NONE,
                               blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    retrieval = models.CharField(max_length=20, choices=Retrieval.choices, blank=True,
                                 default=Retrieval.NOT_SOUGHT)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title[:80]


class DuplicateCandidate(models.Model):
    """A pair the de-duplication could not decide on: a person looks at it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="candidates")
    first = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    resolved = models.CharField(max_length=20, blank=True)  # "duplicate" / "distinct"


class Stage(models.TextChoices):
    TITLE_ABSTRACT = "title_abstract", _("Title and abstract")
    FULL_TEXT = "full_text", _("Full text")


class Decision(models.Model):
    """One reviewer's independent decision on one record at one stage."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="decisions")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    value = models.CharField(max_length=20)
    exclusion_reason = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "stage", "reviewer"],
                                    name="one_decision_per_reviewer")
        ]


class Resolution(models.Model):
    """The final decision on a record at a stage, and how it was reached."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="resolutions")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    value = models.CharField(max_length=20)
    rule = models.CharField(max_length=30)
    exclusion_reason = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "stage"], name="one_resolution_per_stage")
        ]


class Theme(models.Model):
    """A theme of the thematic synthesis, and what each included study says on it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="themes")
    theme = models.CharField(_("theme"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    #: record id (as text) → what that included study says on the theme
    findings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.theme
