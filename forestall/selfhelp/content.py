"""The self-help programmes: versioned content files, loaded and validated once.

Each programme is a folder under ``content/`` with a ``programme.yaml`` and
one YAML file per module. A module file holds its ``slug``, ``order``,
``version`` and ``minutes`` and one block per language (``en``, ``de``) with
the title, a summary, sections (Markdown), exercises and "what to do next".
Texts are block scalars or plain scalars, never flow mappings (a flow
mapping once cut a German text at its first comma, see
tests/test_instrument_texts.py).

Every language block must define the same exercises with the same field ids,
kinds and option ids, so an answer saved in one language can be shown in the
other. Markdown goes through the public pages' sanitiser
(``forestall.public.content.render_markdown``): only a few tags, links only
to this site or allowed hosts, no raw HTML, no images.

A saved answer keeps the ``version`` of its module; whoever changes what an
exercise asks in a file must raise the version.

The shipped files are the first versions. Network admins publish new ones
through the staff side (``ModuleVersion`` rows: a language block per
language, validated here exactly like a file); the public pages show the
newest version of each module, and ``module_at_version`` finds the one a
saved answer was given under.
"""

from __future__ import annotations

import functools
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from forestall.selfhelp.models import ModuleVersion

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LANGUAGES = ("en", "de")
FIELD_KINDS = ("text", "choice", "multi", "rating")
# Longest answer to one free-text field, in characters.
TEXT_LIMIT = 2000


class ContentError(ValueError):
    """A content file is missing something or contradicts itself.

    The message is in the active language (an editor reads it on the staff
    page); ``where`` in it names the block and key as written in the file.
    """


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Field:
    id: str
    kind: str
    label: str
    options: tuple[Option, ...] = ()

    def option_label(self, option_id: str) -> str:
        for option in self.options:
            if option.id == option_id:
                return option.label
        return option_id


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    intro: SafeString
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Section:
    heading: str
    html: SafeString


@dataclass(frozen=True)
class ModuleText:
    title: str
    summary: str
    sections: tuple[Section, ...]
    exercises: tuple[Exercise, ...]
    next_html: SafeString

    def exercise(self, exercise_id: str) -> Exercise | None:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        return None


@dataclass(frozen=True)
class Module:
    programme: str
    slug: str
    order: int
    version: int
    minutes: int
    texts: dict[str, ModuleText]

    def text(self, language: str) -> ModuleText:
        return self.texts.get(language) or self.texts["en"]


@dataclass(frozen=True)
class Rating:
    id: str
    label: str


@dataclass(frozen=True)
class ProgrammeText:
    title: str
    summary: str
    ratings: tuple[Rating, ...]


@dataclass(frozen=True)
class Programme:
    slug: str
    order: int
    texts: dict[str, ProgrammeText]
    modules: tuple[Module, ...] = field(default=())

    def text(self, language: str) -> ProgrammeText:
        return self.texts.get(language) or self.texts["en"]

    def module(self, slug: str) -> Module | None:
        for module in self.modules:
            if module.slug == slug:
                return module
        return None

    def after(self, module: Module) -> Module | None:
        index = self.modules.index(module)
        return self.modules[index + 1] if index + 1 < len(self.modules) else None


@dataclass(frozen=True)
class Catalogue:
    programmes: tuple[Programme, ...]

    def programme(self, slug: str) -> Programme | None:
        for programme in self.programmes:
            if programme.slug == slug:
                return programme
        return None

    def find(self, programme_slug: str, module_slug: str) -> tuple[Programme, Module] | None:
        programme = self.programme(programme_slug)
        module = programme.module(module_slug) if programme else None
        if programme is None or module is None:
            return None
        return programme, module


