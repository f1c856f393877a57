"""``forestall reach``: the partner tools.

``forestall reach match --terms FILE`` reads queries from standard input, one
a line, and writes one JSON object per line (``{"match": true, "terms":
[...]}``): for partners to test their term list with the matcher they run, and
for us. Nothing is stored or sent; it needs no database.

``forestall reach partner-key SLUG [--name NAME] [--kind KIND]`` creates the
partner if it does not exist and prints a new API key for it (the only time
the key is shown; the partner and the key are audited with this command,
``forestall reach``, as the actor).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.text import slugify

from forestall.audit.commands import AuditedCommand
from forestall.reach.matcher import Matcher
from forestall.reach.models import PartnerKind


class Command(AuditedCommand):
    help = "Reach tools: match queries against a term list; make a partner key."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        match = actions.add_parser("match", help="Match queries from stdin against a term list.")
        match.add_argument("--terms", required=True, help="UTF-8 file of terms, one a line.")
        key = actions.add_parser("partner-key", help="Print a new API key for a partner.")
        key.add_argument("slug", help="The partner's short name (created if new).")
        key.add_argument("--name", default="", help="The partner's name (when it is created).")
        key.add_argument(
            "--kind",
            default=PartnerKind.PLATFORM,
            choices=PartnerKind.values,
            help="The partner's kind (when it is created).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "match":
            self._match(options["terms"])
        else:
            self._partner_key(options["slug"], options["name"], options["kind"])

    def _match(self, terms_path: str) -> None:
        try:
            matcher = Matcher.from_file(terms_path)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the terms file: {error}") from None
        out = self.stdout
        for line in sys.stdin:
            result = matcher.match(line.rstrip("\r\n"))
            out.write(json.dumps(result.as_json(), ensure_ascii=False))

    def _partner_key(self, slug: str, name: str, kind: str) -> None:
        from django.db import transaction

        from forestall.reach import actions
        from forestall.reach.models import Partner

        if slugify(slug) != slug or len(slug) > 50:
            raise CommandError("the partner's short name must be a slug (a-z, 0-9, '-')")
        with transaction.atomic():
            partner = Partner.objects.filter(slug=slug).first()
            if partner is None:
                partner = actions.create_partner(slug, name or slug, kind, by=None)
            _row, key = actions.issue_key(partner, by=None)
        self.stdout.write(key)
