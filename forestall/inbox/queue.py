"""The counsellors' queue: one page of conversations, read and described for its table.

A queue page is the inbox's busiest staff page: every counsellor keeps it
open through a shift. Its rows are read by prepared queries
(``forestall.lib.prepared``), one per combination of filters, compiled once
per connection: the gate is the inbox's own condition
(``conversation_gate_condition``, which ``Conversation.objects.visible_to``
builds too), with the reader's centres as parameters. Rows arrive as plain
values, not model instances: a page of 50 rows used to build 200 instances
(conversation, centre, claimant, offline contact) for a dozen columns.

``forestall.inbox.access.list_queue`` is the only way in: it writes the
audit entry and returns ``QueueRows``, which a ``Paginator`` pages through.
"""

from __future__ import annotations

import datetime
import functools
import html
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from forestall.directory.models import Language
from forestall.inbox.models import (
    ANY_CENTRE,
    ContactChannel,
    Conversation,
    ConversationStatus,
    Message,
    conversation_gate_condition,
)
from forestall.inbox.targets import (
    Target,
    TargetState,
    queue_target,
    waiting_state,
    working_calendar,
)
from forestall.lib.prepared import PreparedPages, PreparedQuery

PREVIEW_CHARACTERS = 90
# Rows per page of the queue: enough for a shift, few enough to render quickly
# (every row decrypts a preview and works out its reply-time target).
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to (the filter form's cleaned values).

    ``status`` is a ``ConversationStatus`` or ``"all"``; ``addressed_to`` is
    ``"network"``, a centre's id (one of the reader's centres: the form
    offers no other) or ``""``; ``claim`` is ``"unclaimed"``, ``"mine"`` or
    ``""``; ``person`` a normalised person's reference or ``""``.
    """

    status: str = ConversationStatus.AWAITING_REPLY
    language: str = ""
    addressed_to: str = ""
    claim: str = ""
    person: str = ""


class _Shape(NamedTuple):
    """Which conditions a page's query has (its values are parameters)."""

    network: bool
    status: bool
    language: bool
    addressed_to: str  # "", "network" or "centre"
    claim: str  # "", "unclaimed" or "mine"
    person: bool


class QueueRowValues(NamedTuple):
    """The columns of one queue row, as the page's query reads them."""

    pk: uuid.UUID
    reference: str
    language: str
    status: str
    urgent: bool
    flagged_urgent: bool
    waiting_since: datetime.datetime | None
    claimed_until: datetime.datetime | None
    claimed_by_id: uuid.UUID | None
    centre_name: str | None
    centre_name_de: str | None
    centre_slug: str | None
    claimant_username: str | None
    claimant_first_name: str | None
    claimant_last_name: str | None
    channel: str | None


# The columns of ``QueueRowValues``, in its order.
_COLUMNS = (
    "pk",
    "reference",
    "language",
    "status",
    "urgent",
    "flagged_urgent",
    "waiting_since",
    "claimed_until",
    "claimed_by_id",
    "centre__name",
    "centre__name_de",
    "centre__slug",
    "claimed_by__username",
    "claimed_by__first_name",
    "claimed_by__last_name",
    "offline_contact__channel",
)


def _filtered(p: Any, shape: _Shape) -> QuerySet[Conversation]:
    """The queue's conversations under the gate and the filters of ``shape``, in queue order."""
    rows = Conversation.objects.filter(conversation_gate_condition(p.centres, shape.network))
    if shape.status:
        rows = rows.filter(status=p.status)
    if shape.person:
        rows = rows.filter(offline_contact__person_reference=p.person)
    if shape.language:
        rows = rows.filter(language=p.language)
    if shape.addressed_to == "network":
        rows = rows.filter(centre__isnull=True)
    elif shape.addressed_to == "centre":
        rows = rows.filter(centre_id=p.centre)
    if shape.claim == "unclaimed":
        rows = rows.claimable_by(p.reader, p.now).exclude(claimed_by=p.reader)
    elif shape.claim == "mine":
        rows = rows.filter(claimed_by=p.reader, claimed_until__gt=p.now)
    return rows.in_queue_order()


