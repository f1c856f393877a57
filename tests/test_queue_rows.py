"""The queue's rows (forestall.inbox.queue) are what the gate and the ORM give, for every filter.

The queue reads its pages with prepared queries, one per combination of
filters, built on the inbox gate's own condition. Each combination is
compared here with the queryset the queue used to build through the ORM
(``Conversation.objects.visible_to`` filtered the same way), for a
counsellor at one centre, a network counsellor and someone who answers no
conversations: the same rows in the same order, the same columns, the same
count, and pages that are slices of the whole.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db.models import Q
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.inbox import actions
from forestall.inbox.access import list_queue
from forestall.inbox.models import Conversation, ConversationStatus, Message, MessageAuthor
from forestall.inbox.queue import (
    PREVIEW_CHARACTERS,
    QueueFilters,
    QueueRowValues,
    describe_rows,
    previews,
)
from forestall.lib.prepared import PreparedPages
from tests.factories import make_user
from tests.factories_inbox import make_conversation, make_offline_contact


def _contact(user, centre, reference: str = "") -> Conversation:
    return make_offline_contact(user, centre, reference=reference, language="de").conversation


@pytest.fixture
def busy_inbox(centre_a, centre_b, counsellor_a, network_counsellor):
    """Conversations of every kind the queue's filters tell apart, at two centres and network."""
    now = timezone.now()
    other = make_user(Role.COUNSELLOR, centre_a, username="colleague_a")
    made = [
        make_conversation(centre_a, waited=datetime.timedelta(hours=3)),
        make_conversation(centre_a, language="de", waited=datetime.timedelta(days=9)),
        make_conversation(centre_a, urgent=True, waited=datetime.timedelta(minutes=2)),
        make_conversation(centre_b, waited=datetime.timedelta(hours=1)),
        make_conversation(None, waited=datetime.timedelta(hours=7)),
        make_conversation(None, language="de", urgent=True),
    ]
    claimed_by_me, claimed_by_other, lapsed, answered, closed = (
        make_conversation(centre_a, waited=datetime.timedelta(minutes=m)) for m in (4, 6, 8, 9, 10)
    )
    Conversation.objects.filter(pk=claimed_by_me.pk).update(
        claimed_by=counsellor_a, claimed_until=now + datetime.timedelta(minutes=10)
    )
    Conversation.objects.filter(pk=claimed_by_other.pk).update(
        claimed_by=other, claimed_until=now + datetime.timedelta(minutes=10), flagged_urgent=True
    )
    Conversation.objects.filter(pk=lapsed.pk).update(
        claimed_by=other, claimed_until=now - datetime.timedelta(minutes=1)
    )
    Conversation.objects.filter(pk=answered.pk).update(status=ConversationStatus.ANSWERED)
    Conversation.objects.filter(pk=closed.pk).update(status=ConversationStatus.CLOSED)
    first = _contact(counsellor_a, centre_a)
    reference = first.offline_contact.person_reference
    again = _contact(counsellor_a, centre_a, reference)
    network_contact = _contact(network_counsellor, None)
    made += [claimed_by_me, claimed_by_other, lapsed, answered, closed, first, again]
    made.append(network_contact)
    return {"now": now, "reference": reference, "centres": (centre_a, centre_b)}


def _from_the_orm(user, filters: QueueFilters, now) -> list[Conversation]:
    """The queue's conversations as the queue built them through the ORM."""
    rows = Conversation.objects.visible_to(user).select_related(
        "centre", "claimed_by", "offline_contact"
    )
    if filters.status != "all":
        rows = rows.filter(status=filters.status)
    if filters.person:
        rows = rows.filter(offline_contact__person_reference=filters.person)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if filters.addressed_to == "network":
        rows = rows.filter(centre__isnull=True)
    elif filters.addressed_to:
        rows = rows.filter(centre_id=filters.addressed_to)
    if filters.claim == "unclaimed":
        rows = rows.claimable_by(user, now).exclude(claimed_by=user)
    elif filters.claim == "mine":
        rows = rows.filter(claimed_by=user, claimed_until__gt=now)
    return list(rows.in_queue_order())


def _values(conversation: Conversation) -> QueueRowValues:
    claimant = conversation.claimed_by
    centre = conversation.centre
    contact = getattr(conversation, "offline_contact", None)
    return QueueRowValues(
        pk=conversation.pk,
        reference=conversation.reference,
        language=conversation.language,
        status=conversation.status,
        urgent=conversation.urgent,
        flagged_urgent=conversation.flagged_urgent,
        waiting_since=conversation.waiting_since,
        claimed_until=conversation.claimed_until,
        claimed_by_id=conversation.claimed_by_id,
        centre_name=centre.name if centre else None,
        centre_name_de=centre.name_de if centre else None,
        centre_slug=centre.slug if centre else None,
        claimant_username=claimant.username if claimant else None,
        claimant_first_name=claimant.first_name if claimant else None,
        claimant_last_name=claimant.last_name if claimant else None,
        channel=contact.channel if contact else None,
    )


def _every_filter(busy_inbox):
    centre_a, centre_b = busy_inbox["centres"]
    for status, language, addressed_to, claim, person in itertools.product(
        ["awaiting_reply", "answered", "closed", "all"],
        ["", "de"],
        ["", "network", str(centre_a.pk), str(centre_b.pk)],
        ["", "unclaimed", "mine"],
        ["", busy_inbox["reference"]],
    ):
        yield QueueFilters(status, language, addressed_to, claim, person)


