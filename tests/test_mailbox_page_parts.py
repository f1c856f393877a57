"""The signed-in mailbox page's parts that were rewritten for speed are what they replaced.

Issue 18's signed-in mailbox: the conversations are written by one tag
instead of two nested template loops, the page's three reads are statements
written once per database connection, the message form is built only when
the page needs it, and the reply-time notice is kept like the reply times it
comes from. Each test here holds one of those to the markup or the rows of
what it replaced; the page's behaviour is ``tests/test_mailbox.py``'s.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from forestall.inbox import actions
from forestall.inbox.mailbox_session import signed_in_mailbox
from forestall.inbox.models import Conversation, Mailbox, MailboxSession
from forestall.inbox.thread import _THREAD, AddressedCentre, ThreadConversation, ThreadMessage
from forestall.instruments import actions as instrument_actions
from forestall.lib.pagecache import public_pages_changed
from forestall.lib.rows import Statement, fields, prepared
from forestall.public.expectations import reply_notice
from tests import factories
from tests.factories_cases import make_case, make_client, make_mailbox
from tests.factories_inbox import make_first_replies
from tests.test_mailbox import open_new_mailbox

# The template's loops as they were before the tag (commit 0fb421e), word for word
# but for the network's line, which names the choice as "Who should answer?" does.
_LOOPS = Template(
    "{% load i18n forestall_time %}"
    '{% translate "You wrote" as you_wrote %}'
    '{% translate "A counsellor replied" as counsellor_replied %}\n'
    "{% for conversation in conversations %}\n"
    '  <p class="addressed">{% if conversation.centre %}{% blocktranslate with '
    "centre=conversation.centre.display_name %}Written to {{ centre }}{% endblocktranslate %}"
    '{% else %}{% translate "Any centre / the network" as choice %}'
    "{% blocktranslate %}Written to: {{ choice }}{% endblocktranslate %}{% endif %}</p>\n"
    '  <ol class="messages">\n'
    "  {% for message in conversation.messages %}\n"
    '    <li class="message {{ message.author_kind }}"'
    '{% if forloop.last and forloop.parentloop.last %} id="latest"{% endif %}>\n'
    '      <p class="meta">{% if message.author_kind == "seeker" %}{{ you_wrote }}'
    "{% else %}{{ counsellor_replied }}{% endif %} · {{ message.created_at|time_element }}</p>\n"
    '      <div class="body" dir="auto">{{ message.body|linebreaks }}</div>\n'
    "    </li>\n"
    "  {% endfor %}\n"
    "  </ol>\n"
    "{% empty %}\n"
    '  <p>{% translate "There are no messages yet. Write whatever you want to share: '
    'a few sentences are enough." %}</p>\n'
    "{% endfor %}"
)
_TAG = Template("{% load mailbox_thread %}\n{% mailbox_conversations conversations %}")


def _message(kind: str, body: str, minutes: int) -> ThreadMessage:
    moment = datetime.datetime(2026, 3, 29, 0, minutes, tzinfo=datetime.UTC)
    return ThreadMessage(kind, moment, body, None)


def _threads() -> list[list[ThreadConversation]]:
    centre = AddressedCentre(uuid.uuid4(), 'A & <B> "Centre"', "Zentrum <Ä> & Söhne")
    without_german = AddressedCentre(uuid.uuid4(), "Only <English>", "  ")
    network = ThreadConversation(
        uuid.uuid4(),
        "closed",
        None,
        [
            _message("seeker", "<script>alert(1)</script> & more", 1),
            _message("seeker", "One line\nnext line\n\n\nA new paragraph\r\nwith CRLF", 2),
        ],
    )
    addressed = ThreadConversation(
        uuid.uuid4(),
        "awaiting_reply",
        centre,
        [_message("seeker", "To the centre", 3), _message("counsellor", "A <b>reply</b>", 4)],
    )
    english = ThreadConversation(uuid.uuid4(), "open", without_german, [_message("seeker", "x", 5)])
    empty = ThreadConversation(uuid.uuid4(), "open", centre, [])
    return [
        [],
        [network],
        [network, addressed],
        [network, addressed, english],
        [addressed, network, empty],  # the last conversation has no message: no #latest
    ]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_conversations_are_the_markup_the_template_loops_wrote(language):
    with translation.override(language), timezone.override("Europe/Berlin"):
        for conversations in _threads():
            context = {"conversations": conversations}
            assert _TAG.render(Context(context)) == _LOOPS.render(Context(context))


def test_the_conversations_escape_what_people_wrote_and_name_the_centre_in_german():
    conversations = _threads()[2]
    with translation.override("de"):
        html = _TAG.render(Context({"conversations": conversations}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Geschrieben an Zentrum &lt;Ä&gt; &amp; Söhne" in html
    assert "A &lt;b&gt;reply&lt;/b&gt;" in html
    assert html.count('id="latest"') == 1


# --- the three reads: statements written once per connection ------------------


@pytest.mark.django_db
def test_a_statement_is_written_once_per_connection_and_converts_as_the_orm():
    written = []

    def sql(using):
        written.append(using)
        quote = using.ops.quote_name
        return (
            f"SELECT {quote('id')}, {quote('created_at')}, {quote('urgent')} "  # noqa: S608
            f"FROM {quote(Mailbox._meta.db_table)} ORDER BY {quote('created_at')}"
        )

    statement = Statement(sql, lambda: fields(Mailbox, "id", "created_at", "urgent"))
    make_mailbox(), make_mailbox()
    expected = [
        list(row)
        for row in Mailbox.objects.order_by("created_at").values_list("id", "created_at", "urgent")
    ]
    assert statement.rows([]) == expected
    assert statement.rows([]) == expected
    assert len(written) == 1
    assert isinstance(expected[0][0], uuid.UUID)


@pytest.mark.django_db
def test_the_thread_statement_reads_what_the_orm_reads(centre_a, counsellor_a):
    mailbox, _codename = actions.start_mailbox("en", "self")
    first = actions.post_seeker_message(mailbox, "To the network.", None).conversation
    first.status = "closed"
    first.save()
    second = actions.post_seeker_message(mailbox, "To a centre.", centre_a).conversation
    actions.claim_conversation(counsellor_a, second)
    actions.send_reply(counsellor_a, second, "A reply.")
    Conversation.objects.create(mailbox=mailbox, reference="M-TEST-0002")
    other, _ = actions.start_mailbox("en", "self")
    actions.post_seeker_message(other, "Not this mailbox's.", None)

    rows = _THREAD.rows([prepared(Conversation._meta.get_field("mailbox"), mailbox.pk)])
    orm = (
        Conversation.objects.filter(mailbox=mailbox)
        .order_by("created_at", "id", "messages__created_at")
        .values_list(
            "id",
            "status",
            "centre",
            "centre__name",
            "centre__name_de",
            "messages__id",
            "messages__author_kind",
            "messages__created_at",
            "messages__body",
            "messages__read_at",
        )
    )
    # The bodies: both give the stored envelope (values_list does not decrypt).
    assert rows == [list(row) for row in orm]
    assert len(rows) == 4


@pytest.mark.django_db
def test_the_session_statement_finds_the_sessions_mailbox_as_the_orm_does(client):
    open_new_mailbox(client)
    request = RequestFactory().get("/mailbox/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    found = signed_in_mailbox(request)
    session = MailboxSession.objects.get()
    expected = Mailbox.objects.get(sessions=session)
    assert found is not None
    for field in Mailbox._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found._state.adding is False and found._state.db == "default"


@pytest.mark.django_db
def test_the_pending_questionnaires_are_the_orm_querysets(centre_a, clinician_a):
    mailbox = make_mailbox()
    person = make_client(mailbox=mailbox)
    make_case(centre_a, client=person)
    sent = [
        instrument_actions.send_to_mailbox(
            person, name, occasion="session", by=clinician_a, centre=centre_a
        )
        for name in ("phq9", "gad7", "phq9")
    ]
    instrument_actions.complete_from_mailbox(sent[1], [0, 0, 0, 0, 0, 0, 0])
    expected = [
        (pk, instrument, version)
        for pk, instrument, version in instrument_actions.pending_for_mailbox(mailbox).values_list(
            "pk", "instrument", "version"
        )
    ]
    assert instrument_actions.pending_for_mailbox_ids(mailbox) == expected
    assert len(expected) == 2
    assert instrument_actions.pending_for_mailbox_ids(make_mailbox()) == []


# --- the message form, built only when needed --------------------------------


@pytest.mark.django_db
def test_a_plain_visit_shows_an_empty_form_without_errors(client):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "first", "centre": ""})
    page = client.get("/mailbox/").content.decode()
    assert 'aria-describedby="body-help"></textarea>' in page
    assert "aria-invalid" not in page
    assert "error-summary" not in page
    assert "Your message goes to the network's counsellors." in page


@pytest.mark.django_db
def test_a_refused_message_shows_its_errors_and_keeps_the_text(client):
    open_new_mailbox(client)
    response = client.post("/mailbox/write/", {"body": "x" * 5001, "centre": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="message-problem"' in page
    assert '<ul class="errorlist" id="body-errors">' in page
    assert 'aria-describedby="body-help body-errors" aria-invalid="true">' + "x" * 5001 in page


@pytest.mark.django_db
def test_a_link_with_a_centre_preselects_it_before_the_first_message(client, centre_a):
    factories.answering_messages(centre_a)  # a centre that answers messages
    open_new_mailbox(client)
    page = client.get(f"/mailbox/?centre={centre_a.slug}").content.decode()
    assert f'<option value="{centre_a.pk}" selected>' in page
    assert '<option value="" selected>' not in page
    assert " selected>" not in client.get("/mailbox/").content.decode()


@pytest.mark.django_db
def test_a_plain_visit_to_an_open_conversation_reads_no_centres(client, centre_a):
    factories.answering_messages(centre_a)  # a centre that answers messages
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "first", "centre": str(centre_a.pk)})
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/mailbox/").content.decode()
    assert f"Your message goes to {centre_a.name}." in page
    centre_table = Conversation._meta.get_field("centre").related_model._meta.db_table
    assert not [q for q in queries if f'FROM "{centre_table}"' in q["sql"]]


# --- the reply-time notice, kept like the reply times -----------------------


@pytest.mark.django_db
def test_the_reply_notice_is_kept_per_centre_and_language_until_pages_change(settings, centre_a):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    settings.FORESTALL_EXPECTED_REPLY_HOURS = 72
    public_pages_changed()
    with translation.override("en"):
        assert reply_notice(centre_a) == "A counsellor usually replies within about 3 days."
    with translation.override("de"):
        german = reply_notice(centre_a)
    assert german != "A counsellor usually replies within about 3 days." and "3" in german
    make_first_replies(centre_a, [2, 4, 5, 6, 30])
    with translation.override("en"):
        # Kept, as the reply times it comes from are, until public pages change.
        assert reply_notice(centre_a) == "A counsellor usually replies within about 3 days."
        public_pages_changed()
        assert reply_notice(centre_a) == "A counsellor usually replies within about 5 hours."
        # The network's notice is its own.
        assert reply_notice(None) == "A counsellor usually replies within about 3 days."
