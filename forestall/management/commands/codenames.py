"""``forestall codenames words --language LANG``: the codename words in use, one a line.

For operators and reviewers who audit what a help-seeker may be asked to
write down. ``--removed`` prints the words left out instead, each with its
reason (word, a tab, the reason). An unknown language is refused rather than
silently answered with the English list.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forestall.lib import codenames


class Command(BaseCommand):
    help = "Audit the codename word lists: forestall codenames words --language en"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        words = actions.add_parser("words", help="Print the words in use, one a line.")
        words.add_argument(
            "--language",
            required=True,
            help=f"One of: {', '.join(codenames.LANGUAGES)}.",
        )
        words.add_argument(
            "--removed",
            action="store_true",
            help="Print the removed words with their reasons instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = options["language"]
        if language not in codenames.LANGUAGES:
            raise CommandError(
                f"There is no codename word list for {language!r}; "
                f"choose one of: {', '.join(codenames.LANGUAGES)}."
            )
        if options["removed"]:
            lines = [
                f"{word}\t{reason}"
                for word, reason in sorted(codenames.removed_words(language).items())
            ]
        else:
            lines = list(codenames.wordlist(language))
        self.stdout.write("\n".join(lines))
