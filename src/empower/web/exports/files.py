"""One export from request to file: check, build, write, audit.

Used by the web page and by ``empower export`` alike, so both apply the same consent and
disclosure rules and leave the same audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from empower.metrics.privacy import Audience
from empower.reports.exports import Table, write_csv, write_hxl_csv, write_sav, write_xlsx
from empower.web.accounts.models import Organisation
from empower.web.audit.log import Action, record

from .datasets import build_table, check_request
from .htcds import ATTRIBUTION

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "hxl": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}
EXTENSIONS = {"csv": "csv", "hxl": "hxl.csv", "xlsx": "xlsx", "sav": "sav"}


class NothingToExport(Exception):
    """No participant's consent allows this export; no file is written."""


@dataclass(frozen=True)
class ExportFile:
    dataset: str
    format: str
    purpose: str
    audience: Audience
    rows: int
    content: bytes
    filename: str
    content_type: str


def _write(table: Table, dataset: str, fmt: str) -> bytes:
    if fmt == "hxl":
        return write_hxl_csv(table)
    if fmt == "xlsx":
        return write_xlsx(table)
    if fmt == "sav":
        return write_sav(table)
    # the HTCDS licence asks for attribution in the file itself: a comment line first
    return write_csv(table, comments=[ATTRIBUTION] if dataset == "htcds" else ())


def make_export(
    organisation: Organisation, dataset: str, fmt: str, purpose: str,
    audience: str | None = None, progress: Any = None,
) -> ExportFile:
    """Build and write one export. Raises ``ExportRefused`` for a combination consent or the
    format does not allow, and :class:`NothingToExport` when nobody can be included.
    ``progress(step, total)`` is called as the work advances (for the command line)."""
    step = progress or (lambda done, total: None)
    chosen = check_request(dataset, fmt, purpose, audience)
    step(0, 2)
    table = build_table(organisation, dataset, purpose, chosen)
    if dataset == "aggregates" and chosen is not Audience.INTERNAL:
        # Totals leaving the staff are a release: checked against every earlier one.
        from .hxl import release_aggregates

        table = release_aggregates(organisation, purpose, chosen, table)
    step(1, 2)
    if not table.rows:
        holds = {"htcds": "", "services": " and a service recorded in an interview"}.get(
            dataset, " and an assessment")
        raise NothingToExport(
            f"Nothing to export: no participant of {organisation.name} has consent to "
            f"'{purpose}' in force now{holds}."
        )
    content = _write(table, dataset, fmt)
    step(2, 2)
    stamp = timezone.now().strftime("%Y-%m-%d")
    return ExportFile(
        dataset=dataset, format=fmt, purpose=purpose, audience=chosen, rows=len(table.rows),
        content=content,
        filename=f"empower-{organisation.slug}-{dataset}-{purpose}-{stamp}.{EXTENSIONS[fmt]}",
        content_type=CONTENT_TYPES[fmt],
    )


def audit_export(
    export: ExportFile, *, organisation: Organisation, request: HttpRequest | None = None,
    actor: Any = None, to: str = "download",
) -> None:
    """Write the export into the audit trail (who, which dataset, for whom, how many rows)."""
    record(
        Action.EXPORT, request=request, actor=actor, organisation=organisation,
        target_type="export", target_id=export.dataset,
        detail={"format": export.format, "purpose": export.purpose, "rows": export.rows,
                "audience": export.audience.value, "to": to},
    )