@functools.cache
def _page_query(shape: _Shape) -> PreparedPages[Any]:
    """The prepared query for pages of this shape (made once per shape and process)."""
    params: dict[str, models.Field | list[models.Field]] = {"centres": [models.UUIDField()]}
    if shape.status:
        params["status"] = models.CharField()
    if shape.person:
        params["person"] = models.CharField()
    if shape.language:
        params["language"] = models.CharField()
    if shape.addressed_to == "centre":
        params["centre"] = models.UUIDField()
    if shape.claim:
        params["reader"] = models.UUIDField()
        params["now"] = models.DateTimeField()

    def build(p: Any) -> QuerySet[Any]:
        return _filtered(p, shape).values_list(*_COLUMNS)

    return PreparedPages(build, **params)


class QueueRows:
    """The rows of a reader's queue under some filters, read a page at a time.

    What a ``Paginator`` needs: ``count()`` (one query) and a slice (one
    query for that page's rows). Made by ``access.list_queue`` only.
    """

    def __init__(
        self,
        centres: list[Any],
        network: bool,
        reader: Any,
        filters: QueueFilters,
        now: datetime.datetime,
    ) -> None:
        if filters.claim not in ("", "unclaimed", "mine"):
            raise ValueError(f"no such claim filter: {filters.claim!r}")
        addressed = filters.addressed_to
        self._shape = _Shape(
            network=network,
            status=filters.status != "all",
            language=bool(filters.language),
            addressed_to="" if not addressed else "network" if addressed == "network" else "centre",
            claim=filters.claim,
            person=bool(filters.person),
        )
        values: dict[str, Any] = {"centres": centres}
        if self._shape.status:
            values["status"] = filters.status
        if self._shape.person:
            values["person"] = filters.person
        if self._shape.language:
            values["language"] = filters.language
        if self._shape.addressed_to == "centre":
            values["centre"] = uuid.UUID(str(addressed))
        if self._shape.claim:
            values["reader"] = reader
            values["now"] = now
        self._values = values
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = _page_query(self._shape).count(**self._values)
        return self._count

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> QueueRowValues: ...

    @overload
    def __getitem__(self, index: slice) -> list[QueueRowValues]: ...

    def __getitem__(self, index: int | slice) -> QueueRowValues | list[QueueRowValues]:
        """The rows of a page (``rows[50:100]``: one query), or one row."""
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        if index.step not in (None, 1):
            raise TypeError("a queue is read a page at a time: rows[start:stop]")
        start = index.start or 0
        stop = self.count() if index.stop is None else index.stop
        if start < 0 or stop < 0:
            raise TypeError("a queue is read from its start: no negative positions")
        found = _page_query(self._shape).all(
            limit=max(stop - start, 0), offset=start, **self._values
        )
        return [QueueRowValues(*row) for row in found]

    def __iter__(self) -> Iterator[QueueRowValues]:
        return iter(self[:])


# --- What the rows show ---------------------------------------------------------


def _newest_from_the_person(p: Any) -> QuerySet[Any]:
    newest = (
        Message.objects.filter(conversation=OuterRef("conversation"), author_kind="seeker")
        .order_by("-created_at")
        .values("pk")[:1]
    )
    return Message.objects.filter(
        conversation__in=p.conversations, author_kind="seeker", pk=Subquery(newest)
    ).values_list("pk", "conversation_id", "body")


# Compiled once per number of rows. The body arrives as its envelope and is
# opened here (no model instance per message).
_NEWEST_FROM_THE_PERSON: PreparedQuery[Any] = PreparedQuery(
    _newest_from_the_person, conversations=[models.UUIDField()]
)


