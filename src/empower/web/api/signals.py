"""A stopped login loses its API key at once.

A key already refuses to work while its owner's login is stopped (``authentication``), but
that alone would bring the key back the day the login is started again — perhaps months later,
for a key copied into a script or leaked with it. So stopping a login revokes the key itself,
in the same transaction as the stop, and audits it; a re-activated person makes a new key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save

from .authentication import revoke_key
from .models import ApiKey

STOPPED = "the login was stopped"


def revoke_key_of_stopped_login(sender: Any, instance: Any, raw: bool = False,
                                **kwargs: Any) -> None:
    """After any save of a user (the team page's, the admin site's, a plain ``save()``) that
    leaves the login stopped, revoke its active key. Saving an active login costs nothing;
    saving a stopped one without a key audits nothing."""
    if raw or instance.is_active:  # raw: fixtures being loaded as they are
        return
    if ApiKey.objects.active().filter(user=instance).exists():
        revoke_key(instance, via="login_stopped", reason=STOPPED)


def connect() -> None:
    post_save.connect(revoke_key_of_stopped_login, sender=settings.AUTH_USER_MODEL,
                      dispatch_uid="api_revoke_key_of_stopped_login")
