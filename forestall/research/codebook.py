"""The export's tables and columns, defined once: the writer and the codebook both read them.

Every column a research export writes is declared here (name, meaning,
type, allowed values with their labels, unit, how missing is coded); the
writer refuses a row whose keys differ from its table's columns, so a
column can never reach a file without being documented. Allowed values come
from the same ``TextChoices`` the models use and, for questionnaire items,
from the instrument definitions (item text and version).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models
from django.utils import translation

from forestall.cases.models import (
    AppointmentMode,
    AppointmentPurpose,
    AttendanceStatus,
    Programme,
    ReferralReason,
    ReferralStatus,
)
from forestall.cases.pathway import EXITS, MAIN_PATH, Stage
from forestall.inbox.models import (
    ContactChannel,
    ProtectiveActionKind,
    ProtectiveActionState,
    Writer,
)
from forestall.instruments.catalogue import Definition, catalogue, localized
from forestall.instruments.models import Occasion
from forestall.lib import spreadsheet

# How an empty cell is to be read, per column (the codebook says which applies).
MISSING_NOT_APPLICABLE = "empty = not applicable"
MISSING_NOT_REACHED = "empty = stage not reached"
MISSING_NOT_ANSWERED = "empty = not answered"
MISSING_NONE = "never empty"


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    type: str  # "string", "integer", "boolean", "category"
    allowed: Mapping[str, str] = field(default_factory=dict)
    unit: str = ""
    range: str = ""  # the values an integer column can take ("0 to 27"; per instrument for totals)
    missing: str = MISSING_NONE
    instrument: str = ""
    instrument_version: str = ""
    item_text: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    filename: str
    unit: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _labels(choices: type[models.TextChoices], only: Iterable[str] | None = None) -> dict[str, str]:
    with translation.override("en"):
        wanted = set(only) if only is not None else None
        return {
            str(value): str(label)
            for value, label in choices.choices
            if wanted is None or value in wanted
        }


BOOLEAN = {"1": "yes", "0": "no"}
CLIENT = Column("client", "Pseudonym of the client within this study", "string")
CASE = Column("case", "Pseudonym of the case (one course of help at one centre)", "string")
CASE_OF = Column("case", "Pseudonym of the case this row belongs to (cases.csv)", "string")
# Stages after the first, with the months from the case's opening to reaching them.
STAGES_REACHED = tuple(stage for stage in (*MAIN_PATH, *EXITS) if stage != Stage.ENQUIRY)
EXIT_COMPLETED = "completed"
PERIOD_LEVELS = ("month", "quarter", "year")
LOCATION_LEVELS = ("centre", "region")


def cases_table(locations: Mapping[str, str], periods: Mapping[str, str]) -> Table:
    """The cases table; ``locations`` and ``periods`` are the values this export uses."""
    exit_labels = {EXIT_COMPLETED: "Completed (closed after the programme)"} | _labels(
        Stage, [str(stage) for stage in EXITS]
    )
    stage_columns = tuple(
        Column(
            f"months_to_{stage}",
            f"Whole calendar months from the case's opening to reaching '{_labels(Stage)[stage]}'",
            "integer",
            unit="months",
            missing=MISSING_NOT_REACHED,
        )
        for stage in STAGES_REACHED
    )
    return Table(
        "cases",
        "cases.csv",
        "one row per case with research consent (a client may have several)",
        (
            CLIENT,
            CASE,
            Column(
                "location",
                "Centre or, where groups were too small, region of the case (quasi-identifier)",
                "category",
                allowed=dict(locations),
            ),
            Column(
                "programme",
                "Programme of the case (quasi-identifier)",
                "category",
                allowed=_labels(Programme),
            ),
            Column(
                "first_contact",
                "Month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY) the case opened "
                "(quasi-identifier, coarsened as the disclosure check required)",
                "category",
                allowed=dict(periods),
            ),
            Column(
                "stage_now",
                "Pathway stage at the time of the export",
                "category",
                allowed=_labels(Stage),
            ),
            Column(
                "exit_reason",
                "How the case ended",
                "category",
                allowed=exit_labels,
                missing="empty = the case is still open",
            ),
            *stage_columns,
            Column("sessions_attended", "Sessions the client attended", "integer", unit="sessions"),
            Column(
                "sessions_missed", "Sessions the client did not attend", "integer", unit="sessions"
            ),
        ),
    )


def _item_columns(definition: Definition) -> Iterator[Column]:
    for item in definition.items:
        yield Column(
            item_column(definition, item.id),
            f"Answer to item {item.id} of {definition.name} version {definition.version}",
            "category",
            allowed={str(option.value): localized(option.label, "en") for option in item.options},
            missing=MISSING_NOT_ANSWERED + " (or another instrument)",
            instrument=definition.name,
            instrument_version=str(definition.version),
            item_text=localized(item.text, "en"),
        )


def item_column(definition: Definition, item_id: str) -> str:
    return f"item_{definition.key}_v{definition.version}_{item_id}"


def score_column(definition: Definition, score_id: str) -> str:
    """The column of a subscale or derived score of one instrument version."""
    return f"score_{definition.key}_v{definition.version}_{score_id}"


def score_ids(definition: Definition) -> tuple[str, ...]:
    """The instrument's own scores besides the total, in column order: subscales, then derived."""
    return (
        *(subscale.id for subscale in definition.subscales),
        *(derived.id for derived in definition.derived),
    )


