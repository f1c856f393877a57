"""The pseudonymised research export: CSV per unit of analysis, codebook, manifest.

What leaves: pseudonyms keyed per study (``research.pseudonyms``), fixed
vocabularies from the models and instrument definitions, counts, months and
weeks since the case opened, and the coarsened quasi-identifiers the
disclosure check (``research.disclosure``) allowed. What never leaves: client
references, codenames, staff, free text of any kind (notes, messages,
concerns, consent notes, reasons, summaries), exact dates, contact details.
Those fields are simply never selected: every query below names its columns.

Only cases with research consent in force for the study are read; the rest
are counted in the manifest by reason. Every query is streamed
(``iterator``) and every row written as it arrives, so memory does not grow
with the size of the network.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.sql.constants import MULTI
from django.utils import timezone

from forestall.cases.models import Attendance, Case, CaseTransition, Referral
from forestall.cases.pathway import EXITS, Stage
from forestall.directory.models import Centre, Region
from forestall.inbox.models import ProtectiveAction, ProtectiveActionState
from forestall.instruments.catalogue import catalogue
from forestall.instruments.models import Administration, Status
from forestall.lib import spreadsheet
from forestall.research import codebook, disclosure
from forestall.research.models import ResearchConsent, Study
from forestall.research.pseudonyms import Pseudonymiser

CHUNK = 2000

# A table's column names and its rows (lists of cells in that order), produced lazily.
_Rows = tuple[Sequence[str], Iterator[Sequence[Any]]]
# The cells every questionnaire row starts with (item answers and scores follow).
_ADMINISTRATION_CELLS = (
    "client",
    "case",
    "instrument",
    "version",
    "occasion",
    "weeks_since_opened",
    "total",
    "band",
    "caseness",
    "prorated",
)


class ExportError(Exception):
    """The export cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class _Layout:
    """Where one instrument version's answers and scores go in a questionnaire row."""

    key: str
    item_ids: tuple[str, ...]
    items_at: int
    subscale_ids: tuple[str, ...]
    factors: tuple[int, ...]
    scores_at: int


@dataclass(frozen=True)
class ExportRequest:
    study: Study
    out_dir: Path
    from_month: datetime.date | None = None  # first day of the first month
    to_month: datetime.date | None = None  # first day of the last month (inclusive)
    centre_slugs: tuple[str, ...] = ()
    k: int | None = None


def _month_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, 1))


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- reading rows as the driver gives them -------------------------------------
#
# The export reads a million rows; Django's per-value converters (a UUID object
# for every id, an aware datetime for every timestamp) were most of its time.
# The queries are still built by the ORM (so the SQL and the columns are the
# same on every backend), but their rows are read raw and only the few values
# the export needs are converted, by the helpers below, which accept what both
# SQLite (ids as 32 hex digits, timestamps as UTC text) and PostgreSQL (UUID
# and aware datetime objects) return.