def _text(value: Any, where: str) -> str:
    if isinstance(value, (bool, int, float)):
        # YAML reads a plain 12345, 3.14, yes or no as a number or a truth
        # value: say so, instead of "a text is required" for a visible text.
        raise ContentError(
            _(
                "%(where)s: YAML reads %(value)s as a number or as yes/no, not as a text. "
                'Put the text in quotes, for example "%(value)s".'
            )
            % {"where": where, "value": value}
        )
    if not isinstance(value, str) or not value.strip():
        raise ContentError(_("%(where)s: a non-empty text is required") % {"where": where})
    return value.strip()


def _slug(value: Any, where: str) -> str:
    # YAML 1.1 reads ``no``/``yes``/``on`` as booleans: ids must stay strings.
    if not isinstance(value, str) or not value or not all(c.isalnum() or c == "-" for c in value):
        raise ContentError(
            _("%(where)s: an id of letters, digits and hyphens is required") % {"where": where}
        )
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ContentError(_("%(where)s: a mapping is required") % {"where": where})
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ContentError(_("%(where)s: a non-empty list is required") % {"where": where})
    return value


def _render(source: str) -> SafeString:
    from forestall.public.content import render_markdown

    return render_markdown(source)


def _field(raw: Any, where: str) -> Field:
    raw = _mapping(raw, where)
    field_id = _slug(raw.get("id"), f"{where}.id")
    kind = raw.get("kind")
    if kind not in FIELD_KINDS:
        raise ContentError(
            _("%(where)s.kind: one of %(kinds)s")
            % {"where": where, "kinds": ", ".join(FIELD_KINDS)}
        )
    options: tuple[Option, ...] = ()
    if kind in ("choice", "multi"):
        options = tuple(
            Option(
                _slug(_mapping(o, where).get("id"), f"{where}.options.id"),
                _text(o.get("label"), f"{where}.options.label"),
            )
            for o in _list(raw.get("options"), f"{where}.options")
        )
        if len({o.id for o in options}) != len(options):
            raise ContentError(_("%(where)s.options: ids must be unique") % {"where": where})
    elif "options" in raw:
        raise ContentError(
            _("%(where)s: only choice and multi fields have options") % {"where": where}
        )
    return Field(field_id, kind, _text(raw.get("label"), f"{where}.label"), options)


def _exercise(raw: Any, where: str) -> Exercise:
    raw = _mapping(raw, where)
    exercise_id = _slug(raw.get("id"), f"{where}.id")
    fields = tuple(
        _field(f, f"{where}.{exercise_id}.fields") for f in _list(raw.get("fields"), where)
    )
    if len({f.id for f in fields}) != len(fields):
        raise ContentError(
            _("%(where)s: field ids must be unique") % {"where": f"{where}.{exercise_id}"}
        )
    intro = raw.get("intro") or ""
    return Exercise(exercise_id, _text(raw.get("title"), f"{where}.title"), _render(intro), fields)


def parse_module_text(raw: Any, where: str) -> ModuleText:
    """One language block of a module (also used to check an edit before it is published)."""
    raw = _mapping(raw, where)
    sections = tuple(
        Section(_text(s.get("heading"), f"{where}.heading"), _render(_text(s.get("body"), where)))
        for s in (_mapping(s, f"{where}.sections") for s in _list(raw.get("sections"), where))
    )
    exercises = tuple(
        _exercise(e, f"{where}.exercises") for e in _list(raw.get("exercises"), where)
    )
    if len({e.id for e in exercises}) != len(exercises):
        raise ContentError(_("%(where)s: exercise ids must be unique") % {"where": where})
    return ModuleText(
        title=_text(raw.get("title"), f"{where}.title"),
        summary=_text(raw.get("summary"), f"{where}.summary"),
        sections=sections,
        exercises=exercises,
        next_html=_render(_text(raw.get("next"), f"{where}.next")),
    )


def _shape(text: ModuleText) -> list[tuple[str, list[tuple[str, str, list[str]]]]]:
    return [
        (e.id, [(f.id, f.kind, [o.id for o in f.options]) for f in e.fields])
        for e in text.exercises
    ]