def _span(low: int, high: int) -> str:
    return f"{low} to {high}"


def _score_columns(definition: Definition) -> Iterator[Column]:
    """A column per subscale and derived score the definition declares (its version's rules)."""
    for subscale in definition.subscales:
        items = [definition.item(item_id) for item_id in subscale.items]
        mirrored = [item.id for item in items if item.reversed]
        how = f"sum of items {', '.join(subscale.items)}"
        if mirrored:
            how += f" (reverse-scored: {', '.join(mirrored)})"
        yield Column(
            score_column(definition, subscale.id),
            f"Subscale '{localized(subscale.label, 'en')}' of {definition.name} "
            f"version {definition.version}: {how}, as computed when the answers arrived",
            "integer",
            unit="points",
            range=_span(
                sum(item.min_value for item in items), sum(item.max_value for item in items)
            ),
            missing="empty = an item of the subscale not answered (or another instrument)",
            instrument=definition.name,
            instrument_version=str(definition.version),
        )
    for derived in definition.derived:
        yield Column(
            score_column(definition, derived.id),
            f"{localized(derived.label, 'en')} of {definition.name} version "
            f"{definition.version}: the total times {derived.factor}",
            "integer",
            unit="points",
            range=_span(
                definition.min_total * derived.factor, definition.max_total * derived.factor
            ),
            missing="empty = not scored, too many items missing (or another instrument)",
            instrument=definition.name,
            instrument_version=str(definition.version),
        )


def exported_definitions() -> list[Definition]:
    """Every version of every scored instrument (items with fixed options only: no free text)."""
    found = []
    for versions in catalogue().definitions.values():
        for version in sorted(versions):
            definition = versions[version]
            if not definition.is_scored or not definition.items:
                continue
            if all(item.options for item in definition.items):
                found.append(definition)
    return sorted(found, key=lambda d: (d.key, d.version))


def _version(definition: Definition) -> str:
    return f"{definition.name} v{definition.version}"