def _raw_rows(queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``values_list`` query, in chunks, without the ORM's converters."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    for block in compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=CHUNK):
        yield from block


def _key(value: uuid.UUID | str) -> bytes:
    """An id as its 16 bytes (what pseudonyms and encryption are keyed with)."""
    if type(value) is str:
        return bytes.fromhex(value)  # SQLite: the 32 hex digits Django stores
    return value.bytes  # type: ignore[union-attr]


def _moment(value: Any) -> datetime.datetime | None:
    """A stored timestamp as an aware datetime (SQLite stores UTC as text)."""
    if value is None:
        return None
    moment: datetime.datetime = (
        datetime.datetime.fromisoformat(value) if type(value) is str else value
    )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def _local_date(moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.date:
    """The calendar day of ``moment`` in ``zone`` (the current time zone, looked up once)."""
    return moment.astimezone(zone).date()


def _months_between(first: datetime.date, end: Any, zone: datetime.tzinfo) -> int | str:
    """Whole calendar months from the day ``first`` to the stored timestamp ``end``."""
    if end is None:
        return ""
    last = _local_date(_moment(end), zone)  # type: ignore[arg-type]
    return (last.year - first.year) * 12 + last.month - first.month


def _weeks_between(start: Any, end: Any) -> int | str:
    """Whole weeks between two stored timestamps, as read (both naive UTC or both aware)."""
    if end is None:
        return ""
    if type(end) is str or type(start) is str:
        start, end = _moment(start), _moment(end)
    return (end - start).days // 7  # type: ignore[no-any-return]


def _flag(value: bool | int | None) -> str:
    if value is None:
        return ""
    return "1" if value else "0"


class _TableWriter:
    """Writes one table's rows as they come, in blocks.

    The row producer names its columns once; they must be exactly the
    documented ones, in order, and every row must have that many cells.
    """

    def __init__(self, table: codebook.Table, directory: Path, columns: Sequence[str]) -> None:
        if tuple(columns) != table.column_names:
            undocumented = sorted(set(columns) - set(table.column_names))
            raise ExportError(
                f"{table.filename}: columns differ from the codebook (undocumented: {undocumented})"
            )
        self.table = table
        self.path = directory / table.filename
        self._width = len(columns)
        self.rows = 0
        self._handle = self.path.open("w", newline="", encoding="utf-8")
        # Through ``lib.spreadsheet`` like every CSV forestall writes: the
        # cells are mostly pseudonyms, coded values and numbers, but a slug
        # or a code from an instrument definition may begin with "-" or "@",
        # and an evaluator opens these files in a spreadsheet. Its check
        # looks at the first character of each text only.
        self._writer = spreadsheet.writer(self._handle)
        self._writer.writerow(table.column_names)

    def write_all(self, rows: Iterator[Sequence[Any]]) -> None:
        while block := list(itertools.islice(rows, CHUNK)):
            if any(len(row) != self._width for row in block):
                raise ExportError(f"{self.table.filename}: a row does not fit its columns")
            self._writer.writerows(block)
            self.rows += len(block)

    def close(self) -> None:
        self._handle.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def forestall_version() -> str:
    try:
        return metadata.version("forestall")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


class _Export:
    def __init__(self, request: ExportRequest) -> None:
        self.request = request
        self.study = request.study
        self.k = request.k if request.k is not None else settings.FORESTALL_RESEARCH_K
        if self.k < 1:
            raise ExportError("k must be at least 1")
        self.pseudonyms = Pseudonymiser(self.study.pk)
        self._last_case: Any = None
        self._last_ids: tuple[str, str] | None = None
        self.from_month = request.from_month or self.study.starts_on.replace(day=1)
        self.to_month = request.to_month or (
            self.study.ends_on.replace(day=1) if self.study.ends_on else None
        )
        if self.to_month and self.to_month < self.from_month:
            raise ExportError("the period ends before it starts")
        known = set(
            Centre.objects.filter(slug__in=request.centre_slugs).values_list("slug", flat=True)
        )
        unknown = sorted(set(request.centre_slugs) - known)
        if unknown:
            raise ExportError(f"unknown centre: {', '.join(unknown)}")

    # --- which cases ---------------------------------------------------------

    def in_scope(self) -> QuerySet[Case]:
        cases = Case.objects.filter(opened_at__gte=_month_start(self.from_month))
        if self.to_month:
            cases = cases.filter(opened_at__lt=_month_start(_next_month(self.to_month)))
        if self.request.centre_slugs:
            cases = cases.filter(centre__slug__in=self.request.centre_slugs)
        return cases

    def _consents(self) -> QuerySet[ResearchConsent]:
        return ResearchConsent.objects.filter(case_id=OuterRef("pk"), study=self.study)

    def eligible(self) -> QuerySet[Case]:
        """Cases in scope with consent in force and content not erased (before disclosure)."""
        return self.in_scope().filter(
            Exists(self._consents().filter(withdrawn_on__isnull=True)), erased_at__isnull=True
        )

    def left_out(self, decision: disclosure.DisclosureDecision) -> dict[str, dict[str, int]]:
        scope = self.in_scope()
        groups = {
            "no_consent": scope.exclude(Exists(self._consents())),
            "consent_withdrawn": scope.filter(
                Exists(self._consents().filter(withdrawn_on__isnull=False))
            ),
            "erased_after_retention": scope.filter(
                Exists(self._consents().filter(withdrawn_on__isnull=True)),
                erased_at__isnull=False,
            ),
        }
        counts = {
            reason: {
                "cases": cases.count(),
                "clients": cases.values("client_id").distinct().count(),
            }
            for reason, cases in groups.items()
        }
        counts["disclosure_control"] = {
            "cases": len(decision.suppressed_cases),
            "clients": len(decision.suppressed_clients),
        }
        return counts

    def quasi_identifiers(self) -> Iterator[disclosure.QuasiIdentifiers]:
        rows = self.eligible().values_list(
            "id", "client_id", "centre__slug", "centre__region__slug", "programme", "opened_at"
        )
        zone = timezone.get_current_timezone()
        for case_id, client_id, centre, region, programme, opened_at in _raw_rows(rows):
            yield disclosure.QuasiIdentifiers(
                _key(case_id),
                _key(client_id),
                centre,
                region,
                programme,
                _local_date(_moment(opened_at), zone),  # type: ignore[arg-type]
            )

    # --- the export ------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        out = self.request.out_dir
        # Pseudonymised personal data: a directory made here is its owner's alone.
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        if any(out.iterdir()):
            raise ExportError(f"{out} is not empty")
        decision = disclosure.decide(self.quasi_identifiers(), self.k)
        disclosure.mark_suppressed(decision, self.quasi_identifiers())
        self.decision = decision
        tables = codebook.all_tables(self._locations(decision), self._periods(decision))
        by_name = {table.name: table for table in tables}
        writers = []
        for name, rows in (
            ("cases", self.case_rows),
            ("administrations", self.administration_rows),
            ("appointments", self.appointment_rows),
            ("referrals", self.referral_rows),
            ("protective_actions", self.protective_action_rows),
            ("contact_channels", self.contact_channel_rows),
        ):
            writers.append(self._write(by_name[name], out, rows))
        codebook_files = codebook.write_codebook(tables, out)
        files = [writer.path for writer in writers] + list(codebook_files)
        manifest = {
            "study": {"slug": self.study.slug, "title": self.study.title},
            "period": {
                "from": self.from_month.strftime("%Y-%m"),
                "to": self.to_month.strftime("%Y-%m") if self.to_month else None,
                "by": "month the case opened",
            },
            "filters": {"centres": sorted(self.request.centre_slugs)},
            "made_at": timezone.now().replace(microsecond=0).isoformat(),
            "forestall_version": forestall_version(),
            "disclosure": {
                "quasi_identifiers": ["location", "programme", "first_contact"],
                "k_required": self.k,
                "k_reached": decision.k_reached,
                "location_level": decision.location_level,
                "first_contact_level": decision.period_level,
                "age_band": "not recorded by forestall",
            },
            "row_counts": {writer.table.filename: writer.rows for writer in writers},
            "left_out": self.left_out(decision),
            "sha256": {path.name: _sha256(path) for path in files},
        }
        (out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return manifest

    def _write(self, table: codebook.Table, out: Path, rows: Callable[[], _Rows]) -> _TableWriter:
        columns, produced = rows()
        writer = _TableWriter(table, out, columns)
        try:
            writer.write_all(produced)
        finally:
            writer.close()
        return writer

    def _locations(self, decision: disclosure.DisclosureDecision) -> dict[str, str]:
        used = {key[0] for key, n in decision.counts.items() if n >= decision.k}
        model = Centre if decision.location_level == "centre" else Region
        return dict(
            model.objects.filter(slug__in=used).order_by("slug").values_list("slug", "name")
        )

    def _periods(self, decision: disclosure.DisclosureDecision) -> dict[str, str]:
        used = sorted({key[2] for key, n in decision.counts.items() if n >= decision.k})
        return {period: f"first contact in {period}" for period in used}

    def _ids(self, case_id: uuid.UUID | str, client_id: uuid.UUID | str) -> tuple[str, str] | None:
        """The (client, case) pseudonyms of a raw case id; None if the case is suppressed.

        Rows of one case often follow each other: the last case is remembered
        (constant memory, and no table of pseudonyms is ever kept).
        """
        if case_id == self._last_case:
            return self._last_ids
        case = _key(case_id)
        if case in self.decision.suppressed_cases:
            ids = None
        else:
            ids = (
                self.pseudonyms.of_bytes(b"client:", _key(client_id)),
                self.pseudonyms.of_bytes(b"case:", case),
            )
        self._last_case, self._last_ids = case_id, ids
        return ids

    def case_rows(self) -> _Rows:
        reached = {
            f"months_to_{stage}": Subquery(
                CaseTransition.objects.filter(case_id=OuterRef("pk"), to_stage=stage)
                .order_by("at")
                .values("at")[:1]
            )
            for stage in codebook.STAGES_REACHED
        }
        stage_names = list(reached)
        columns = (
            "client",
            "case",
            "location",
            "programme",
            "first_contact",
            "stage_now",
            "exit_reason",
            *stage_names,
            "sessions_attended",
            "sessions_missed",
        )
        query = (
            self.eligible()
            .annotate(**reached)
            .values_list(
                "id",
                "client_id",
                "centre__slug",
                "centre__region__slug",
                "programme",
                "opened_at",
                "stage",
                "attended_sessions",
                "missed_sessions",
                *stage_names,
            )
        )
        level = self.decision.level
        exits = {str(stage) for stage in EXITS}
        zone = timezone.get_current_timezone()

        def rows() -> Iterator[list[Any]]:
            for values in _raw_rows(query):
                case_id, client_id, centre, region, programme, opened, stage, attended, missed = (
                    values[:9]
                )
                ids = self._ids(case_id, client_id)
                if ids is None:
                    continue
                opened_on = _local_date(_moment(opened), zone)  # type: ignore[arg-type]
                location, _programme, period = disclosure.QuasiIdentifiers(
                    b"", b"", centre, region, programme, opened_on
                ).key(level)
                if stage in exits:
                    exit_reason = stage
                elif stage == Stage.CLOSED:
                    exit_reason = codebook.EXIT_COMPLETED
                else:
                    exit_reason = ""
                yield [
                    *ids,
                    location,
                    programme,
                    period,
                    stage,
                    exit_reason,
                    *(_months_between(opened_on, at, zone) for at in values[9:]),
                    attended,
                    missed,
                ]

        return columns, rows()

    def administration_rows(self) -> _Rows:
        table = codebook.administrations_table()
        columns = table.column_names
        if columns[:10] != _ADMINISTRATION_CELLS:
            raise ExportError(f"{table.filename}: the first columns differ from the codebook")
        position = {name: index for index, name in enumerate(columns)}
        definitions = {(d.key, d.version): d for d in codebook.exported_definitions()}
        blank: list[Any] = [""] * len(columns)
        # Per (stored instrument id, version), None if it is not exported: its key,
        # its item ids in order and where their (adjacent) columns start, and its
        # subscale ids, derived factors and where their (adjacent) columns start.
        layouts: dict[tuple[str, int], _Layout | None] = {}

        def adjacent(names: Sequence[str]) -> int:
            first = position[names[0]]
            if columns[first : first + len(names)] != tuple(names):
                raise ExportError(f"{table.filename}: columns of one instrument are not adjacent")
            return first

        def layout(instrument: str, version: int) -> _Layout | None:
            try:
                key = catalogue().get(instrument, version).key
            except LookupError:
                return None  # an instrument no longer shipped
            definition = definitions.get((key, version))
            if definition is None:
                return None  # not a scored instrument
            item_ids = tuple(item.id for item in definition.items)
            scores = codebook.score_ids(definition)
            return _Layout(
                key,
                item_ids,
                adjacent([codebook.item_column(definition, item_id) for item_id in item_ids]),
                tuple(subscale.id for subscale in definition.subscales),
                tuple(derived.factor for derived in definition.derived),
                adjacent([codebook.score_column(definition, s) for s in scores]) if scores else 0,
            )

        # One filter() call: the case joined is the same in both conditions (a
        # measure belongs to the client's consented case at the centre that gave it).
        query = (
            Administration.objects.filter(
                status=Status.COMPLETED,
                client__cases__in=self.eligible(),
                client__cases__centre_id=F("centre_id"),
            )
            .values_list(
                "id",
                "client_id",
                "client__cases__id",
                "client__cases__opened_at",
                "instrument",
                "version",
                "occasion",
                "completed_at",
                "total",
                "band",
                "caseness",
                "prorated",
                "answers",
                "subscales",
            )
            # By client: consecutive rows share their pseudonyms (``_ids`` remembers the last).
            .order_by("client_id")
        )
        # Answers are encrypted at rest (bound to their row): opened here, never stored.
        open_answers = Administration._meta.get_field("answers").row_opener(Administration)  # type: ignore[attr-defined]

        decode = json.JSONDecoder().decode
        # The answers were written by json.dumps and are authenticated by their
        # encryption: no surrounding whitespace to strip, so the scanner is called
        # directly (``decode`` would look for whitespace on both sides).
        scan = json.JSONDecoder().raw_decode

        def rows() -> Iterator[list[Any]]:
            for (
                administration_id,
                client_id,
                case_id,
                opened,
                instrument,
                version,
                occasion,
                completed_at,
                total,
                band,
                caseness,
                prorated,
                sealed_answers,
                subscales,
            ) in _raw_rows(query):
                ids = self._ids(case_id, client_id)
                if ids is None:
                    continue
                try:
                    found = layouts[(instrument, version)]
                except KeyError:
                    found = layouts[(instrument, version)] = layout(instrument, version)
                if found is None:
                    continue
                row = blank.copy()
                row[:10] = (
                    *ids,
                    found.key,
                    version,
                    occasion,
                    _weeks_between(opened, completed_at),
                    "" if total is None else total,
                    band,
                    _flag(caseness),
                    _flag(prorated),
                )
                if sealed_answers:
                    plain = open_answers(_key(administration_id), sealed_answers)
                    answers = scan(plain.decode())[0]
                    if answers:
                        first = found.items_at
                        row[first : first + len(found.item_ids)] = [
                            "" if value is None else value
                            for value in map(answers.get, found.item_ids)
                        ]
                if found.subscale_ids or found.factors:
                    # Subscales as stored when the answers arrived (like the total);
                    # derived scores from the total by the version's factor.
                    stored = decode(subscales) if type(subscales) is str else subscales
                    scores = [
                        "" if value is None else value
                        for value in map((stored or {}).get, found.subscale_ids)
                    ]
                    scores += ["" if total is None else total * f for f in found.factors]
                    row[found.scores_at : found.scores_at + len(scores)] = scores
                yield row

        return columns, rows()

    def appointment_rows(self) -> _Rows:
        query = (
            Attendance.objects.filter(case__in=self.eligible())
            .values_list(
                "case_id",
                "case__client_id",
                "case__opened_at",
                "appointment__purpose",
                "appointment__group_id",
                "appointment__mode",
                "status",
                "appointment__duration_minutes",
                "appointment__starts_at",
            )
            .order_by()
        )
        columns = (
            "client",
            "case",
            "kind",
            "setting",
            "mode",
            "attendance",
            "attended",
            "duration",
            "weeks_since_opened",
        )

        def rows() -> Iterator[list[Any]]:
            for (
                case_id,
                client_id,
                opened,
                purpose,
                group,
                mode,
                status,
                minutes,
                starts,
            ) in _raw_rows(query):
                ids = self._ids(case_id, client_id)
                if ids is None:
                    continue
                yield [
                    *ids,
                    purpose,
                    "group" if group else "individual",
                    mode,
                    status,
                    _flag(status == "attended"),
                    minutes,
                    _weeks_between(opened, starts),
                ]

        return columns, rows()

    def referral_rows(self) -> _Rows:
        query = (
            Referral.objects.filter(case__in=self.eligible())
            .values_list(
                "case_id",
                "case__client_id",
                "case__opened_at",
                "programme",
                "reason",
                "status",
                "from_centre__region_id",
                "to_centre__region_id",
                "created_at",
            )
            .order_by()
        )
        columns = (
            "client",
            "case",
            "programme",
            "reason",
            "status",
            "same_region",
            "weeks_since_opened",
        )

        def rows() -> Iterator[list[Any]]:
            for (
                case_id,
                client_id,
                opened,
                programme,
                reason,
                status,
                source,
                target,
                at,
            ) in _raw_rows(query):
                ids = self._ids(case_id, client_id)
                if ids is None:
                    continue
                yield [
                    *ids,
                    programme,
                    reason,
                    status,
                    _flag(source == target),
                    _weeks_between(opened, at),
                ]

        return columns, rows()

    def protective_action_rows(self) -> _Rows:
        query = (
            ProtectiveAction.objects.filter(conversation__cases__in=self.eligible())
            .values_list(
                "conversation__cases__id", "conversation__cases__client_id", "action", "state"
            )
            .order_by()
        )

        def rows() -> Iterator[list[Any]]:
            for case_id, client_id, action, state in _raw_rows(query):
                ids = self._ids(case_id, client_id)
                if ids is None:
                    continue
                taken = (
                    ""
                    if state == ProtectiveActionState.AGREED
                    else _flag(state == ProtectiveActionState.TAKEN)
                )
                yield [*ids, action, state, taken]

        return ("client", "case", "action", "state", "taken"), rows()

    def contact_channel_rows(self) -> _Rows:
        query = (
            self.eligible()
            .filter(conversation__isnull=False)
            .values_list(
                "id",
                "client_id",
                "conversation__offline_contact__channel",
                "conversation__summary__writer",
            )
            .order_by()
        )

        def rows() -> Iterator[list[Any]]:
            for case_id, client_id, channel, writer in _raw_rows(query):
                ids = self._ids(case_id, client_id)
                if ids is None:
                    continue
                yield [*ids, channel or "mailbox", writer or "unknown"]

        return ("client", "case", "channel", "writer"), rows()


def export_study(request: ExportRequest) -> dict[str, Any]:
    """Write the study's export into ``request.out_dir`` (which must be new or empty).

    Returns the manifest (also written as ``manifest.json``). Raises
    ``ExportError`` for a request that cannot be met. The caller records the
    audit entry (``research.actions.export_research``).
    """
    return _Export(request).run()


def disclosure_summary(manifest: dict[str, Any]) -> str:
    """What disclosure control left of the export, in a line (the command's, the audit entry's).

    ``k_reached`` is None when no case is written: printed as it was, the
    line read "k reached None" for a study without consenting cases, or
    one whose every group was smaller than k.
    """
    disclosure = manifest["disclosure"]
    if disclosure["k_reached"] is not None:
        return f"k reached {disclosure['k_reached']}"
    held_back = manifest["left_out"]["disclosure_control"]["cases"]
    if held_back:
        return (
            f"no cases written: all {held_back} held back, "
            f"every group smaller than k {disclosure['k_required']}"
        )
    return "no cases written"


def parse_month(text: str) -> datetime.date:
    """``YYYY-MM`` → the first day of that month; ``ValueError`` otherwise."""
    try:
        parsed = datetime.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from None
    if not 1900 <= parsed.year <= 2999:
        # Far-off years overflow the time zone arithmetic; no case is that old.
        raise ValueError(f"not a month (YYYY-MM) between 1900 and 2999: {text!r}")
    return parsed.date()


def centre_slugs(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({value.strip() for value in values if value.strip()}))
