"""``forestall instruments``: list, score and compute outcomes from the command line.

    forestall instruments list
    forestall instruments score PHQ-9 --answers 1,2,0,3,1,0,2,1,0 [--version 1]
    forestall instruments outcome --phq9 FIRST,LAST --gad7 FIRST,LAST
    forestall instruments validate [FILE_OR_DIRECTORY ...]

``score`` and ``outcome`` print one JSON object. Invalid input (unknown
instrument, wrong number of answers, a value out of range or not a number)
prints one line to stderr and exits with status 2, without a traceback.
Leave an answer empty (``1,,2``) to mark it missing. ``validate`` checks the
configured definitions plus the given files or directories (for authors of a
new version) and prints every problem, one per line, naming file and item.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forestall.instruments.catalogue import (
    Catalogue,
    DefinitionError,
    UnknownInstrument,
    catalogue,
    definition_directories,
    load_definition,
)
from forestall.instruments.outcomes import course_outcome
from forestall.instruments.scoring import InvalidAnswers, recommend, score

_USAGE_ERROR = 2


class _InputError(Exception):
    pass


def _numbers(text: str, what: str, *, allow_missing: bool = False) -> list[int | None]:
    values: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        if not part and allow_missing:
            values.append(None)
            continue
        try:
            values.append(int(part))
        except ValueError:
            raise _InputError(f"{what}: {part!r} is not a whole number") from None
    return values


class Command(BaseCommand):
    help = "List the questionnaires, score answers, or compute the outcome of a course."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("list", help="The instruments and their versions.")
        score_parser = subcommands.add_parser("score", help="Score answers as JSON.")
        score_parser.add_argument("instrument", help="Instrument id, e.g. PHQ-9 or phq9.")
        score_parser.add_argument(
            "--answers",
            required=True,
            help="Comma-separated answer values in item order (empty = missing).",
        )
        score_parser.add_argument("--version", dest="instrument_version", type=int, default=None)
        score_parser.add_argument(
            "--language", default="en", help="Language of the self-check feedback."
        )
        outcome_parser = subcommands.add_parser(
            "outcome", help="Recovery and reliable change (NHS Talking Therapies) as JSON."
        )
        outcome_parser.add_argument("--phq9", required=True, metavar="FIRST,LAST")
        outcome_parser.add_argument("--gad7", required=True, metavar="FIRST,LAST")
        validate_parser = subcommands.add_parser(
            "validate", help="Check definition files; print every problem with file and item."
        )
        validate_parser.add_argument("paths", nargs="*", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            handler = getattr(self, f"_{options['subcommand']}")
            handler(options)
        except (_InputError, InvalidAnswers, UnknownInstrument, ValueError) as error:
            if options.get("traceback"):
                raise
            message = str(error).splitlines()[0] if str(error) else "invalid input"
            if getattr(self, "_called_from_command_line", False):
                self.stderr.write(f"forestall instruments: {message}")
                sys.exit(_USAGE_ERROR)
            raise CommandError(message, returncode=_USAGE_ERROR) from None

    def _validate(self, options: dict[str, Any]) -> None:
        directories = list(definition_directories())
        problems: list[str] = []
        extra_files = []
        for path in options["paths"]:
            if path.is_dir():
                directories.append(path)
            elif path.is_file():
                extra_files.append(path)
            else:
                raise _InputError(f"{path}: no such file or directory")
        try:
            loaded = Catalogue.load(directories)
        except DefinitionError as error:
            problems.extend(error.problems)
            loaded = None
        for path in extra_files:
            try:
                load_definition(path)
            except DefinitionError as error:
                problems.extend(error.problems)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise _InputError(f"{len(problems)} problem(s) in the instrument definitions")
        count = sum(len(versions) for versions in loaded.definitions.values()) if loaded else 0
        self.stdout.write(f"{count + len(extra_files)} definitions are valid.")

    def _list(self, options: dict[str, Any]) -> None:
        instruments = catalogue()
        for definition in instruments.latest():
            versions = ", ".join(f"v{number}" for number in instruments.versions(definition.id))
            if definition.is_scored:
                low, high = definition.min_total, definition.max_total
                detail = f"{len(definition.items)} items, {low} to {high}"
            else:
                detail = f"{len(definition.items)} questions, recommends a next step"
            self.stdout.write(f"{definition.id:<12} {definition.name:<10} {versions:<8} {detail}")

    def _score(self, options: dict[str, Any]) -> None:
        definition = catalogue().get(options["instrument"], options["instrument_version"])
        if definition.is_scored:
            answers: list[Any] = _numbers(options["answers"], "answers", allow_missing=True)
            result = score(definition.id, answers, definition.version).as_dict()
        else:
            answers = [part.strip() or None for part in options["answers"].split(",")]
            advice = recommend(
                answers,
                options["language"],
                version=definition.version,
                instrument_id=definition.id,
            )
            result = {
                "instrument": definition.id,
                "version": definition.version,
                "step": advice.step,
                "urgent": advice.urgent,
                "feedback": advice.feedback,
            }
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _outcome(self, options: dict[str, Any]) -> None:
        pairs = {}
        for measure in ("phq9", "gad7"):
            values = _numbers(options[measure], f"--{measure}")
            if len(values) != 2:
                raise _InputError(f"--{measure} needs two scores, FIRST,LAST")
            pairs[measure] = (values[0], values[1])
        outcome = course_outcome(phq9=pairs["phq9"], gad7=pairs["gad7"])  # type: ignore[arg-type]
        self.stdout.write(json.dumps(outcome.as_dict()))
