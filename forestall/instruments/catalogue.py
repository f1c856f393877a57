"""Instrument definitions: loading and validating the versioned YAML files.

Every questionnaire is a data file ``definitions/<id>.v<version>.yaml`` (see
docs/instruments.md for the format). All versions are kept: new
administrations use the newest version of an instrument, while any stored
``(id, version)`` pair can still be looked up and scored again.

API used by the rest of forestall::

    from forestall.instruments.catalogue import catalogue, normalise_id

    catalogue().get("PHQ-9")            # newest version of the PHQ-9
    catalogue().get("phq9", version=1)  # a pinned version
    catalogue().latest()                # newest version of every instrument
    definition.localized("title", "de") # a text in a language (English fallback)

``catalogue()`` loads the shipped directory plus any directories named in the
setting ``FORESTALL_INSTRUMENT_DIRS`` (a later directory may add versions or
replace a file with the same id and version). It is cached per directory list
and validated at start-up (``InstrumentsConfig.ready``): a broken file stops
the server with an error that names the file and the item.

Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
# Every text must exist in these languages; other languages fall back to English.
REQUIRED_LANGUAGES = ("en", "de")
KINDS = ("score", "recommendation")
_FILENAME = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)\.v(?P<version>[1-9][0-9]*)\.yaml$")
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

try:  # The C loader is several times faster; start-up validation stays cheap.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class DefinitionError(Exception):
    """One or more problems in instrument definition files, each naming file and place."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class UnknownInstrument(LookupError):
    """No definition with this id (or this id and version)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown instrument"


def normalise_id(instrument_id: str) -> str:
    """The lookup key of an id: case and punctuation do not matter (PHQ-9 = phq9)."""
    return re.sub(r"[^a-z0-9]", "", str(instrument_id).lower())


def localized(texts: Mapping[str, str], language: str | None) -> str:
    """``texts`` in ``language`` (``de-at`` → ``de``), falling back to English."""
    if language:
        base = language.lower().split("-")[0].split("_")[0]
        if texts.get(base):
            return texts[base]
    return texts.get("en", "")


@dataclass(frozen=True)
class Option:
    value: int | str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Item:
    id: str
    text: Mapping[str, str]
    options: tuple[Option, ...]
    reversed: bool = False
    required: bool = True

    @property
    def values(self) -> tuple[int | str, ...]:
        return tuple(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        return min(int(value) for value in self.values)

    @property
    def max_value(self) -> int:
        return max(int(value) for value in self.values)

    def scored_value(self, value: int) -> int:
        """The value that counts towards the total (reversed items are mirrored)."""
        if self.reversed:
            return self.min_value + self.max_value - value
        return value


@dataclass(frozen=True)
class Band:
    id: str
    min: int
    max: int
    label: Mapping[str, str]

    def contains(self, total: int) -> bool:
        return self.min <= total <= self.max


@dataclass(frozen=True)
class Subscale:
    id: str
    items: tuple[str, ...]
    label: Mapping[str, str]


@dataclass(frozen=True)
class Derived:
    """A score computed from the total by a factor (WHO-5 percentage = raw x 4)."""

    id: str
    factor: int
    label: Mapping[str, str]


@dataclass(frozen=True)
class Flag:
    """An answer that staff must see regardless of the total (PHQ-9 item 9)."""

    id: str
    item: str
    at_least: int
    label: Mapping[str, str]


@dataclass(frozen=True)
class Step:
    id: str
    urgent: bool
    title: Mapping[str, str]
    feedback: Mapping[str, str]


@dataclass(frozen=True)
class Rule:
    when: Mapping[str, frozenset[str]]
    step: str

    def matches(self, answers: Mapping[str, Any]) -> bool:
        return all(answers.get(item) in allowed for item, allowed in self.when.items())


@dataclass(frozen=True)
class Definition:
    """One version of one instrument, exactly as its file describes it."""

    id: str
    version: int
    name: str
    kind: str
    title: Mapping[str, str]
    instructions: Mapping[str, str]
    source: str
    licence: str
    items: tuple[Item, ...]
    path: Path
    max_missing: int = 0
    higher_is: str = "worse"
    bands: tuple[Band, ...] = ()
    caseness_at_least: int | None = None
    caseness_at_most: int | None = None
    reliable_change: int | None = None
    subscales: tuple[Subscale, ...] = ()
    derived: tuple[Derived, ...] = ()
    flags: tuple[Flag, ...] = ()
    steps: tuple[Step, ...] = ()
    rules: tuple[Rule, ...] = ()
    default_step: str = ""

    @property
    def key(self) -> str:
        return normalise_id(self.id)

    @property
    def is_scored(self) -> bool:
        return self.kind == "score"

    @property
    def min_total(self) -> int:
        return sum(item.min_value for item in self.items)

    @property
    def max_total(self) -> int:
        return sum(item.max_value for item in self.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def band_for(self, total: int) -> Band | None:
        for band in self.bands:
            if band.contains(total):
                return band
        return None

    def band(self, band_id: str) -> Band | None:
        return next((band for band in self.bands if band.id == band_id), None)

    def is_case(self, total: int) -> bool | None:
        """Whether ``total`` is at or beyond the clinical threshold (None: no threshold)."""
        if self.caseness_at_least is not None:
            return total >= self.caseness_at_least
        if self.caseness_at_most is not None:
            return total <= self.caseness_at_most
        return None

    def step(self, step_id: str) -> Step:
        return next(step for step in self.steps if step.id == step_id)

    def localized(self, attribute: str, language: str | None) -> str:
        return localized(getattr(self, attribute), language)


@dataclass
class Catalogue:
    """Every loaded definition, by normalised id and version."""

    definitions: dict[str, dict[int, Definition]] = field(default_factory=dict)

    @classmethod
    def load(cls, directories: Iterable[Path | str]) -> Catalogue:
        """Load and validate every ``*.yaml`` file; one ``DefinitionError`` lists all problems."""
        catalogue = cls()
        problems: list[str] = []
        for directory in directories:
            directory = Path(directory)
            if not directory.is_dir():
                problems.append(f"{directory}: not a directory of instrument definitions")
                continue
            for path in sorted(directory.glob("*.yaml")):
                try:
                    definition = load_definition(path)
                except DefinitionError as error:
                    problems.extend(error.problems)
                    continue
                catalogue.definitions.setdefault(definition.key, {})[definition.version] = (
                    definition
                )
        if problems:
            raise DefinitionError(problems)
        return catalogue

    def get(self, instrument_id: str, version: int | None = None) -> Definition:
        """The definition of ``instrument_id`` (any spelling); the newest unless ``version``."""
        versions = self.definitions.get(normalise_id(instrument_id))
        if not versions:
            raise UnknownInstrument(f"unknown instrument: {instrument_id}")
        if version is None:
            return versions[max(versions)]
        try:
            return versions[int(version)]
        except (KeyError, ValueError):
            raise UnknownInstrument(f"unknown version {version} of {instrument_id}") from None

    def versions(self, instrument_id: str) -> list[int]:
        return sorted(self.definitions.get(normalise_id(instrument_id), {}))

    def latest(self, kind: str | None = None) -> list[Definition]:
        """The newest version of every instrument (of ``kind``), ordered by name."""
        newest = [versions[max(versions)] for versions in self.definitions.values()]
        if kind:
            newest = [definition for definition in newest if definition.kind == kind]
        return sorted(newest, key=lambda definition: definition.name.lower())


def definition_directories() -> tuple[Path, ...]:
    """The shipped directory plus ``settings.FORESTALL_INSTRUMENT_DIRS`` (read at call time)."""
    from django.conf import settings

    extra = settings.FORESTALL_INSTRUMENT_DIRS
    return (DEFINITIONS_DIR, *(Path(directory) for directory in extra))


@lru_cache(maxsize=8)
def _load_cached(directories: tuple[Path, ...]) -> Catalogue:
    return Catalogue.load(directories)


def catalogue() -> Catalogue:
    """The configured catalogue (loaded once per distinct list of directories)."""
    return _load_cached(definition_directories())


# --- Reading and validating one file ---------------------------------------


class _Reader:
    """Builds a ``Definition`` from parsed YAML, collecting every problem with its place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        place = f"{self.path.name}: {where}: " if where else f"{self.path.name}: "
        self.problems.append(place + message)

    def texts(self, value: Any, where: str) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem(where, f"needs a text for each language ({', '.join(REQUIRED_LANGUAGES)})")
            return {language: "" for language in REQUIRED_LANGUAGES}
        # A comma in an unquoted YAML flow mapping ({en: ..., de: A, B}) splits a
        # text into a cut-off translation plus a stray key with no value; that
        # once truncated a validated WHO-5 item, so any key that is not a
        # language, and any value that is not text, is refused.
        for key, text in value.items():
            if key not in REQUIRED_LANGUAGES and not (
                isinstance(key, str) and re.fullmatch(r"[a-z]{2}(-[a-z]+)?", key) and text
            ):
                self.problem(
                    where,
                    f"{str(key)[:40]!r} is not a language code (a comma in an unquoted "
                    "text cuts it in two: quote the text or write it as a block)",
                )
            elif not isinstance(text, str):
                self.problem(where, f"the text for {key!r} must be text, not {text!r}")
        texts = {str(language): str(text).strip() for language, text in value.items() if text}
        for language in REQUIRED_LANGUAGES:
            if not texts.get(language):
                self.problem(where, f"missing translation '{language}'")
        return texts

    def integer(self, value: Any, where: str, *, allow_none: bool = False) -> int | None:
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"must be a whole number, not {value!r}")
            return None
        return value

    def options(self, raw: Any, where: str, kind: str) -> tuple[Option, ...]:
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(where, "needs a list of at least two options")
            return ()
        options = []
        seen: set[Any] = set()
        for index, entry in enumerate(raw, start=1):
            place = f"{where} option {index}"
            if not isinstance(entry, dict) or "value" not in entry:
                self.problem(place, "needs a value and a label")
                continue
            value = entry["value"]
            if kind == "score":
                if isinstance(value, bool) or not isinstance(value, int):
                    self.problem(place, f"value must be a whole number, not {value!r}")
                    continue
                if not 0 <= value <= 100:
                    self.problem(place, f"value {value} is out of range (0 to 100)")
                    continue
            else:
                if not isinstance(value, str) or not _IDENTIFIER.match(value):
                    self.problem(place, f"value must be a short lower-case code, not {value!r}")
                    continue
            if value in seen:
                self.problem(place, f"value {value!r} appears twice")
                continue
            seen.add(value)
            options.append(Option(value=value, label=self.texts(entry.get("label"), place)))
        return tuple(options)

    def read(self) -> Definition | None:
        path = self.path
        match = _FILENAME.match(path.name)
        if not match:
            self.problem("", "file name must be <id>.v<version>.yaml, e.g. phq9.v1.yaml")
            return None
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f"line {mark.line + 1}" if mark else "YAML"
            self.problem(line, f"not valid YAML ({getattr(error, 'problem', error)})")
            return None
        except (ValueError, TypeError, OverflowError, RecursionError) as error:
            # Well-formed YAML that PyYAML's constructors cannot build (a date
            # such as 2025-13-45, nesting deeper than Python's recursion limit).
            self.problem("YAML", f"not valid YAML ({error})")
            return None
        if not isinstance(data, dict):
            self.problem("", "must be a mapping of fields")
            return None

        instrument_id = data.get("id")
        if not isinstance(instrument_id, str) or instrument_id != match["id"]:
            self.problem("id", f"must be {match['id']!r} to match the file name")
        version = self.integer(data.get("version"), "version")
        if version is not None and version != int(match["version"]):
            self.problem("version", f"must be {match['version']} to match the file name")
        kind = data.get("kind", "score")
        if kind not in KINDS:
            self.problem("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
            kind = "score"
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem("name", "is missing")
            name = str(instrument_id)
        title = self.texts(data.get("title"), "title")
        instructions = self.texts(data.get("instructions"), "instructions")
        source = data.get("source")
        licence = data.get("licence")
        if not isinstance(source, str) or not source.strip():
            self.problem("source", "is missing (say where the instrument comes from)")
        if not isinstance(licence, str) or not licence.strip():
            self.problem("licence", "is missing (say under which terms it may be used)")

        shared_options = (
            self.options(data["options"], "options", kind) if "options" in data else None
        )
        items = self.items(data.get("items"), shared_options, kind)
        item_ids = {item.id for item in items}

        definition_fields: dict[str, Any] = {}
        if kind == "score":
            definition_fields = self.scored(data, items, item_ids)
        else:
            definition_fields = self.recommendation(data, items)

        if self.problems:
            return None
        return Definition(
            id=str(instrument_id),
            version=int(version or 0),
            name=str(name),
            kind=kind,
            title=title,
            instructions=instructions,
            source=str(source).strip(),
            licence=str(licence).strip(),
            items=items,
            path=path,
            **definition_fields,
        )

    def items(
        self, raw: Any, shared_options: tuple[Option, ...] | None, kind: str
    ) -> tuple[Item, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("items", "needs a list of at least one item")
            return ()
        items: list[Item] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw, start=1):
            if not isinstance(entry, dict):
                self.problem(f"item {index}", "must be a mapping with id and text")
                continue
            item_id = entry.get("id")
            if not isinstance(item_id, str) or not _IDENTIFIER.match(item_id):
                self.problem(f"item {index}", f"needs an id of lower-case letters, not {item_id!r}")
                continue
            where = f"item {item_id}"
            if item_id in seen:
                self.problem(where, "appears twice")
                continue
            seen.add(item_id)
            text = self.texts(entry.get("text"), f"{where} text")
            if "options" in entry:
                options = self.options(entry["options"], where, kind)
            elif shared_options is not None:
                options = shared_options
            else:
                self.problem(where, "has no options (give them on the item or for the file)")
                options = ()
            reversed_item = entry.get("reversed", False)
            required = entry.get("required", True)
            if not isinstance(reversed_item, bool) or not isinstance(required, bool):
                self.problem(where, "reversed and required must be true or false")
                continue
            if reversed_item and kind != "score":
                self.problem(where, "only scored items can be reversed")
            if options:
                items.append(
                    Item(
                        id=item_id,
                        text=text,
                        options=options,
                        reversed=reversed_item,
                        required=required,
                    )
                )
        return tuple(items)

    def scored(self, data: dict, items: tuple[Item, ...], item_ids: set[str]) -> dict[str, Any]:
        scoring = data.get("scoring")
        if not isinstance(scoring, dict):
            self.problem("scoring", "is missing")
            scoring = {}
        if scoring.get("method", "sum") != "sum":
            self.problem("scoring method", f"must be 'sum', not {scoring.get('method')!r}")
        max_missing = self.integer(scoring.get("max_missing", 0), "scoring max_missing") or 0
        if items and not 0 <= max_missing < len(items):
            self.problem(
                "scoring max_missing", f"must be between 0 and {len(items) - 1}, not {max_missing}"
            )
        higher_is = scoring.get("higher_is", "worse")
        if higher_is not in ("worse", "better"):
            self.problem("scoring higher_is", f"must be 'worse' or 'better', not {higher_is!r}")

        subscales = []
        raw_subscales = scoring.get("subscales") or []
        if not isinstance(raw_subscales, list):
            self.problem("scoring subscales", "must be a list")
            raw_subscales = []
        for index, entry in enumerate(raw_subscales, start=1):
            subscale_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"subscale {subscale_id or index}"
            if not isinstance(subscale_id, str) or not _IDENTIFIER.match(subscale_id):
                self.problem(where, "needs an id")
                continue
            members = entry.get("items")
            if not isinstance(members, list) or not members:
                self.problem(where, "needs a list of items")
                continue
            for member in members:
                if member not in item_ids:
                    self.problem(where, f"names unknown item {member!r}")
            subscales.append(
                Subscale(
                    id=subscale_id,
                    items=tuple(str(member) for member in members),
                    label=self.texts(entry.get("label"), f"{where} label"),
                )
            )

        derived = []
        for index, entry in enumerate(scoring.get("derived") or [], start=1):
            derived_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"derived score {derived_id or index}"
            factor = self.integer(entry.get("factor") if isinstance(entry, dict) else None, where)
            if not isinstance(derived_id, str) or factor is None:
                self.problem(where, "needs an id and a whole-number factor")
                continue
            derived.append(
                Derived(id=derived_id, factor=factor, label=self.texts(entry.get("label"), where))
            )

        low = sum(item.min_value for item in items)
        high = sum(item.max_value for item in items)
        bands = self.bands(data.get("bands"), low, high)

        caseness = data.get("caseness")
        at_least = at_most = None
        if caseness is not None:
            if not isinstance(caseness, dict) or len(caseness) != 1:
                self.problem("caseness", "must be either 'at_least: N' or 'at_most: N'")
            elif "at_least" in caseness:
                at_least = self.integer(caseness["at_least"], "caseness at_least")
            elif "at_most" in caseness:
                at_most = self.integer(caseness["at_most"], "caseness at_most")
            else:
                self.problem("caseness", "must be either 'at_least: N' or 'at_most: N'")
            for threshold in (at_least, at_most):
                if threshold is not None and not low <= threshold <= high:
                    self.problem("caseness", f"threshold {threshold} is outside {low} to {high}")

        reliable_change = self.integer(
            data.get("reliable_change"), "reliable_change", allow_none=True
        )
        if reliable_change is not None and not 0 < reliable_change <= high - low:
            self.problem(
                "reliable_change", f"must be between 1 and {high - low}, not {reliable_change}"
            )

        flags = []
        for index, entry in enumerate(data.get("flags") or [], start=1):
            flag_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"flag {flag_id or index}"
            if not isinstance(flag_id, str):
                self.problem(where, "needs an id")
                continue
            if entry.get("item") not in item_ids:
                self.problem(where, f"names unknown item {entry.get('item')!r}")
                continue
            threshold = self.integer(entry.get("at_least"), f"{where} at_least")
            if threshold is None:
                continue
            flags.append(
                Flag(
                    id=flag_id,
                    item=entry["item"],
                    at_least=threshold,
                    label=self.texts(entry.get("label"), f"{where} label"),
                )
            )

        return {
            "max_missing": max_missing,
            "higher_is": higher_is,
            "bands": bands,
            "caseness_at_least": at_least,
            "caseness_at_most": at_most,
            "reliable_change": reliable_change,
            "subscales": tuple(subscales),
            "derived": tuple(derived),
            "flags": tuple(flags),
        }

    def bands(self, raw: Any, low: int, high: int) -> tuple[Band, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("bands", f"need a list of severity bands covering {low} to {high}")
            return ()
        bands = []
        for index, entry in enumerate(raw, start=1):
            band_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"band {band_id or index}"
            if not isinstance(band_id, str) or not _IDENTIFIER.match(band_id):
                self.problem(where, "needs an id of lower-case letters")
                continue
            minimum = self.integer(entry.get("min"), f"{where} min")
            maximum = self.integer(entry.get("max"), f"{where} max")
            if minimum is None or maximum is None:
                continue
            if minimum > maximum:
                self.problem(where, f"min {minimum} is above max {maximum}")
                continue
            bands.append(
                Band(
                    id=band_id,
                    min=minimum,
                    max=maximum,
                    label=self.texts(entry.get("label"), f"{where} label"),
                )
            )
        bands.sort(key=lambda band: band.min)
        expected = low
        for position, band in enumerate(bands):
            if position == 0 and band.min < low:
                self.problem(
                    f"band {band.id}", f"starts at {band.min}, below the lowest total {low}"
                )
            elif band.min > expected:
                self.problem(
                    f"band {band.id}", f"leaves a gap: no band covers {expected} to {band.min - 1}"
                )
            elif band.min < expected:
                self.problem(f"band {band.id}", f"overlaps the band before it at {band.min}")
            expected = max(expected, band.max + 1)
        if bands and expected - 1 < high:
            self.problem("bands", f"leave a gap: no band covers {expected} to {high}")
        if bands and bands[-1].max > high:
            self.problem(
                f"band {bands[-1].id}", f"ends at {bands[-1].max}, above the highest total {high}"
            )
        return tuple(bands)

    def recommendation(self, data: dict, items: tuple[Item, ...]) -> dict[str, Any]:
        raw = data.get("recommendation")
        if not isinstance(raw, dict):
            self.problem("recommendation", "is missing (steps, rules and default)")
            return {}
        steps = []
        for index, entry in enumerate(raw.get("steps") or [], start=1):
            step_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"step {step_id or index}"
            if not isinstance(step_id, str) or not _IDENTIFIER.match(step_id):
                self.problem(where, "needs an id")
                continue
            steps.append(
                Step(
                    id=step_id,
                    urgent=bool(entry.get("urgent", False)),
                    title=self.texts(entry.get("title"), f"{where} title"),
                    feedback=self.texts(entry.get("feedback"), f"{where} feedback"),
                )
            )
        if not steps:
            self.problem("recommendation steps", "need at least one step")
        step_ids = {step.id for step in steps}
        values = {item.id: set(item.values) for item in items}
        rules = []
        for index, entry in enumerate(raw.get("rules") or [], start=1):
            where = f"rule {index}"
            if not isinstance(entry, dict) or not isinstance(entry.get("when"), dict):
                self.problem(where, "needs 'when' conditions and a 'step'")
                continue
            if entry.get("step") not in step_ids:
                self.problem(where, f"names unknown step {entry.get('step')!r}")
                continue
            when: dict[str, frozenset[str]] = {}
            for item_id, allowed in entry["when"].items():
                if item_id not in values:
                    self.problem(where, f"names unknown item {item_id!r}")
                    continue
                allowed_list = allowed if isinstance(allowed, list) else [allowed]
                for value in allowed_list:
                    if value not in values[item_id]:
                        self.problem(where, f"item {item_id} has no option {value!r}")
                when[item_id] = frozenset(str(value) for value in allowed_list)
            rules.append(Rule(when=when, step=entry["step"]))
        default = raw.get("default")
        if default not in step_ids:
            self.problem("recommendation default", f"names unknown step {default!r}")
        return {"steps": tuple(steps), "rules": tuple(rules), "default_step": str(default)}


def load_definition(path: Path) -> Definition:
    """Read and validate one file; raise ``DefinitionError`` listing every problem in it."""
    reader = _Reader(Path(path))
    definition = reader.read()
    if reader.problems or definition is None:
        raise DefinitionError(reader.problems or [f"{Path(path).name}: could not be read"])
    return definition