def administrations_table() -> Table:
    definitions = exported_definitions()
    # Band ids with their labels and, per instrument version, the totals they cover.
    band_labels: dict[str, list[str]] = {}
    band_spans: dict[str, list[str]] = {}
    for definition in definitions:
        for band in definition.bands:
            label = localized(band.label, "en")
            if label not in band_labels.setdefault(band.id, []):
                band_labels[band.id].append(label)
            band_spans.setdefault(band.id, []).append(
                f"{_version(definition)} {_span(band.min, band.max)}"
            )
    bands = {
        band_id: f"{' / '.join(labels)} (total {', '.join(band_spans[band_id])})"
        for band_id, labels in band_labels.items()
    }
    scored_versions = ", ".join(_version(d) for d in definitions)
    return Table(
        "administrations",
        "administrations.csv",
        "one row per completed questionnaire administration",
        (
            CLIENT,
            CASE_OF,
            Column(
                "instrument",
                "Instrument given",
                "category",
                allowed={d.key: d.name for d in definitions},
            ),
            Column("version", "Version of the instrument definition it was given under", "integer"),
            Column("occasion", "Occasion", "category", allowed=_labels(Occasion)),
            Column(
                "weeks_since_opened",
                "Whole weeks from the case's opening to completion",
                "integer",
                unit="weeks (negative = before the case opened)",
                missing="empty = completion time unknown",
            ),
            Column(
                "total",
                "Total score as computed under that version (reverse-scored items mirrored; "
                "prorated if the instrument allows missing items)",
                "integer",
                unit="points",
                range=", ".join(
                    f"{_version(d)}: {_span(d.min_total, d.max_total)}" for d in definitions
                ),
                missing="empty = not scored (too many items missing)",
                instrument_version=scored_versions,
            ),
            Column(
                "band",
                "Severity band of the total, as the instrument version defines it",
                "category",
                allowed=bands,
                missing="empty = no band defined or not scored",
                instrument_version=scored_versions,
            ),
            Column(
                "caseness",
                "At or above the instrument's clinical cut-off",
                "boolean",
                allowed=BOOLEAN,
                missing="empty = the instrument has no cut-off",
            ),
            Column("prorated", "Total prorated for missing items", "boolean", allowed=BOOLEAN),
            *(column for definition in definitions for column in _item_columns(definition)),
            *(column for definition in definitions for column in _score_columns(definition)),
        ),
    )


def appointments_table() -> Table:
    return Table(
        "appointments",
        "appointments.csv",
        "one row per appointment or group session a case was expected at",
        (
            CLIENT,
            CASE_OF,
            Column(
                "kind",
                "Purpose of the appointment",
                "category",
                allowed=_labels(AppointmentPurpose),
            ),
            Column(
                "setting",
                "Individual appointment or group session",
                "category",
                allowed={"individual": "Individual", "group": "Group session"},
            ),
            Column("mode", "How it took place", "category", allowed=_labels(AppointmentMode)),
            Column(
                "attendance",
                "Whether the client came",
                "category",
                allowed=_labels(AttendanceStatus),
            ),
            Column("attended", "The client attended", "boolean", allowed=BOOLEAN),
            Column("duration", "Planned duration", "integer", unit="minutes"),
            Column(
                "weeks_since_opened",
                "Whole weeks from the case's opening to the appointment",
                "integer",
                unit="weeks (negative = before the case opened)",
            ),
        ),
    )


def referrals_table() -> Table:
    return Table(
        "referrals",
        "referrals.csv",
        "one row per referral of a case to another centre",
        (
            CLIENT,
            CASE_OF,
            Column("programme", "Programme referred to", "category", allowed=_labels(Programme)),
            Column(
                "reason", "Why the case was referred", "category", allowed=_labels(ReferralReason)
            ),
            Column(
                "status", "Outcome of the referral", "category", allowed=_labels(ReferralStatus)
            ),
            Column(
                "same_region",
                "The receiving centre is in the same region",
                "boolean",
                allowed=BOOLEAN,
            ),
            Column(
                "weeks_since_opened",
                "Whole weeks from the case's opening to the referral",
                "integer",
                unit="weeks (negative = before the case opened)",
            ),
        ),
    )


