"""``forestall totp USERNAME``: the current sign-in code of a demo account.

For trying the demo without a phone. It decrypts the account's TOTP secret
(``accounts.TOTPAuthenticator``, encrypted with the key ring) and computes the
code, which is exactly what a second factor must not allow in real use, so it
only runs in development mode (``FORESTALL_DEBUG=1``). Each code shown is
recorded in the audit log (``account.read_totp_code`` on the account, with
this command as the actor), like any other read of a secret.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django_otp.oath import TOTP
from two_factor.utils import default_device

from forestall.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "Print the current TOTP code of a demo staff account (development mode only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "forestall totp only works in development mode (FORESTALL_DEBUG=1): "
                "in production a sign-in code must come from the person's own authenticator."
            )
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no staff account called {username!r}.")
        device = default_device(user)
        if device is None:
            raise CommandError(
                f"{username!r} has no authenticator yet; it is set up at the first sign-in."
            )
        self.record("account.read_totp_code", user)
        generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{generator.token():0{device.digits}d}")
