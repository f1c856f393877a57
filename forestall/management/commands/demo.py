"""``forestall demo``: migrate, seed the demo network, print the logins, serve."""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Set up the demo database and serve forestall on 127.0.0.1 (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-serve", action="store_true", help="Set up, but do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("forestall demo is for development: set FORESTALL_DEBUG=1.")
        call_command("migrate", interactive=False, verbosity=0)
        credentials = settings.VAR_DIR / "demo-credentials.json"
        call_command("seed-demo", credentials=credentials)
        logins = json.loads(credentials.read_text())
        self.stdout.write("")
        self.stdout.write("Demo staff logins (sign in at /staff/login/):")
        self.stdout.write(f"  {'username':24} {'password':34} {'role':18} centre")
        for login in logins:
            self.stdout.write(
                f"  {login['username']:24} {login['password']:34} {login['role']:18} "
                f"{login['centre'] or '(network)'}"
            )
        self.stdout.write(
            "Second factor: add the totp_secret from "
            f"{credentials} to an authenticator app, or run `forestall totp USERNAME`."
        )
        if options["no_serve"]:
            return
        address = f"127.0.0.1:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"Serving forestall on http://{address}/"))
        # Static files as in production (WhiteNoise, from the apps in development):
        # runserver's own static handler answers a 500 to a path that climbs out
        # of the static folder (`/static/../x`), where WhiteNoise passes it on to
        # the ordinary 404 page.
        call_command("runserver", address, use_reloader=False, use_static_handler=False)
