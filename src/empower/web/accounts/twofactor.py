"""Two-step login: a password, then a 6-digit code from an authenticator app (TOTP).

Administrators must use it; everyone else may. The codes and their checks come from
django-otp: a person's authenticator is a ``TOTPDevice``, a session that has passed the code
step carries the device (``request.user.is_verified()``). A device is "confirmed" once the
person has typed one correct code from it, which proves the app was set up right.
"""

from __future__ import annotations

from base64 import b32encode

import django_otp
import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role

#: URL names of the two pages of the code step, see ``required_step``.
CODE_PAGE = "login_code"
SETUP_PAGE = "two_step"


def is_required(request: HttpRequest) -> bool:
    """Whether the person logged in must use two-step login (administrators must)."""
    membership = getattr(request, "membership", None)
    return request.user.is_superuser or (
        membership is not None and membership.role == Role.ADMIN
    )


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def required_step(request: HttpRequest) -> str | None:
    """The page a logged-in person must pass before any other, or ``None``.

    A person with an authenticator enters a code after the password; an administrator without
    one sets one up first.
    """
    user = request.user
    if not user.is_authenticated or _is_verified(user):
        return None
    if confirmed_device(user) is not None:
        return CODE_PAGE
    if is_required(request):
        return SETUP_PAGE
    return None


def _is_verified(user: AbstractBaseUser) -> bool:
    is_verified = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
    return bool(is_verified and is_verified())


def pending_device(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being set up: its secret stays the same until it is confirmed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def verify(request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check ``token`` against ``device``; on success mark the session as having passed.

    django-otp refuses a code already used and, after wrong codes, makes the next try wait
    (1, 2, 4 … seconds).
    """
    token = "".join(token.split())
    if not (token.isdigit() and len(token) == device.digits):
        device.throttle_increment()
        return False
    if django_otp.verify_token(request.user, device.persistent_id, token) is None:
        return False
    device.refresh_from_db()
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Leftovers of earlier attempts to set up are no use any more.
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    # A new session key on the step up, as at login, so an old key is worth nothing.
    request.session.cycle_key()
    django_otp.login(request, device)
    return True


def seconds_to_wait(device: TOTPDevice) -> int:
    """How long until the device accepts another code after wrong ones (0: now)."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into the app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice, title: str) -> str:
    """The setup link as a QR code, an inline SVG that fits a 360-px phone screen."""
    qr = segno.make(device.config_url, error="m")
    width = qr.symbol_size(scale=1)[0]
    scale = max(2, min(5, 280 // width))
    return str(qr.svg_inline(scale=scale, light="#fff", title=title))
