"""Changes to staff accounts that other parts of forestall must hear about."""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from forestall.accounts.models import User
from forestall.audit.actions import record_event

BACKUP_CODE_COUNT = 10


def generate_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with a fresh set and return them.

    Each code works once (django-otp deletes a static token when it is used).
    Old codes stop working at once, so a printed sheet that was lost can be
    made useless by generating a new set.
    """
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        record_event(user, "account.backup_codes.generate", user)
    return codes


def record_second_factor_enrolment(user: User) -> None:
    """Audit that ``user`` set up a TOTP authenticator (the device itself is two_factor's)."""
    record_event(user, "account.two_factor.enrol", user)


def record_sign_in(user: User) -> None:
    """Audit a completed two-factor sign-in."""
    record_event(user, "account.sign_in", user)


def record_sign_out(user: User) -> None:
    """Audit a sign-out (the session is flushed by the view)."""
    record_event(user, "account.sign_out", user)