@pytest.mark.django_db
def test_every_filter_reads_the_rows_the_orm_read(
    busy_inbox, counsellor_a, network_counsellor, clinician_a
):
    now = busy_inbox["now"]
    seen_any = set()
    for reader in (counsellor_a, network_counsellor, clinician_a):
        for filters in _every_filter(busy_inbox):
            expected = [_values(row) for row in _from_the_orm(reader, filters, now)]
            rows = list_queue(reader, filters, now)
            assert rows.count() == len(expected), (reader, filters)
            assert rows[0:100] == expected, (reader, filters)
            seen_any.update(row.pk for row in expected)
    # The comparison is not empty: every conversation was in some queue,
    # except centre B's (nobody here answers there).
    centre_b = busy_inbox["centres"][1]
    assert seen_any == set(
        Conversation.objects.exclude(centre=centre_b).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_pages_are_slices_of_the_whole_queue(busy_inbox, counsellor_a):
    rows = list_queue(counsellor_a, QueueFilters(status="all"), busy_inbox["now"])
    whole = rows[0:100]
    assert len(whole) == rows.count() == len(rows) == 10
    assert rows[0:2] + rows[2:4] + rows[4:100] == whole
    assert rows[len(whole) : len(whole) + 10] == []
    assert rows[1] == whole[1]
    assert list(rows) == whole
    with pytest.raises(IndexError):
        rows[len(whole)]
    with pytest.raises(TypeError):
        rows[0:10:2]


@pytest.mark.django_db
def test_someone_who_answers_no_conversations_gets_an_empty_queue(busy_inbox, clinician_a):
    rows = list_queue(clinician_a, QueueFilters(status="all"), busy_inbox["now"])
    assert rows.count() == 0
    assert rows[0:50] == []


@pytest.mark.django_db
def test_previews_are_the_start_of_the_newest_message_from_the_person(centre_a, counsellor_a):
    conversation = make_conversation(centre_a, body="An older message")
    Message.objects.create(
        conversation=conversation,
        author_kind=MessageAuthor.SEEKER,
        body="The newest one,\n\nover   several lines " + "and long " * 20,
    )
    actions.claim_conversation(counsellor_a, conversation)
    actions.send_reply(counsellor_a, conversation, "A reply is not the person's")
    quiet = _contact(counsellor_a, centre_a)  # no messages at all
    shown = previews([conversation.pk, quiet.pk])
    assert list(shown) == [conversation.pk]
    text = shown[conversation.pk]
    assert text.startswith("The newest one, over several lines and long")
    assert len(text) <= PREVIEW_CHARACTERS and text.endswith("long…")
    assert previews([]) == {}


@pytest.mark.django_db
def test_rows_are_described_in_words(busy_inbox, counsellor_a):
    now = busy_inbox["now"]
    rows = list_queue(counsellor_a, QueueFilters(status="all"), now)[0:100]
    described = {row.pk: row for row in describe_rows(rows, counsellor_a.pk, now)}
    by_pk = {row.pk: row for row in rows}
    mine = next(row for row in rows if row.claimed_by_id == counsellor_a.pk)
    theirs = next(
        row
        for row in rows
        if row.claimed_by_id not in (None, counsellor_a.pk) and row.claimed_until > now
    )
    lapsed = next(row for row in rows if row.claimed_until is not None and row.claimed_until < now)
    assert described[mine.pk].claimant == "You"
    assert described[theirs.pk].claimant == "colleague_a"
    assert described[lapsed.pk].claimant == ""
    phone = next(row for row in rows if row.channel)
    assert described[phone.pk].channel_label == "Phone"
    assert described[phone.pk].waited == ""  # answered: nobody waits
    late = next(row for row in rows if row.language == "de" and row.status == "awaiting_reply")
    assert described[late.pk].target_text.startswith("Overdue: target 3")
    assert described[late.pk].target_state.breached
    for pk, row in described.items():
        assert row.addressed_to == (by_pk[pk].centre_name or "Any centre / the network")


def test_a_paged_query_takes_its_page_and_nothing_else(db, centre_a):
    from forestall.directory.models import Centre

    pages = PreparedPages(lambda p: Centre.objects.filter(region_id=p.region).order_by("name"))
    with pytest.raises(TypeError):
        pages.all(region=centre_a.region_id)  # no limit
    with pytest.raises(ValueError):
        pages.all(limit=-1, region=centre_a.region_id)
    with pytest.raises(ValueError):
        PreparedPages(lambda p: Centre.objects.all(), limit=Centre._meta.pk)
    sliced = PreparedPages(lambda p: Centre.objects.filter(pk=p.centre)[:1], centre=Centre._meta.pk)
    with pytest.raises(ValueError):
        sliced.all(limit=1, centre=centre_a.pk)


@pytest.mark.django_db
def test_a_paged_query_pages_and_counts_as_the_orm_does(north):
    from django.db import models

    from forestall.directory.models import Centre
    from tests.factories import make_centre

    for index in range(7):
        make_centre(f"Centre {index}", north)
    pages = PreparedPages(
        lambda p: (
            Centre.objects.filter(region_id=p.region).filter(~Q(name=p.skip)).order_by("-name")
        ),
        region=models.UUIDField(),
        skip=models.CharField(),
    )
    expected = list(Centre.objects.filter(region=north).exclude(name="Centre 3").order_by("-name"))
    values = {"region": north.pk, "skip": "Centre 3"}
    assert pages.count(**values) == len(expected) == 6
    found = [pages.all(limit=4, offset=start, **values) for start in (0, 4, 8)]
    assert [[c.pk for c in page] for page in found] == [
        [c.pk for c in expected[0:4]],
        [c.pk for c in expected[4:8]],
        [],
    ]
    assert pages.all(limit=0, **values) == []
