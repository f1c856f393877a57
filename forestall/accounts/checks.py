"""The accounts' own ``forestall check --deploy`` checks: no second factor in clear.

Threat model: a stolen database. Authenticators are
``accounts.TOTPAuthenticator`` rows, their secrets encrypted with the key
ring; backup codes are ``accounts.BackupCode`` rows, keyed hashes only.
django-otp's ``TOTPDevice`` and ``StaticToken`` tables (which two_factor still
imports, so the apps stay installed) keep secrets and codes in clear and must
stay empty. Rows there mean the data migrations (accounts 0004, 0005) have not
run, or some code path wrote second factors into the clear tables again.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError


def _clear_rows(model: Any, error: str, hint: str, check_id: str) -> list[checks.CheckMessage]:
    """An error if django-otp's clear table ``model`` still has rows (``{count}`` in ``error``)."""
    try:
        clear = model.objects.count()
    except DatabaseError:
        return []  # not migrated yet: forestall.E104 reports an unreachable database
    if not clear:
        return []
    return [checks.Error(error.format(count=clear), hint=hint, id=check_id)]


@checks.register(checks.Tags.security, deploy=True)
def check_no_clear_totp_secrets(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return _clear_rows(
        TOTPDevice,
        "{count} TOTP secret(s) stored in clear in django-otp's table (otp_totp_totpdevice).",
        "Run `forestall migrate`: accounts 0004 encrypts them into "
        "accounts.TOTPAuthenticator and deletes the clear rows.",
        "accounts.E001",
    )


@checks.register(checks.Tags.security, deploy=True)
def check_no_clear_backup_codes(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from django_otp.plugins.otp_static.models import StaticToken

    return _clear_rows(
        StaticToken,
        "{count} backup code(s) stored in clear in django-otp's table (otp_static_statictoken).",
        "Run `forestall migrate`: accounts 0005 hashes them into "
        "accounts.BackupCode and deletes the clear rows.",
        "accounts.E002",
    )
