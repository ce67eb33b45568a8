"""Who is locked out after failed logins, and unlocking them (django-axes keeps the counts)."""

from __future__ import annotations

from collections.abc import Iterable

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """The usernames among ``usernames`` that are locked out now.

    The same rule django-axes applies at login with ``AXES_LOCKOUT_PARAMETERS = ["username"]``:
    the failures recorded for the username (from any address) within the cool-off period
    reach the limit.
    """
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def unlock(username: str) -> int:
    """Forget the failed logins of ``username``; returns how many records were removed."""
    return reset(username=username)
