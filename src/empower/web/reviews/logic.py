"""Glue between the review models and the pure ``empower.evidence`` engine.

Reading and writing the database happens here; every rule (how conflicts resolve, what counts
in PRISMA, how records are ranked) is the pure package's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction

from empower.evidence import prisma
from empower.evidence.prioritise import Prioritiser
from empower.evidence.screening import (
    BUILT_IN_SCALES,
    INCLUDE_EXCLUDE,
    DecisionScale,
    resolve,
)
from empower.web.reportcache.cache import cached

from .models import Decision, Project, Record, Removal, Resolution, Retrieval, Stage

#: Decisions between two trainings of the screening model (``next_for``).
RETRAIN_EVERY = 5

Value = int | str


def scale_for(project: Project, stage: str = Stage.TITLE_ABSTRACT) -> DecisionScale:
    """Title/abstract screening uses the project's scale; full text is include or exclude."""
    return INCLUDE_EXCLUDE if stage == Stage.FULL_TEXT else BUILT_IN_SCALES[project.scale]


def parse_value(scale: DecisionScale, raw: str) -> Value:
    """A stored or posted value as the scale's own type (ranks are numbers)."""
    for value in scale.values:
        if str(value) == str(raw):
            return value
    raise ValueError(f"{raw!r} is not on the scale {scale.label}")


def goes_on(scale: DecisionScale, value: Value) -> bool:
    """Whether a resolved decision sends the record on to the next stage ("maybe" does)."""
    return scale.option(value).include is not False


def screenable(project: Project) -> Any:
    """Records that are screened: imported, not removed before screening."""
    return project.records.filter(removed=Removal.NONE)


def full_text_candidates(project: Project) -> Any:
    """Records whose title/abstract decision sends them on to the full text."""
    scale = scale_for(project)
    passing = [str(v) for v in scale.values if scale.option(v).include is not False]
    return screenable(project).filter(
        resolutions__stage=Stage.TITLE_ABSTRACT, resolutions__value__in=passing
    )


def votes(project: Project, stage: str) -> dict[int, dict[int, Value]]:
    """``{record id: {reviewer id: value}}`` for one stage."""
    scale = scale_for(project, stage)
    found: dict[int, dict[int, Value]] = defaultdict(dict)
    for d in Decision.objects.filter(record__project=project, stage=stage):
        found[d.record_id][d.reviewer_id] = parse_value(scale, d.value)
    return dict(found)


def settle(record: Record, stage: str, *, agreed: str | None = None, by: Any = None) -> None:
    """Apply the project's rule to the record's votes at ``stage`` and store the outcome.

    With a single vote nothing is settled: screening is independent and double.
    """
    project = record.project
    scale = scale_for(project, stage)
    decisions = list(record.decisions.filter(stage=stage).order_by("decided_at", "id"))
    given = {d.reviewer_id: parse_value(scale, d.value) for d in decisions}
    if len(given) < 2 and agreed is None:
        Resolution.objects.filter(record=record, stage=stage).delete()
        return
    rule = project.conflict_rule
    pending, third = given, None
    if rule == "third_reviewer" and len(given) > 2:
        # The first two votes are the independent pair; the next one is the tie-breaker.
        pending, third = dict(list(given.items())[:2]), list(given.values())[2]
    outcome = resolve(
        pending or [parse_value(scale, agreed)], rule, scale, third,
        agreed=parse_value(scale, agreed) if agreed is not None else None,
    )
    if outcome.value is None:
        Resolution.objects.filter(record=record, stage=stage).delete()
        return
    unanimous = agreed is None and len(set(given.values())) == 1
    reason = ""
    if stage == Stage.FULL_TEXT and outcome.value == "exclude":
        reasons = [d.exclusion_reason for d in decisions if d.value == "exclude"]
        reason = max(sorted(set(reasons)), key=reasons.count) if reasons else ""
    Resolution.objects.update_or_create(
        record=record, stage=stage,
        defaults={"value": str(outcome.value), "rule": "agreement" if unanimous else rule,
                  "exclusion_reason": reason, "decided_by": by},
    )


