"""``forestall seed-demo``: fill the database with a demo network (idempotent).

Debug mode only (``FORESTALL_DEBUG=1``): the demo passwords are in the source
code. An account that already exists is never changed.

Every app that has demo data provides ``forestall.<app>.demo.seed(network)``;
they run in the order of ``SEEDERS``, each able to use what earlier ones made.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from forestall.demo import DemoNetwork

SEEDERS = [
    "forestall.directory.demo",
    "forestall.accounts.demo",
    "forestall.instruments.demo",
    "forestall.inbox.demo",
    "forestall.cases.demo",
    "forestall.safeguarding.demo",
    "forestall.stats.demo",
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo network: centres, staff with 2FA, and sample data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--credentials",
            type=Path,
            help="Write the demo staff logins to this JSON file "
            "(list of {username, password, role, centre, totp_secret}).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for sample data.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # The demo accounts have passwords published in the source code.
            raise CommandError(
                "seed-demo only runs in debug mode (FORESTALL_DEBUG=1): "
                "it creates accounts whose passwords are public",
                returncode=2,
            )
        network = DemoNetwork(seed=options["seed"], stdout=self.stdout)
        for module_name in SEEDERS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name == module_name:
                    continue
                raise
            with transaction.atomic():
                module.seed(network)
        credentials = network.credentials()
        if options["credentials"]:
            path: Path = options["credentials"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(credentials, indent=2) + "\n")
            path.chmod(0o600)
            self.stdout.write(f"Demo logins written to {path}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo network ready: {len(credentials)} staff logins.")
        )
