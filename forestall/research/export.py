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
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from forestall.cases.models import Attendance, Case, CaseTransition, Referral
from forestall.cases.pathway import EXITS, Stage
from forestall.directory.models import Centre, Region
from forestall.inbox.models import ProtectiveAction, ProtectiveActionState
from forestall.instruments.catalogue import catalogue
from forestall.instruments.models import Administration, Status
from forestall.research import codebook, disclosure
from forestall.research.models import ResearchConsent, Study
from forestall.research.pseudonyms import Pseudonymiser

CHUNK = 2000


class ExportError(Exception):
    """The export cannot be made as asked (the message says why)."""


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


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _months_between(start: datetime.datetime, end: datetime.datetime | None) -> int | str:
    if end is None:
        return ""
    first, last = _local_date(start), _local_date(end)
    return (last.year - first.year) * 12 + last.month - first.month


def _weeks_between(start: datetime.datetime, end: datetime.datetime | None) -> int | str:
    if end is None:
        return ""
    return (end - start).days // 7


def _flag(value: bool | None) -> str:
    if value is None:
        return ""
    return "1" if value else "0"


class _TableWriter:
    """Writes one table's rows as they come; a row must have exactly the documented columns."""

    def __init__(self, table: codebook.Table, directory: Path) -> None:
        import csv

        self.table = table
        self.path = directory / table.filename
        self._handle = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._names = table.column_names
        self._writer.writerow(self._names)
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        if len(row) != len(self._names):
            undocumented = sorted(set(row) - set(self._names))
            raise ExportError(f"{self.table.filename}: undocumented columns {undocumented}")
        self._writer.writerow([row[name] for name in self._names])
        self.rows += 1

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
        self._last_ids: tuple[uuid.UUID | None, dict[str, Any]] = (None, {})
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
        for case_id, client_id, centre, region, programme, opened_at in rows.iterator(CHUNK):
            yield disclosure.QuasiIdentifiers(
                case_id, client_id, centre, region, programme, _local_date(opened_at)
            )

    # --- the export ------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        out = self.request.out_dir
        out.mkdir(parents=True, exist_ok=True)
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

    def _write(
        self, table: codebook.Table, out: Path, rows: Callable[[], Iterator[dict[str, Any]]]
    ) -> _TableWriter:
        writer = _TableWriter(table, out)
        try:
            for row in rows():
                writer.write(row)
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

    def _kept(self, case_id: uuid.UUID) -> bool:
        return case_id not in self.decision.suppressed_cases

    def _ids(self, case_id: uuid.UUID, client_id: uuid.UUID) -> dict[str, Any]:
        # Rows of one case often follow each other: remember the last pair only
        # (constant memory, and no table of pseudonyms is ever kept).
        if self._last_ids[0] != case_id:
            self._last_ids = (
                case_id,
                {
                    "client": self.pseudonyms.of("client", client_id),
                    "case": self.pseudonyms.of("case", case_id),
                },
            )
        return self._last_ids[1]

    def case_rows(self) -> Iterator[dict[str, Any]]:
        reached = {
            f"months_to_{stage}": Subquery(
                CaseTransition.objects.filter(case_id=OuterRef("pk"), to_stage=stage)
                .order_by("at")
                .values("at")[:1]
            )
            for stage in codebook.STAGES_REACHED
        }
        stage_names = list(reached)
        rows = (
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
        for values in rows.iterator(CHUNK):
            case_id, client_id, centre, region, programme, opened_at, stage, attended, missed = (
                values[:9]
            )
            if not self._kept(case_id):
                continue
            location, _programme, period = disclosure.QuasiIdentifiers(
                case_id, client_id, centre, region, programme, _local_date(opened_at)
            ).key(level)
            if stage in exits:
                exit_reason = stage
            elif stage == Stage.CLOSED:
                exit_reason = codebook.EXIT_COMPLETED
            else:
                exit_reason = ""
            row = {
                **self._ids(case_id, client_id),
                "location": location,
                "programme": programme,
                "first_contact": period,
                "stage_now": stage,
                "exit_reason": exit_reason,
                "sessions_attended": attended,
                "sessions_missed": missed,
            }
            for name, moment in zip(stage_names, values[9:], strict=True):
                row[name] = _months_between(opened_at, moment)
            yield row

    def administration_rows(self) -> Iterator[dict[str, Any]]:
        definitions = {(d.key, d.version): d for d in codebook.exported_definitions()}
        blank_items = {
            codebook.item_column(d, item.id): "" for d in definitions.values() for item in d.items
        }
        # Per (stored instrument id, version): the definition and its item columns.
        columns_of: dict[tuple[str, int], tuple[str, dict[str, str]] | None] = {}

        def columns_for(instrument: str, version: int) -> tuple[str, dict[str, str]] | None:
            try:
                key = catalogue().get(instrument, version).key
            except LookupError:
                return None  # an instrument no longer shipped
            definition = definitions.get((key, version))
            if definition is None:
                return None  # not a scored instrument
            return key, {
                item.id: codebook.item_column(definition, item.id) for item in definition.items
            }

        # One filter() call: the case joined is the same in both conditions (a
        # measure belongs to the client's consented case at the centre that gave it).
        rows = (
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
            )
            # By client: consecutive rows share their pseudonyms (``_ids`` remembers the last).
            .order_by("client_id")
        )
        answers_field = Administration._meta.get_field("answers")
        for (
            administration_id,
            client_id,
            case_id,
            opened_at,
            instrument,
            version,
            occasion,
            completed_at,
            total,
            band,
            caseness,
            prorated,
            sealed_answers,
        ) in rows.iterator(CHUNK):
            if not self._kept(case_id):
                continue
            if (instrument, version) not in columns_of:
                columns_of[(instrument, version)] = columns_for(instrument, version)
            found = columns_of[(instrument, version)]
            if found is None:
                continue
            key, item_columns = found
            row = {
                **self._ids(case_id, client_id),
                "instrument": key,
                "version": version,
                "occasion": occasion,
                "weeks_since_opened": _weeks_between(opened_at, completed_at),
                "total": "" if total is None else total,
                "band": band,
                "caseness": _flag(caseness),
                "prorated": _flag(prorated),
                **blank_items,
            }
            # Answers are encrypted at rest (bound to their row): opened here, never stored.
            answers = (
                json.loads(
                    answers_field.open_bytes(Administration, administration_id, sealed_answers)
                )  # type: ignore[attr-defined]
                if sealed_answers
                else {}
            )
            for item_id, value in (answers or {}).items():
                column = item_columns.get(item_id)
                if column is not None and value is not None:
                    row[column] = value
            yield row

    def appointment_rows(self) -> Iterator[dict[str, Any]]:
        rows = (
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
        for (
            case_id,
            client_id,
            opened_at,
            purpose,
            group,
            mode,
            status,
            minutes,
            starts,
        ) in rows.iterator(CHUNK):
            if not self._kept(case_id):
                continue
            yield {
                **self._ids(case_id, client_id),
                "kind": purpose,
                "setting": "group" if group else "individual",
                "mode": mode,
                "attendance": status,
                "attended": _flag(status == "attended"),
                "duration": minutes,
                "weeks_since_opened": _weeks_between(opened_at, starts),
            }

    def referral_rows(self) -> Iterator[dict[str, Any]]:
        rows = (
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
        for (
            case_id,
            client_id,
            opened_at,
            programme,
            reason,
            status,
            source,
            target,
            at,
        ) in rows.iterator(CHUNK):
            if not self._kept(case_id):
                continue
            yield {
                **self._ids(case_id, client_id),
                "programme": programme,
                "reason": reason,
                "status": status,
                "same_region": _flag(source == target),
                "weeks_since_opened": _weeks_between(opened_at, at),
            }

    def protective_action_rows(self) -> Iterator[dict[str, Any]]:
        rows = (
            ProtectiveAction.objects.filter(conversation__cases__in=self.eligible())
            .values_list(
                "conversation__cases__id", "conversation__cases__client_id", "action", "state"
            )
            .order_by()
        )
        for case_id, client_id, action, state in rows.iterator(CHUNK):
            if not self._kept(case_id):
                continue
            taken = (
                ""
                if state == ProtectiveActionState.AGREED
                else _flag(state == ProtectiveActionState.TAKEN)
            )
            yield {
                **self._ids(case_id, client_id),
                "action": action,
                "state": state,
                "taken": taken,
            }

    def contact_channel_rows(self) -> Iterator[dict[str, Any]]:
        rows = (
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
        for case_id, client_id, channel, writer in rows.iterator(CHUNK):
            if not self._kept(case_id):
                continue
            yield {
                **self._ids(case_id, client_id),
                "channel": channel or "mailbox",
                "writer": writer or "unknown",
            }


def export_study(request: ExportRequest) -> dict[str, Any]:
    """Write the study's export into ``request.out_dir`` (which must be new or empty).

    Returns the manifest (also written as ``manifest.json``). Raises
    ``ExportError`` for a request that cannot be met. The caller records the
    audit entry (``research.actions.export_research``).
    """
    return _Export(request).run()


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