@transaction.atomic
def decide(
    record: Record, stage: str, reviewer: Any, raw_value: str, *, reason: str = "",
    note: str = "",
) -> Decision:
    scale = scale_for(record.project, stage)
    value = parse_value(scale, raw_value)
    decision, _ = Decision.objects.update_or_create(
        record=record, stage=stage, reviewer=reviewer,
        defaults={"value": str(value), "exclusion_reason": reason, "note": note},
    )
    settle(record, stage)
    return decision


def open_conflicts(project: Project, stage: str) -> list[dict[str, Any]]:
    """Records with two or more votes and no settled outcome yet."""
    settled = set(
        Resolution.objects.filter(record__project=project, stage=stage)
        .values_list("record_id", flat=True)
    )
    found = []
    for record_id, given in votes(project, stage).items():
        if len(given) >= 2 and record_id not in settled:
            found.append({"record": Record.objects.get(pk=record_id), "votes": given})
    return found


def next_for(project: Project, reviewer: Any) -> tuple[Record | None, int]:
    """The record this reviewer should screen next, most likely relevant first, and how many
    are left. The model learns from the settled decisions and this reviewer's own votes only,
    so one reviewer's choices never steer another's (screening stays blind)."""
    records = list(screenable(project))
    scale = scale_for(project)
    mine = {
        d.record_id: goes_on(scale, parse_value(scale, d.value))
        for d in Decision.objects.filter(
            record__project=project, stage=Stage.TITLE_ABSTRACT, reviewer=reviewer
        )
    }
    settled = {
        r.record_id: goes_on(scale, parse_value(scale, r.value))
        for r in Resolution.objects.filter(record__project=project, stage=Stage.TITLE_ABSTRACT)
    }
    todo = [r for r in records if r.pk not in mine and r.pk not in settled]
    if not todo:
        return None, 0
    labels = [settled.get(r.pk, mine.get(r.pk)) for r in records]

    def ranking() -> list[int]:
        texts = [_text(r) for r in records]
        ranker = Prioritiser(question=project.question, seed=project.pk).fit(texts, labels)
        return [todo[i].pk for i in ranker.rank([_text(r) for r in todo])]

    # The model is retrained after every RETRAIN_EVERY decisions, not after each one (training
    # on a few thousand records takes about a second; a reviewer should not wait that long
    # between records). Between trainings the last order is followed, skipping what was decided.
    labelled = sum(label is not None for label in labels)
    order = cached(project.organisation, "screening_order",
                   (project.pk, reviewer.pk, len(records), labelled // RETRAIN_EVERY),
                   ranking, versioned=False)
    waiting = {r.pk: r for r in todo}
    following = next((waiting[pk] for pk in order if pk in waiting), None)
    if following is None:  # e.g. a decision taken back since: rank afresh
        following = waiting[ranking()[0]]
    return following, len(todo)


def _text(record: Record) -> str:
    return " ".join([record.title, record.abstract, " ".join(record.keywords)])


def prisma_log(project: Project) -> list[Any]:
    """The decision log the PRISMA counts are computed from."""
    log: list[Any] = []
    for search in project.searches.filter(not_exported__gt=0):
        # Hits the database reported but that were never exported (a stopping rule, say):
        # identified, then removed before screening for another reason.
        for n in range(search.not_exported):
            key = f"search{search.pk}-{n}"
            log.append(prisma.Identified(key, search.database, search.method))
            log.append(prisma.RemovedBeforeScreening(key, prisma.OTHER_REASON))
    ta_scale = scale_for(project)
    resolutions = {
        (r.record_id, r.stage): r for r in Resolution.objects.filter(record__project=project)
    }
    for record in project.records.all():
        log.append(prisma.Identified(record.pk, record.source, record.method))
        if record.removed:
            log.append(prisma.RemovedBeforeScreening(record.pk, record.removed))
            continue
        if record.method != prisma.OTHER:
            screen = resolutions.get((record.pk, Stage.TITLE_ABSTRACT))
            if screen is None:
                continue
            passed = goes_on(ta_scale, parse_value(ta_scale, screen.value))
            log.append(prisma.ScreenDecision(record.pk, include=passed))
            if not passed:
                continue
        if record.retrieval in (Retrieval.SOUGHT, Retrieval.NOT_RETRIEVED, Retrieval.RETRIEVED):
            log.append(prisma.SoughtForRetrieval(record.pk))
        if record.retrieval == Retrieval.NOT_RETRIEVED:
            log.append(prisma.NotRetrieved(record.pk))
            continue
        full = resolutions.get((record.pk, Stage.FULL_TEXT))
        if full is not None:
            included = full.value == "include"
            log.append(prisma.FullTextDecision(record.pk, included, full.exclusion_reason))
            if included:
                log.append(prisma.Included(record.pk))
    return log


READERS = {"ris": "read_ris", "bibtex": "read_bibtex", "csv": "read_csv"}


def import_export(
    project: Project, search: Any, data: bytes, filename: str, file_format: str, user: Any,
    mapping: dict[str, str] | None = None,
) -> tuple[Any, int, int]:
    """Read one export file into the project, all or nothing, then look for duplicates.

    Returns ``(import result, duplicates removed, pairs queued for a person)``. Raises the
    importer's ``ImportFailed`` (with every lost entry named) when the file cannot be read
    whole; nothing is saved then.
    """
    from empower.evidence import importers

    chosen = file_format or importers.sniff_format(importers.decode(data)[0], filename)
    reader = getattr(importers, READERS[chosen])
    options = {"mapping": mapping} if chosen == "csv" and mapping else {}
    result = reader(data, search.database, **options)
    with transaction.atomic():
        batch = project.imports.create(
            search=search, filename=filename[:300], file_format=chosen,
            records_read=len(result.records), created_by=user,
        )
        Record.objects.bulk_create(
            Record(
                project=project, batch=batch, source=search.database, method=search.method,
                source_id=r.source_id[:200], title=r.title or "(no title)", abstract=r.abstract,
                authors=r.authors, year=r.year if r.year and 0 < r.year < 3000 else None,
                journal=r.journal[:500], doi=r.doi[:300], keywords=r.keywords,
            )
            for r in result.records
        )
        removed, queued = find_project_duplicates(project)
    return result, removed, queued


def _as_evidence_record(record: Record) -> Any:
    from empower.evidence.records import Record as EvidenceRecord

    return EvidenceRecord(
        title=record.title, abstract=record.abstract, authors=list(record.authors),
        year=record.year, journal=record.journal, doi=record.doi,
        keywords=list(record.keywords), source=record.source, source_id=record.source_id,
    )


def find_project_duplicates(project: Project) -> tuple[int, int]:
    """Mark confirmed duplicates among the records not yet removed (the first imported copy
    stays), and queue uncertain pairs. Returns (newly removed, newly queued)."""
    from empower.evidence import dedup

    from .models import DuplicateCandidate

    records = list(project.records.filter(removed=Removal.NONE).order_by("id"))
    result = dedup.find_duplicates([_as_evidence_record(r) for r in records])
    removed = 0
    for group in result.groups:
        keep, *others = sorted(group, key=lambda i: records[i].pk)
        for i in others:
            records[i].removed = Removal.DUPLICATE
            records[i].duplicate_of = records[keep]
            records[i].save(update_fields=["removed", "duplicate_of"])
            removed += 1
    known = set(DuplicateCandidate.objects.filter(project=project)
                .values_list("first_id", "second_id"))
    queued = 0
    for pair in result.uncertain:
        a, b = records[pair.i], records[pair.j]
        if a.removed or b.removed or (a.pk, b.pk) in known:
            continue
        DuplicateCandidate.objects.create(
            project=project, first=a, second=b, score=pair.score, reasons=list(pair.reasons)
        )
        queued += 1
    return removed, queued
