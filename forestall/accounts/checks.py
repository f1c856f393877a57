"""The accounts' own ``forestall check --deploy`` check: no TOTP secret in clear.

Threat model: a stolen database. Authenticators are
``accounts.TOTPAuthenticator`` rows, their secrets encrypted with the key
ring; django-otp's ``TOTPDevice`` table (which two_factor still imports, so the
app stays installed) keeps secrets in clear and must stay empty. Rows there
mean the data migration has not run, or some code path enrolled people into
the clear table again.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.security, deploy=True)
def check_no_clear_totp_secrets(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    try:
        clear = TOTPDevice.objects.count()
    except DatabaseError:
        return []  # not migrated yet: forestall.E104 reports an unreachable database
    if not clear:
        return []
    return [
        checks.Error(
            f"{clear} TOTP secret(s) stored in clear in django-otp's table (otp_totp_totpdevice).",
            hint="Run `forestall migrate`: accounts 0004 encrypts them into "
            "accounts.TOTPAuthenticator and deletes the clear rows.",
            id="accounts.E001",
        )
    ]