def check_same_shape(reference: ModuleText, other: ModuleText, where: str) -> None:
    """Every language must ask the same questions (ids, kinds, options)."""
    if _shape(reference) != _shape(other):
        raise ContentError(
            _("%(where)s: exercises differ from the English ones") % {"where": where}
        )


def _module(programme: str, path: Path) -> Module:
    raw = _mapping(read_yaml(path.read_text(encoding="utf-8")), str(path))
    where = f"{programme}/{path.name}"
    numbers = [raw.get(name) for name in ("order", "version", "minutes")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers):
        raise ContentError(f"{where}: version, order and minutes must be positive integers")
    order, version, minutes = (int(n) for n in numbers)  # type: ignore[arg-type]
    texts = module_texts({language: raw.get(language) for language in LANGUAGES}, where)
    return Module(programme, _slug(raw.get("slug"), where), order, version, minutes, texts)


def module_texts(raw_texts: dict[str, Any], where: str) -> dict[str, ModuleText]:
    """Every language block of a module, parsed and checked to ask the same questions."""
    texts = {
        language: parse_module_text(raw_texts.get(language), f"{where}.{language}")
        for language in LANGUAGES
    }
    for language in LANGUAGES[1:]:
        check_same_shape(texts["en"], texts[language], f"{where}.{language}")
    return texts


# The largest language block an editor may publish, in characters.
SOURCE_LIMIT = 40000


class TextLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a plain value that looks like a date stays text.

    A module's texts have no dates; with YAML 1.1's implicit timestamps, a
    title such as ``2025-01-01`` became a date (and was refused as "not a
    text"), and one such as ``2999-99-99`` raised a ``ValueError`` from
    Python's ``datetime`` deep inside the loader: the editor's save
    answered 500.
    """


TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PublishingTextLoader(TextLoader):
    """``TextLoader`` with the rules for what an editor publishes now.

    A key written twice is refused: PyYAML keeps the last one silently, so an
    editor who wrote ``title:`` twice published the second and lost the first
    without a word. Only for publishing: a version stored before this rule
    must still be read as it was (refusing it on reading would make its
    module's pages a 500).
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        """A mapping, refusing a key written twice (PyYAML keeps the last one silently)."""
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (str, int, float, bool)) or key is None:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None,
                            None,
                            _("the key %(key)s is written twice") % {"key": key},
                            key_node.start_mark,
                        )
                    seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(source: str, *, publishing: bool = False) -> Any:
    """``source`` read with ``TextLoader``; anything the loader raises becomes a ``yaml.YAMLError``.

    PyYAML's constructors raise Python's own errors for some well-formed
    input (a value out of range, nesting deeper than Python's recursion
    limit); to the editor those are YAML it cannot use, like a syntax error.
    """
    try:
        loader = PublishingTextLoader if publishing else TextLoader
        data = yaml.load(source, Loader=loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        raise yaml.YAMLError(str(error)) from None
    _refuse_unencodable(data)
    return data


def _refuse_unencodable(data: Any) -> None:
    """Raise ``yaml.YAMLError`` for a text that cannot be written as UTF-8.

    A double-quoted YAML escape such as ``"\\ud800"`` gives a lone surrogate:
    valid to PyYAML, but no page can send it. Published, it turned the
    module's public pages and its editor into a 500 for everyone.
    """
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise yaml.MarkedYAMLError(
                    problem=_("a \\u escape that is not a character (a lone surrogate)")
                ) from None
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def load_block(source: str, where: str, *, publishing: bool = False) -> Any:
    """One language block written by an editor (YAML), read safely.

    YAML aliases are refused (a few lines of them can expand to gigabytes or
    to a structure that contains itself), as is anything that is not a
    mapping; a syntax error names its line.
    """
    if len(source) > SOURCE_LIMIT:
        raise ContentError(
            _("%(where)s: longer than %(limit)s characters")
            % {"where": where, "limit": SOURCE_LIMIT}
        )
    try:
        for event in yaml.parse(source, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise ContentError(
                    _("%(where)s: YAML aliases (*name) are not allowed") % {"where": where}
                )
        return _mapping(read_yaml(source, publishing=publishing), where)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        # PyYAML's own description of the problem stays as it wrote it (in
        # English), like a compiler's message; the sentence around it is ours.
        problem = getattr(error, "problem", None)
        if mark is not None and problem:
            message = _("%(where)s, line %(line)s: not valid YAML (%(problem)s)") % {
                "where": where,
                "line": mark.line + 1,
                "problem": problem,
            }
        elif problem:
            message = _("%(where)s: not valid YAML (%(problem)s)") % {
                "where": where,
                "problem": problem,
            }
        else:
            message = _("%(where)s: not valid YAML") % {"where": where}
        raise ContentError(message) from None


def module_from_sources(
    programme: str,
    slug: str,
    order: int,
    version: int,
    minutes: int,
    sources: dict[str, str],
    *,
    publishing: bool = False,
) -> Module:
    """A module from the language blocks an editor wrote (raises ``ContentError``).

    ``publishing``: checked as a new version (``PublishingTextLoader``), not
    read back as a stored one.
    """
    where = f"{programme}/{slug}"
    raw_texts = {
        language: load_block(
            str(sources.get(language) or ""), f"{where}.{language}", publishing=publishing
        )
        for language in LANGUAGES
    }
    return Module(programme, slug, order, version, minutes, module_texts(raw_texts, where))


_BLOCK_START = re.compile(r"^([a-z]{2}):\s*$")


def shipped_sources(programme: str, slug: str) -> dict[str, str]:
    """The language blocks of a shipped module file, as written (comments and all).

    What the editor starts from before anyone has published a version.
    """
    path = _shipped_paths().get((programme, slug))
    if path is None:
        raise ContentError(f"{programme}/{slug}: no such shipped module")
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        started = _BLOCK_START.match(line)
        if started:
            current = blocks.setdefault(started.group(1), [])
        elif line and not line[0].isspace() and not line.startswith("#"):
            current = None
        elif current is not None:
            current.append(line)
    return {
        language: textwrap.dedent("\n".join(lines)).strip("\n") + "\n"
        for language, lines in blocks.items()
        if language in LANGUAGES
    }


@functools.cache
def _shipped_paths() -> dict[tuple[str, str], Path]:
    paths = {}
    for folder in CONTENT_DIR.iterdir():
        if not folder.is_dir():
            continue
        programme = yaml.safe_load((folder / "programme.yaml").read_text("utf-8"))["slug"]
        for path in folder.glob("*.yaml"):
            if path.name != "programme.yaml":
                paths[(programme, yaml.safe_load(path.read_text("utf-8"))["slug"])] = path
    return paths


def _programme(folder: Path) -> Programme:
    raw = _mapping(yaml.safe_load((folder / "programme.yaml").read_text("utf-8")), str(folder))
    slug = _slug(raw.get("slug"), str(folder))
    texts = {}
    for language in LANGUAGES:
        block = _mapping(raw.get(language), f"{slug}.{language}")
        ratings = tuple(
            Rating(_slug(r.get("id"), slug), _text(r.get("label"), slug))
            for r in _list(block.get("ratings"), f"{slug}.{language}.ratings")
        )
        texts[language] = ProgrammeText(
            _text(block.get("title"), slug), _text(block.get("summary"), slug), ratings
        )
    if [r.id for r in texts["en"].ratings] != [r.id for r in texts["de"].ratings]:
        raise ContentError(f"{slug}: ratings differ between languages")
    modules = sorted(
        (_module(slug, path) for path in folder.glob("*.yaml") if path.name != "programme.yaml"),
        key=lambda m: m.order,
    )
    if len({m.slug for m in modules}) != len(modules):
        raise ContentError(f"{slug}: module slugs must be unique")
    return Programme(slug, raw.get("order", 99), texts, tuple(modules))


@functools.cache
def shipped_catalogue() -> Catalogue:
    """Every programme as shipped in ``content/``, validated (raises ``ContentError``)."""
    programmes = sorted(
        (_programme(folder) for folder in CONTENT_DIR.iterdir() if folder.is_dir()),
        key=lambda p: p.order,
    )
    return Catalogue(tuple(programmes))


def catalogue() -> Catalogue:
    """The programmes as they are shown now: each module at its newest published version.

    Which version is newest is kept like the public pages' texts
    (``remember_for_public_pages``: a publish shows at once, otherwise one
    small query per page lifetime); the parsed catalogue for that set of
    versions is kept per process, so a page does not unpickle every module.
    """
    from forestall.lib.pagecache import remember_for_public_pages

    newest = remember_for_public_pages("selfhelp-newest-versions", _newest_versions)
    built = _BUILT.get(newest)
    if built is None:
        built = _catalogue_of(newest)
        _BUILT.clear()
        _BUILT[newest] = built
    return built


# The catalogue for the last set of newest versions seen by this process.
_BUILT: dict[tuple[tuple[str, str, int, str], ...], Catalogue] = {}


def _newest_versions() -> tuple[tuple[str, str, int, str], ...]:
    """(programme, module, version, id) of the newest published version of each module."""
    from forestall.selfhelp.models import ModuleVersion

    newest: dict[tuple[str, str], tuple[int, str]] = {}
    for pk, programme_slug, slug, version in ModuleVersion.objects.values_list(
        "pk", "programme", "module", "version"
    ):
        if version > newest.get((programme_slug, slug), (0, ""))[0]:
            newest[(programme_slug, slug)] = (version, str(pk))
    return tuple(sorted((p, m, v, pk) for (p, m), (v, pk) in newest.items()))


def _catalogue_of(newest: tuple[tuple[str, str, int, str], ...]) -> Catalogue:
    from forestall.selfhelp.models import ModuleVersion

    shipped = shipped_catalogue()
    if not newest:
        return shipped
    by_module = {(p, m): (v, pk) for p, m, v, pk in newest}
    rows = {str(row.pk): row for row in ModuleVersion.objects.filter(pk__in=[e[3] for e in newest])}
    programmes = []
    for programme in shipped.programmes:
        modules = []
        for module in programme.modules:
            version, pk = by_module.get((module.programme, module.slug), (0, ""))
            # A release may ship a file newer than anything published here.
            if pk in rows and version >= module.version:
                module = module_of_version(rows[pk], module)
            modules.append(module)
        programmes.append(
            Programme(programme.slug, programme.order, programme.texts, tuple(modules))
        )
    return Catalogue(tuple(programmes))


def module_of_version(row: ModuleVersion, shipped: Module) -> Module:
    """The module a published version describes (its order and slug are the shipped ones)."""
    return _parsed_version(
        row.pk, row.programme, row.module, shipped.order, row.version, row.minutes, row.texts
    )


# Parsed published versions, by id: a published version never changes.
_PARSED: dict[str, Module] = {}


def _parsed_version(
    pk: Any,
    programme: str,
    slug: str,
    order: int,
    version: int,
    minutes: int,
    texts: dict[str, str],
) -> Module:
    parsed = _PARSED.get(str(pk))
    if parsed is None:
        parsed = module_from_sources(programme, slug, order, version, minutes, texts)
        if len(_PARSED) > 512:
            _PARSED.clear()
        _PARSED[str(pk)] = parsed
    return parsed


def module_at_version(module: Module, version: int) -> Module | None:
    """``module`` as it was at ``version`` (for answers given under it), or None if unknown."""
    from forestall.selfhelp.models import ModuleVersion

    if version == module.version:
        return module
    shipped_found = shipped_catalogue().find(module.programme, module.slug)
    if shipped_found is None:
        return None
    shipped = shipped_found[1]
    row = ModuleVersion.objects.of(module.programme, module.slug).filter(version=version).first()
    if row is not None:
        try:
            return module_of_version(row, shipped)
        except ContentError:  # pragma: no cover - published versions were validated
            return None
    return shipped if shipped.version == version else None
