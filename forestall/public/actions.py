"""What a help-seeker can change: start a mailbox, write, delete everything.

Each action runs in one transaction and reports only de-identified counts to
the statistics (never a mailbox id). Activity is kept to the day
(``Mailbox.last_active_on``) because retention needs no finer time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from forestall.audit.actions import record_event
from forestall.directory.models import Centre
from forestall.inbox.models import Conversation, ConversationStatus, Message, MessageAuthor
from forestall.lib import erasure
from forestall.lib.codenames import codename_hash, generate_codename
from forestall.lib.pagecache import public_pages_changed
from forestall.public.models import Mailbox, PageContent
from forestall.stats import actions as stats
from forestall.stats.events import Event
from forestall.stats.models import Source

if TYPE_CHECKING:
    from forestall.accounts.models import User


def start_mailbox(
    language: str, pathway: str, *, urgent: bool = False, through_reach: bool = False
) -> tuple[Mailbox, str]:
    """Create a mailbox under a fresh codename; return it and the codename.

    The codename is returned once, to be shown once; only its hash is stored.
    ``urgent`` comes from a self-check that recommended urgent help;
    ``through_reach`` from a browser that arrived through a reach warning
    (the start, the first message and a case opened are then counted with
    source "reach").
    """
    for _attempt in range(5):
        codename = generate_codename(language)
        try:
            with transaction.atomic():
                mailbox = Mailbox.objects.create(
                    codename_hash=codename_hash(codename),
                    language=language,
                    pathway=pathway,
                    urgent=urgent,
                    through_reach=through_reach,
                    last_active_on=timezone.localdate(),
                )
                stats.record(
                    Event.MAILBOX_STARTED,
                    language=language,
                    pathway=pathway,
                    source=_source(mailbox),
                )
            return mailbox, codename
        except IntegrityError:  # pragma: no cover - a 90-bit collision
            continue
    raise RuntimeError("could not find an unused codename")


def _source(mailbox: Mailbox) -> str:
    return Source.REACH if mailbox.through_reach else Source.LIVE


def mark_mailbox_urgent(mailbox: Mailbox) -> None:
    """An urgent self-check led back to an existing mailbox: put it and its open conversation first.

    New conversations of an urgent mailbox are urgent (``post_seeker_message``);
    an open one becomes urgent here. Only the flag travels, never the answers.
    """
    with transaction.atomic():
        Mailbox.objects.filter(pk=mailbox.pk).update(urgent=True)
        mailbox.urgent = True
        conversation = open_conversation(mailbox)
        if conversation is not None and not conversation.urgent:
            Conversation.objects.filter(pk=conversation.pk).update(urgent=True)


def find_mailbox(codename: str) -> Mailbox | None:
    """The mailbox for ``codename`` (any case or spacing), or None."""
    return Mailbox.objects.filter(codename_hash=codename_hash(codename)).first()


def touch_mailbox(mailbox: Mailbox) -> None:
    """Note today's activity (for retention), writing at most once a day."""
    today = timezone.localdate()
    if mailbox.last_active_on != today:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_active_on=today)
        mailbox.last_active_on = today


def open_conversation(mailbox: Mailbox) -> Conversation | None:
    """The conversation new messages go to: the newest one not closed."""
    return (
        mailbox.conversations.exclude(status=ConversationStatus.CLOSED)
        .order_by("-created_at")
        .first()
    )


def post_seeker_message(mailbox: Mailbox, body: str, centre: Centre | None) -> Message:
    """Add the help-seeker's message, opening a conversation if none is open.

    ``centre`` (None: any centre / the network) only addresses a new
    conversation; an open one keeps its addressee. The conversation then waits
    for a reply (``waiting_since`` is kept while it already waits, so writing
    again does not push someone down the queue). The first message of a
    conversation is a contact in the statistics.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        conversation = open_conversation(locked)
        is_new = conversation is None
        if conversation is None:
            conversation = Conversation.objects.create(
                mailbox=locked,
                centre=centre,
                language=locked.language,
                urgent=locked.urgent,
            )
        message = Message(conversation=conversation, author_kind=MessageAuthor.SEEKER, body=body)
        message.save()
        if (
            conversation.status != ConversationStatus.AWAITING_REPLY
            or not conversation.waiting_since
        ):
            conversation.waiting_since = now
        conversation.status = ConversationStatus.AWAITING_REPLY
        conversation.last_message_at = now
        conversation.save(update_fields=["status", "waiting_since", "last_message_at"])
        touch_mailbox(locked)
        if is_new:
            stats.record(
                Event.CONTACT,
                centre=conversation.centre,
                channel="messaging",
                language=locked.language,
                pathway=locked.pathway,
                source=_source(locked),
            )
    return message


def mark_replies_read(mailbox: Mailbox) -> int:
    """Mark the counsellors' messages shown to the help-seeker as read."""
    return Message.objects.filter(
        conversation__mailbox=mailbox,
        author_kind=MessageAuthor.COUNSELLOR,
        read_at__isnull=True,
    ).update(read_at=timezone.now())


def delete_mailbox(mailbox: Mailbox) -> None:
    """Delete the mailbox with everything tied to its codename, at once.

    Conversations, messages, sessions and the questionnaires a centre sent to
    the mailbox (answered or not) go with it; afterwards the codename leads
    nowhere: its hash is gone with the row. A client record that a centre
    opened with the person's consent stays with that centre (without the link
    to the mailbox) under the case retention period, as the public delete and
    confidentiality pages say. Once committed, the deleted bytes are removed
    from the database files as well (``forestall.lib.erasure``).
    """
    from forestall.instruments.models import Administration

    with transaction.atomic():
        language, pathway = mailbox.language, mailbox.pathway
        Administration.objects.filter(client__mailbox=mailbox, via_mailbox=True).delete()
        mailbox.delete()
        stats.record(Event.MAILBOX_DELETED, language=language, pathway=pathway)
        erasure.scrub_after_delete()


def save_page_content(page: str, language: str, title: str, body: str, *, by: User) -> PageContent:
    """Add a new version of a public page's text (earlier versions stay)."""
    with transaction.atomic():
        latest = (
            PageContent.objects.select_for_update()
            .filter(page=page, language=language)
            .order_by("-version")
            .first()
        )
        version = PageContent.objects.create(
            page=page,
            language=language,
            version=(latest.version + 1) if latest else 1,
            title=title,
            body=body,
            created_by=by,
        )
        record_event(by, "content.update", version)
        # Cached copies of the public pages must show the new text at once.
        transaction.on_commit(public_pages_changed)
    return version
