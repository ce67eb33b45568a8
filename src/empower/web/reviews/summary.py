"""The numbers on a review's page: where the records stand, and how well reviewers agree."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count

from empower.evidence.agreement import agreement_by_stage

from . import logic
from .models import Decision, Project, Removal, Resolution, Stage


def project_summary(project: Project, user: Any) -> dict[str, Any]:
    records = project.records
    by_source = list(records.values("source").annotate(n=Count("id")).order_by("-n"))
    resolved = Resolution.objects.filter(record__project=project)
    return {
        "records": records.count(),
        "by_source": by_source,
        "duplicates": records.filter(removed=Removal.DUPLICATE).count(),
        "duplicate_pairs_open": project.candidates.filter(resolved="").count(),
        "to_screen": logic.screenable(project).count(),
        "screened_by_me": Decision.objects.filter(
            record__project=project, stage=Stage.TITLE_ABSTRACT, reviewer=user
        ).count(),
        "settled_ta": resolved.filter(stage=Stage.TITLE_ABSTRACT).count(),
        "conflicts_ta": len(logic.open_conflicts(project, Stage.TITLE_ABSTRACT)),
        "conflicts_ft": len(logic.open_conflicts(project, Stage.FULL_TEXT)),
        "full_text": logic.full_text_candidates(project).count(),
        "included": resolved.filter(stage=Stage.FULL_TEXT, value="include").count(),
        "agreement": agreement_rows(project),
    }


def agreement_rows(project: Project) -> list[dict[str, Any]]:
    """Cohen's kappa (and weighted kappa on an ordinal scale) per pair of reviewers and stage."""
    decisions = {stage: logic.votes(project, stage) for stage in Stage.values}
    decisions = {stage: v for stage, v in decisions.items() if v}
    if not decisions:
        return []
    table = agreement_by_stage(
        decisions, {stage: logic.scale_for(project, stage) for stage in decisions}
    )
    names = dict(get_user_model().objects.filter(
        pk__in=set(table["reviewer_a"]) | set(table["reviewer_b"])
    ).values_list("pk", "username"))
    rows = []
    for row in table.to_dict("records"):
        row["reviewer_a"] = names.get(row["reviewer_a"], row["reviewer_a"])
        row["reviewer_b"] = names.get(row["reviewer_b"], row["reviewer_b"])
        row["stage"] = Stage(row["stage"]).label
        rows.append({k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()})
    return rows
