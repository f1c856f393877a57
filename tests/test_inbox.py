"""The counsellors' inbox: the queue, replies, notes, flags and reply templates."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.inbox import actions
from forestall.inbox.models import (
    ConversationStatus,
    InternalNote,
    Message,
    MessageAuthor,
    ReplyTemplate,
)
from tests.factories import make_user
from tests.factories_inbox import make_conversation


@pytest.fixture
def conversation(centre_a):
    return make_conversation(centre_a, body="I keep thinking about it and I am scared.")


def _raw_column(model, field: str, pk) -> bytes:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        query = f"SELECT {field} FROM {table} WHERE id = %s"  # noqa: S608 - our own model names
        cursor.execute(query, [pk.hex if connection.vendor == "sqlite" else pk])
        return bytes(cursor.fetchone()[0])


# --- the queue -------------------------------------------------------------


def test_the_queue_lists_urgent_first_then_the_longest_waiting(counsellor_a, centre_a, sign_in):
    recent = make_conversation(centre_a, waited=datetime.timedelta(minutes=3))
    oldest = make_conversation(centre_a, waited=datetime.timedelta(hours=5))
    urgent = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(minutes=1))
    flagged = make_conversation(centre_a, waited=datetime.timedelta(minutes=2))
    actions.flag_conversation(counsellor_a, flagged, urgent=True)

    response = sign_in(counsellor_a).get(reverse("inbox:queue"))
    assert response.status_code == 200
    order = [row.pk for row in response.context["rows"]]
    assert order == [flagged.pk, urgent.pk, oldest.pk, recent.pk]
    page = response.content.decode()
    assert "Urgent (the person asked)" in page
    assert "Urgent (flagged)" in page
    assert "5\xa0hours" in page


def test_the_queue_leaves_out_answered_conversations_unless_asked(
    counsellor_a, conversation, sign_in
):
    actions.claim_conversation(counsellor_a, conversation)
    actions.send_reply(counsellor_a, conversation, "Thank you for writing.")
    client = sign_in(counsellor_a)
    assert client.get(reverse("inbox:queue")).context["rows"] == []
    answered = client.get(reverse("inbox:queue"), {"status": "answered"}).context["rows"]
    assert [row.pk for row in answered] == [conversation.pk]


def test_the_queue_filters_by_language_centre_and_claim(counsellor_a, centre_a, centre_b, sign_in):
    from tests.factories import add_role

    add_role(counsellor_a, Role.COUNSELLOR, centre_b)
    german = make_conversation(centre_a, language="de")
    english_b = make_conversation(centre_b, language="en")
    client = sign_in(counsellor_a)
    rows = client.get(reverse("inbox:queue"), {"language": "de"}).context["rows"]
    assert [row.pk for row in rows] == [german.pk]
    rows = client.get(reverse("inbox:queue"), {"addressed_to": str(centre_b.pk)}).context["rows"]
    assert [row.pk for row in rows] == [english_b.pk]
    actions.claim_conversation(counsellor_a, german)
    rows = client.get(reverse("inbox:queue"), {"claim": "mine"}).context["rows"]
    assert [row.pk for row in rows] == [german.pk]
    rows = client.get(reverse("inbox:queue"), {"claim": "unclaimed"}).context["rows"]
    assert [row.pk for row in rows] == [english_b.pk]


def test_the_queue_shows_who_holds_a_claim(counsellor_a, centre_a, conversation, sign_in):
    colleague = make_user(Role.COUNSELLOR, centre_a, username="colleague_with_claim")
    actions.claim_conversation(colleague, conversation)
    page = sign_in(counsellor_a).get(reverse("inbox:queue")).content.decode()
    assert "colleague_with_claim" in page


def test_a_filter_it_does_not_understand_is_a_calm_400(counsellor_a, conversation, sign_in):
    response = sign_in(counsellor_a).get(reverse("inbox:queue"), {"language": "xx"})
    assert response.status_code == 400
    assert "not understood" in response.content.decode()


def test_the_queue_takes_the_same_number_of_queries_for_many_conversations(
    counsellor_a, centre_a, sign_in
):
    client = sign_in(counsellor_a)
    make_conversation(centre_a)
    client.get(reverse("inbox:queue"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox:queue"))
    for _ in range(15):
        conversation = make_conversation(centre_a)
        actions.claim_conversation(make_user(Role.COUNSELLOR, centre_a), conversation)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("inbox:queue"))
    assert len(many) == len(few)


def test_the_queue_page_is_in_german_for_german_staff(counsellor_a, conversation, sign_in):
    client = sign_in(counsellor_a)
    page = client.get(reverse("inbox:queue"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Nächstes Gespräch übernehmen" in page
    page = client.get(
        reverse("inbox:conversation", args=[conversation.pk]), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "Kontakt\u00adzusammenfassung" in page
    assert "Sperrsoftware installieren" in page


def test_the_queue_shows_fifty_conversations_a_page_and_counts_them_all(
    counsellor_a, centre_a, sign_in
):
    waiting = [
        make_conversation(centre_a, waited=datetime.timedelta(minutes=120 - number))
        for number in range(53)
    ]
    client = sign_in(counsellor_a)
    first = client.get(reverse("inbox:queue"))
    assert [row.pk for row in first.context["rows"]] == [c.pk for c in waiting[:50]]
    page = first.content.decode()
    assert "53 conversations (1\u201350 shown)" in page
    assert "Page 1 of 2" in page
    assert 'rel="next"' in page and "page=2" in page

    second = client.get(reverse("inbox:queue"), {"page": "2"})
    assert [row.pk for row in second.context["rows"]] == [c.pk for c in waiting[50:]]
    assert "53 conversations (51\u201353 shown)" in second.content.decode()


def test_the_pager_keeps_the_filters(counsellor_a, centre_a, sign_in):
    for _ in range(51):
        make_conversation(centre_a, language="de")
    make_conversation(centre_a, language="en")
    response = sign_in(counsellor_a).get(reverse("inbox:queue"), {"language": "de"})
    assert "51 conversations (1\u201350 shown)" in response.content.decode()
    assert "?language=de&amp;page=2" in response.content.decode()
    second = sign_in(counsellor_a).get(reverse("inbox:queue"), {"language": "de", "page": "2"})
    assert [row.language for row in second.context["rows"]] == ["de"]


@pytest.mark.parametrize("page_number", ["0", "-1", "abc", "999", "1e3"])
def test_a_page_number_out_of_range_shows_a_page_not_an_error(
    counsellor_a, conversation, sign_in, page_number
):
    response = sign_in(counsellor_a).get(reverse("inbox:queue"), {"page": page_number})
    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == [conversation.pk]


def test_the_pager_is_in_german_for_german_staff(counsellor_a, centre_a, sign_in):
    for _ in range(51):
        make_conversation(centre_a)
    page = (
        sign_in(counsellor_a)
        .get(reverse("inbox:queue"), HTTP_ACCEPT_LANGUAGE="de")
        .content.decode()
    )
    assert "51 Gespräche (1\u201350 angezeigt)" in page
    assert "Seite 1 von 2" in page
    assert "Nächste Seite" in page


# --- replies ---------------------------------------------------------------


def test_a_counsellor_replies_to_a_claimed_conversation(counsellor_a, conversation, sign_in):
    client = sign_in(counsellor_a)
    client.post(reverse("inbox:claim", args=[conversation.pk]))
    response = client.post(
        reverse("inbox:reply", args=[conversation.pk]), {"body": "You did the right thing."}
    )
    assert response.status_code == 302
    reply = conversation.messages.get(author_kind=MessageAuthor.COUNSELLOR)
    assert reply.body == "You did the right thing."
    assert reply.author == counsellor_a
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.ANSWERED
    assert conversation.first_reply_at is not None
    assert conversation.waiting_since is None
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "You did the right thing." in page


def test_the_first_reply_time_is_kept_from_the_first_reply(counsellor_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    actions.send_reply(counsellor_a, conversation, "First")
    first = conversation.first_reply_at
    actions.send_reply(counsellor_a, conversation, "Second")
    conversation.refresh_from_db()
    assert conversation.first_reply_at == first
    assert conversation.messages.filter(author_kind=MessageAuthor.COUNSELLOR).count() == 2


def test_a_reply_renews_the_claim(counsellor_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    conversation.claimed_until = timezone.now() + datetime.timedelta(minutes=1)
    conversation.save(update_fields=["claimed_until"])
    actions.send_reply(counsellor_a, conversation, "Still here")
    conversation.refresh_from_db()
    assert conversation.claimed_until > timezone.now() + datetime.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write a reply before sending."), ("x" * 10_001, "at most 10000 characters")],
)
def test_an_empty_or_overlong_reply_is_refused_and_kept(
    body, message, counsellor_a, conversation, sign_in
):
    client = sign_in(counsellor_a)
    client.post(reverse("inbox:claim", args=[conversation.pk]))
    response = client.post(reverse("inbox:reply", args=[conversation.pk]), {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert body[:100] in page
    assert conversation.messages.count() == 1


def test_reply_bodies_are_encrypted_in_the_database(counsellor_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    reply = actions.send_reply(counsellor_a, conversation, "a very distinctive reply")
    stored = _raw_column(Message, "body", reply.pk)
    assert b"distinctive" not in stored
    assert stored.startswith(b"fe2")


# --- notes and flags ---------------------------------------------------------


def test_internal_notes_are_encrypted_and_never_reach_the_mailbox(
    counsellor_a, conversation, sign_in
):
    client = sign_in(counsellor_a)
    response = client.post(
        reverse("inbox:add_note", args=[conversation.pk]),
        {"note-body": "note: seems very isolated"},
    )
    assert response.status_code == 302
    note = InternalNote.objects.get(conversation=conversation)
    assert note.body == "note: seems very isolated"
    stored = _raw_column(InternalNote, "body", note.pk)
    assert b"isolated" not in stored and stored.startswith(b"fe2")
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "note: seems very isolated" in page
    # The help-seeker's side only ever reads Message rows.
    assert not conversation.messages.filter(author_kind=MessageAuthor.COUNSELLOR).exists()


def test_notes_do_not_need_a_claim_but_do_need_text(counsellor_a, conversation, sign_in):
    client = sign_in(counsellor_a)
    response = client.post(reverse("inbox:add_note", args=[conversation.pk]), {"note-body": ""})
    assert response.status_code == 400
    assert "Write the note before saving it." in response.content.decode()


def test_a_counsellor_flags_and_unflags_a_conversation(counsellor_a, conversation, sign_in):
    client = sign_in(counsellor_a)
    client.post(reverse("inbox:flag", args=[conversation.pk]), {"urgent": "on"})
    conversation.refresh_from_db()
    assert conversation.flagged_urgent
    client.post(reverse("inbox:flag", args=[conversation.pk]), {})
    conversation.refresh_from_db()
    assert not conversation.flagged_urgent


# --- reply templates ---------------------------------------------------------


@pytest.fixture
def welcome_template(db):
    return ReplyTemplate.objects.create(
        language="en", title="Welcome", body="Thank you for writing to us. (template)"
    )


def test_network_counsellors_and_managers_manage_templates(
    network_counsellor, manager_a, counsellor_a, welcome_template, sign_in
):
    for manager in (network_counsellor, manager_a):
        client = sign_in(manager)
        response = client.post(
            reverse("inbox:template_new"),
            {"language": "de", "title": f"Willkommen {manager.username}", "body": "Danke."},
        )
        assert response.status_code == 302
    assert ReplyTemplate.objects.filter(language="de").count() == 2
    client = sign_in(counsellor_a)
    assert client.get(reverse("inbox:template_new")).status_code == 404
    edit = reverse("inbox:template_edit", args=[welcome_template.pk])
    assert client.post(edit, {"language": "en", "title": "x", "body": "y"}).status_code == 404
    assert client.get(reverse("inbox:templates")).status_code == 200


def test_a_template_form_with_a_duplicate_title_is_a_400(
    network_counsellor, welcome_template, sign_in
):
    response = sign_in(network_counsellor).post(
        reverse("inbox:template_new"), {"language": "en", "title": "Welcome", "body": "Again"}
    )
    assert response.status_code == 400
    assert "Again" in response.content.decode()


def test_an_analyst_sees_no_templates(analyst, welcome_template, sign_in):
    page = sign_in(analyst).get(reverse("inbox:templates")).content.decode()
    assert "Welcome" not in page


def test_the_demo_seeds_templates_in_english_and_german_idempotently(db):
    from forestall.demo import DemoNetwork
    from forestall.inbox import demo

    demo.seed(DemoNetwork())
    demo.seed(DemoNetwork())
    languages = set(ReplyTemplate.objects.values_list("language", flat=True))
    assert {"en", "de"} <= languages
    assert ReplyTemplate.objects.count() == len(demo.TEMPLATES)


# --- referral and safeguarding concern ---------------------------------------


def test_a_referral_needs_consent_and_a_note(counsellor_a, conversation, centre_a, sign_in):
    from forestall.cases.models import Case

    client = sign_in(counsellor_a)
    url = reverse("inbox:refer", args=[conversation.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"centre": str(centre_a.pk), "consent_note": "agreed in reply"})
    assert response.status_code == 400
    assert "A referral needs the person&#x27;s consent." in response.content.decode()
    assert "agreed in reply" in response.content.decode()
    response = client.post(url, {"centre": str(centre_a.pk), "consent": "on"})
    assert response.status_code == 400
    assert "Record how the person gave consent." in response.content.decode()
    assert not Case.objects.exists()


def test_a_referral_with_consent_opens_an_enquiry_at_the_centre(
    counsellor_a, conversation, centre_b, sign_in
):
    from forestall.cases.models import Case
    from forestall.stats.models import DailyCount

    client = sign_in(counsellor_a)
    response = client.post(
        reverse("inbox:refer", args=[conversation.pk]),
        {"centre": str(centre_b.pk), "consent": "on", "consent_note": "agreed in my 2nd reply"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.centre == centre_b
    assert case.conversation == conversation
    assert DailyCount.objects.filter(event="conversation_referred", centre=centre_b).exists()
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert case.client.reference in page


def test_a_counsellor_raises_a_safeguarding_concern(counsellor_a, conversation, sign_in):
    from forestall.safeguarding.models import Concern

    client = sign_in(counsellor_a)
    url = reverse("inbox:concern", args=[conversation.pk])
    response = client.post(url, {"level": "immediate_risk", "description": ""})
    assert response.status_code == 400
    assert "Describe the concern." in response.content.decode()
    response = client.post(
        url, {"level": "immediate_risk", "description": "names a child he babysits"}
    )
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.conversation == conversation
    assert concern.centre == conversation.centre
    assert concern.level == "immediate_risk"


# --- statistics and audit ------------------------------------------------------


def test_the_first_reply_is_counted_with_its_waiting_time(counsellor_a, conversation):
    from forestall.stats.models import DailyCount

    actions.claim_conversation(counsellor_a, conversation)
    actions.send_reply(counsellor_a, conversation, "One")
    actions.send_reply(counsellor_a, conversation, "Two")
    counts = DailyCount.objects.filter(event="first_reply_sent")
    assert sum(row.count for row in counts) == 1
    row = counts.get()
    assert row.centre == conversation.centre
    assert row.duration_bucket == "<1h"
    assert row.language == "en"


def test_every_read_and_write_is_audited(counsellor_a, conversation, sign_in):
    from forestall.audit.models import AuditEntry

    client = sign_in(counsellor_a)
    client.get(reverse("inbox:queue"))
    client.get(reverse("inbox:conversation", args=[conversation.pk]))
    client.post(reverse("inbox:claim", args=[conversation.pk]))
    client.post(reverse("inbox:reply", args=[conversation.pk]), {"body": "Hello"})
    client.post(reverse("inbox:add_note", args=[conversation.pk]), {"note-body": "A note"})
    client.post(reverse("inbox:release", args=[conversation.pk]))
    entries = AuditEntry.objects.filter(actor=counsellor_a)
    actions_seen = set(entries.values_list("action", flat=True))
    assert {
        "inbox.queue.read",
        "conversation.read",
        "conversation.claim",
        "conversation.reply",
        "conversation.note",
        "conversation.release",
    } <= actions_seen
    reads = entries.filter(action="conversation.read").first()
    assert reads.target_id == conversation.pk
    assert reads.centre_uuid == conversation.centre_id