def previews(conversation_ids: list[uuid.UUID]) -> dict[Any, str]:
    """The start of the newest message from the person, per conversation (decrypted).

    Only for rows that came through the access gate; one query for all rows.
    Nothing of it is kept beyond the page being built.
    """
    found = _NEWEST_FROM_THE_PERSON.all(conversations=conversation_ids)
    if not found:
        return {}
    body = Message._meta.get_field("body")
    opener = body.row_opener(Message)  # type: ignore[attr-defined]
    shown = {}
    for pk, conversation_id, envelope in found:
        text = " ".join(opener(pk.bytes, envelope).decode().split()) if envelope else ""
        if len(text) > PREVIEW_CHARACTERS:
            text = text[: PREVIEW_CHARACTERS - 1].rstrip() + "…"
        shown[conversation_id] = text
    return shown


# Under four weeks, ``timesince`` depends only on the whole minutes between
# its two moments (no calendar months come into it).
_UNDER_A_MONTH = datetime.timedelta(days=28)
_ANY_MOMENT = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def span_in_words(
    start: datetime.datetime, end: datetime.datetime, language: str | None = None
) -> str:
    """``timesince(start, end)``: what the queue shows for a wait and the time left.

    Django's ``timesince`` costs about as much as the rest of a row; 50 rows
    ask it twice each. Spans under four weeks are remembered per whole
    minute and language (the same words ``timesince`` gives); longer ones
    are worked out by ``timesince`` itself. ``language`` is the active one
    (looked up when not given).
    """
    span = end - start
    if datetime.timedelta(0) <= span < _UNDER_A_MONTH:
        return _minutes_in_words(int(span.total_seconds()) // 60, language or get_language())
    return timesince(start, end)


@functools.lru_cache(maxsize=4096)
def _minutes_in_words(minutes: int, language: str | None) -> str:
    return timesince(_ANY_MOMENT - datetime.timedelta(minutes=minutes), _ANY_MOMENT)


@dataclass(slots=True)
class QueueRow:
    """What one row of the queue shows, in words (the table prints plain values)."""

    pk: uuid.UUID  # the conversation's
    reference: str
    language: str
    url: str
    preview: str
    target_state: TargetState | None
    priority_label: str
    is_urgent: bool
    waited: str
    target_text: str
    channel_label: str
    language_name: str
    addressed_to: str
    status_label: str
    claimant: str


def describe_rows(
    rows: list[QueueRowValues], reader_id: Any, now: datetime.datetime
) -> list[QueueRow]:
    """What each queue row's cells show, in words, with labels looked up once per page."""
    shown = previews([row.pk for row in rows])
    statuses = {value: str(label) for value, label in ConversationStatus.choices}
    languages = {code: str(name) for code, name in Language.choices}
    channels = {value: str(label) for value, label in ContactChannel.choices}
    words = {
        "urgent": _("Urgent (the person asked)"),
        "flagged": _("Urgent (flagged)"),
        "normal": _("Normal"),
        "network": str(ANY_CENTRE),
        "you": _("You"),
        "overdue": _("Overdue: target %(target)s"),
        "target": _("target %(target)s (%(left)s left)"),
    }
    targets: dict[tuple[str | None, bool], Target] = {}
    target_labels: dict[Target, str] = {}
    queue_url = reverse("inbox:queue")  # a conversation's page is <queue>/<uuid>/
    awaiting = ConversationStatus.AWAITING_REPLY
    language = get_language()
    german = (language or "").startswith("de")
    calendar = working_calendar()
    described = []
    for row in rows:
        priority = row.urgent or row.flagged_urgent
        state = None
        waited = target_text = ""
        if row.status == awaiting and row.waiting_since:
            key = (row.centre_slug, priority)
            if key not in targets:
                targets[key] = queue_target(row.centre_slug, priority)
            target = targets[key]
            state = waiting_state(row.waiting_since, target, now, calendar)
            if target not in target_labels:
                target_labels[target] = target.label()
            label = target_labels[target]
            if state.breached:
                target_text = words["overdue"] % {"target": label}
            else:
                target_text = words["target"] % {
                    "target": label,
                    "left": span_in_words(now, state.deadline, language),
                }
            waited = span_in_words(row.waiting_since, now, language)
        claimed = row.claimed_by_id is not None and row.claimed_until and row.claimed_until > now
        if not claimed:
            claimant = ""
        elif row.claimed_by_id == reader_id:
            claimant = words["you"]
        else:
            full_name = f"{row.claimant_first_name or ''} {row.claimant_last_name or ''}".strip()
            claimant = full_name or row.claimant_username or ""
        described.append(
            QueueRow(
                pk=row.pk,
                reference=row.reference,
                language=row.language,
                url=f"{queue_url}{row.pk}/",
                preview=shown.get(row.pk, ""),
                target_state=state,
                priority_label=(
                    words["urgent"]
                    if row.urgent
                    else words["flagged"]
                    if row.flagged_urgent
                    else words["normal"]
                ),
                is_urgent=priority,
                waited=waited,
                target_text=target_text,
                channel_label=channels.get(row.channel, "") if row.channel else "",
                language_name=languages.get(row.language, row.language),
                addressed_to=(
                    words["network"]
                    if row.centre_name is None
                    # The centre's German name on German pages, as everywhere.
                    else row.centre_name_de
                    if german and row.centre_name_de
                    else row.centre_name
                ),
                status_label=statuses.get(row.status, row.status),
                claimant=claimant,
            )
        )
    return described


# One row of the queue's table. Written here rather than in the template: the
# template's loop (a dozen tags and conditions per row) was a third of the
# page's time with 50 rows. The reference opens the conversation too: at phone
# width the table scrolls sideways and the last column ("Open") is off the
# screen, the first one is not.
_ROW_HTML = (
    '\n<tr>\n  <td><a href="{url}">{reference}</a></td>\n'
    "  <td>{priority}</td>\n  <td{breached}>{waiting}</td>\n"
    '  <td class="preview">{preview}</td>\n  <td>{language}</td>\n  <td>{addressed_to}</td>\n'
    "  <td>{status}</td>\n  <td>{claimant}</td>\n"
    '  <td><a href="{url}">{open_word}<span class="visually-hidden"> {conversation_word} '
    "{number}</span></a></td>\n</tr>\n"
)


def _text(value: object) -> str:
    """``value`` escaped for HTML: what ``django.utils.html.escape`` returns, as a plain str."""
    return html.escape(str(value))


def rows_html(rows: list[QueueRow], first_number: int) -> SafeString:
    """The queue's table rows (``queue.html`` prints them as they are).

    Every value is escaped with ``_text`` (``html.escape``, what
    ``format_html`` applies through ``conditional_escape`` to anything not
    already safe); only the fixed markup around them is not. ``format_html``
    itself, twice per row, cost a tenth of the page.
    """
    open_word, conversation_word = _text(_("Open")), _text(_("conversation"))
    parts = []
    for number, row in enumerate(rows, start=first_number):
        breached = row.target_state is not None and row.target_state.breached
        priority = _text(row.priority_label)
        if row.is_urgent:
            priority = f'<strong class="error">{priority}</strong>'
        if not row.waited:
            waiting = "—"
        elif not row.target_text:
            waiting = _text(row.waited)
        elif breached:
            waiting = (
                f'{_text(row.waited)}<br><strong class="error">{_text(row.target_text)}</strong>'
            )
        else:
            waiting = f'{_text(row.waited)}<br><span class="muted">{_text(row.target_text)}</span>'
        parts.append(
            _ROW_HTML.format(
                reference=_text(row.reference),
                priority=priority,
                breached=' class="breached"' if breached else "",
                waiting=waiting,
                preview=_text(row.channel_label or row.preview or "—"),
                language=_text(row.language_name),
                addressed_to=_text(row.addressed_to),
                status=_text(row.status_label),
                claimant=_text(row.claimant or "—"),
                url=_text(row.url),
                open_word=open_word,
                conversation_word=conversation_word,
                number=number,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