def protective_actions_table() -> Table:
    return Table(
        "protective_actions",
        "protective_actions.csv",
        "one row per protective action agreed in the conversation the case came from",
        (
            CLIENT,
            CASE_OF,
            Column(
                "action",
                "Protective action agreed",
                "category",
                allowed=_labels(ProtectiveActionKind),
            ),
            Column(
                "state",
                "Whether it was taken (as last reviewed)",
                "category",
                allowed=_labels(ProtectiveActionState),
            ),
            Column(
                "taken",
                "The action was taken",
                "boolean",
                allowed=BOOLEAN,
                missing="empty = not yet reviewed",
            ),
        ),
    )


def contact_channels_table() -> Table:
    channels = {"mailbox": "Anonymous mailbox (written)"} | _labels(ContactChannel)
    return Table(
        "contact_channels",
        "contact_channels.csv",
        "one row per case that came from a contact in the confidential inbox",
        (
            CLIENT,
            CASE_OF,
            Column("channel", "How the first contact happened", "category", allowed=channels),
            Column("writer", "Who was in contact", "category", allowed=_labels(Writer)),
        ),
    )


def all_tables(locations: Mapping[str, str], periods: Mapping[str, str]) -> tuple[Table, ...]:
    return (
        cases_table(locations, periods),
        administrations_table(),
        appointments_table(),
        referrals_table(),
        protective_actions_table(),
        contact_channels_table(),
    )


CODEBOOK_FIELDS = (
    "file",
    "column",
    "meaning",
    "type",
    "allowed_values",
    "unit",
    "range",
    "missing",
    "instrument",
    "instrument_version",
    "item_text",
)


def _allowed_text(column: Column) -> str:
    return "; ".join(f"{value} = {label}" for value, label in column.allowed.items())


def write_codebook(tables: Iterable[Table], directory: Path) -> tuple[Path, Path]:
    """``codebook.csv`` (one row per column) and ``codebook.md`` (the same, readable)."""
    tables = tuple(tables)
    csv_path = directory / "codebook.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = spreadsheet.writer(handle)
        writer.writerow(CODEBOOK_FIELDS)
        for table in tables:
            for column in table.columns:
                writer.writerow(
                    (
                        table.filename,
                        column.name,
                        column.meaning,
                        column.type,
                        _allowed_text(column),
                        column.unit,
                        column.range,
                        column.missing,
                        column.instrument,
                        column.instrument_version,
                        column.item_text,
                    )
                )
    md_path = directory / "codebook.md"
    with md_path.open("w", encoding="utf-8") as handle:
        handle.write("# Codebook\n\nEvery column of every file of this export.\n")
        handle.write(
            "\nA text cell of any CSV file of this export that begins with `=`, `+`, `-`,"
            " `@`, a tab or a carriage return is written with a single quote (`'`) before"
            " it, so that a spreadsheet shows it as text instead of running it as a"
            " formula: remove that one quote to get the value (`'-x` is the code `-x`)."
            " Numbers, negative ones included, are written as they are.\n"
        )
        for table in tables:
            handle.write(f"\n## {table.filename}\n\nUnit: {table.unit}.\n\n")
            for column in table.columns:
                handle.write(f"### `{column.name}`\n\n{column.meaning}.\n\n")
                handle.write(f"- type: {column.type}\n")
                if column.unit:
                    handle.write(f"- unit: {column.unit}\n")
                if column.range:
                    handle.write(f"- range: {column.range}\n")
                handle.write(f"- missing: {column.missing}\n")
                if column.instrument:
                    handle.write(
                        f"- instrument: {column.instrument}, version {column.instrument_version}\n"
                    )
                elif column.instrument_version:
                    handle.write(f"- instrument versions: {column.instrument_version}\n")
                if column.item_text:
                    handle.write(f"- item text: {column.item_text}\n")
                if column.allowed:
                    handle.write("- allowed values:\n")
                    for value, label in column.allowed.items():
                        handle.write(f"  - `{value}`: {label}\n")
                handle.write("\n")
    return csv_path, md_path
