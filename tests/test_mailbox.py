"""The confidential mailbox through HTTP: start, confirm, sign in, write, sign out, delete.

Every bad input gets a clear, translated message and a 4xx (never a 500), and
what the person typed is still in the form. The codename is never stored (only
its hash) and never logged.
"""

from __future__ import annotations

import logging
import re
import time

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from forestall.inbox import actions
from forestall.inbox.forms import urgent_token
from forestall.inbox.mailbox_session import COOKIE_NAME
from forestall.inbox.models import Conversation, ConversationStatus, Mailbox, Message, MessageAuthor
from forestall.lib.codenames import codename_hash, normalise_codename, wordlist
from forestall.stats.events import Event
from forestall.stats.models import DailyCount
from tests import factories
from tests.database_dump import database_rows_text
from tests.factories_inbox import make_first_replies

pytestmark = pytest.mark.django_db

CODENAME = re.compile(rb'id="codename"[^>]*>([^<]+)<')


def start_mailbox(client: Client, prefix: str = "", **data: str) -> str:
    """Start a mailbox through the page and return the codename it showed."""
    response = client.post(f"{prefix}/mailbox/start/", {"pathway": "self", **data}, follow=True)
    assert response.status_code == 200
    match = CODENAME.search(response.content)
    assert match, "the codename page has no #codename element"
    return match.group(1).decode().strip()


def open_new_mailbox(client: Client, prefix: str = "", **data: str) -> str:
    codename = start_mailbox(client, prefix, **data)
    response = client.post(
        f"{prefix}/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"}
    )
    assert response.status_code == 302
    return codename


def count_of(event: str) -> int:
    return sum(DailyCount.objects.filter(event=event).values_list("count", flat=True))


def messy(codename: str) -> str:
    """The codename as someone might type it back: other case, extra spaces."""
    return "  " + "   ".join(word.upper() for word in codename.split()) + " "


# --- Starting a mailbox ---------------------------------------------------


def test_the_start_page_explains_the_mailbox_and_asks_for_a_pathway(client):
    response = client.get("/mailbox/start/")
    assert response.status_code == 200
    assert b'name="pathway"' in response.content
    assert b"seven words" in response.content
    assert b"Create my mailbox" in response.content


def test_starting_shows_a_seven_word_codename_once_and_stores_only_its_hash(client):
    codename = start_mailbox(client)
    words = codename.split()
    assert len(words) == 7
    assert all(word in wordlist("en") for word in words)
    mailbox = Mailbox.objects.get()
    assert mailbox.codename_hash == codename_hash(codename)
    assert mailbox.pathway == "self"
    assert mailbox.language == "en"
    assert mailbox.last_active_on == timezone.localdate()
    assert count_of(Event.MAILBOX_STARTED) == 1


def test_starting_does_not_sign_in_before_the_codename_is_confirmed(client):
    start_mailbox(client)
    assert COOKIE_NAME not in client.cookies
    response = client.get("/mailbox/")
    assert b'name="codename"' in response.content
    assert b'name="body"' not in response.content


def test_confirming_without_ticking_the_box_shows_the_codename_again_with_a_reason(client):
    codename = start_mailbox(client)
    response = client.post("/mailbox/start/confirm/", {"codename": codename})
    assert response.status_code == 400
    assert b"Please confirm that you have written down your codename" in response.content
    assert CODENAME.search(response.content).group(1).decode().strip() == codename
    assert COOKIE_NAME not in client.cookies


def test_confirming_opens_the_mailbox_with_a_browser_session_cookie(client):
    open_new_mailbox(client)
    cookie = client.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert not cookie["max-age"]
    assert not cookie["expires"]
    response = client.get("/mailbox/")
    assert response.status_code == 200
    assert b'<textarea name="body"' in response.content
    assert b'name="centre"' in response.content


def test_the_session_cookie_holds_no_codename(client):
    codename = open_new_mailbox(client)
    value = client.cookies[COOKIE_NAME].value
    for word in codename.split():
        assert word not in value
    assert codename_hash(codename) not in value


def test_an_invalid_pathway_is_refused_with_a_message(client):
    response = client.post("/mailbox/start/", {"pathway": "nonsense"})
    assert response.status_code == 400
    assert b"Please choose one of the options." in response.content
    assert not Mailbox.objects.exists()


def test_the_start_page_preselects_the_pathway_from_a_link(client):
    response = client.get("/mailbox/start/?pathway=other")
    assert re.search(rb'value="other"[^>]*checked', response.content)


def test_a_german_mailbox_gets_german_words_and_german_pages(client):
    codename = start_mailbox(client, "/de")
    assert all(word in wordlist("de") for word in codename.split())
    assert Mailbox.objects.get().language == "de"
    response = client.post(
        "/de/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/de/mailbox/"
    assert b'lang="de"' in response.content
    assert b"Ihr Postfach" in response.content


# --- Signing in and out ---------------------------------------------------


def test_sign_in_tolerates_case_and_extra_spaces(client):
    codename = open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "first words", "centre": ""})
    client.post("/mailbox/sign-out/")
    fresh = Client()
    response = fresh.post("/mailbox/", {"codename": messy(codename)}, follow=True)
    assert response.status_code == 200
    assert b"first words" in response.content


def test_signing_out_removes_the_cookie_and_closes_the_mailbox(client):
    open_new_mailbox(client)
    response = client.post("/mailbox/sign-out/")
    assert response.status_code == 200
    assert client.cookies[COOKIE_NAME].value == ""
    assert b"You are signed out" in response.content
    assert b'name="codename"' in client.get("/mailbox/").content


def test_a_wrong_codename_is_refused_clearly_and_kept_in_the_field(client):
    response = client.post("/mailbox/", {"codename": "wrong words typed here by someone else"})
    assert response.status_code == 400
    assert b"No mailbox opens with this codename" in response.content
    assert b'value="wrong words typed here by someone else"' in response.content
    assert COOKIE_NAME not in client.cookies


def test_an_empty_codename_is_refused(client):
    response = client.post("/mailbox/", {"codename": "   "})
    assert response.status_code == 400
    assert b"Please enter your codename." in response.content


def test_an_overlong_codename_is_refused_without_an_error_page(client):
    response = client.post("/mailbox/", {"codename": "word " * 500})
    assert response.status_code == 400
    assert b"too long for a codename" in response.content


def test_a_wrong_codename_is_explained_in_german(client):
    response = client.post("/de/mailbox/", {"codename": "falsch"})
    assert response.status_code == 400
    assert b"Mit diesem Codenamen" in response.content


_TEN_WORDS = (
    "apple",
    "birch",
    "cedar",
    "daisy",
    "elder",
    "fern",
    "gorse",
    "hazel",
    "iris",
    "juniper",
)


def test_too_many_sign_in_attempts_answer_429_and_keep_the_typed_codename(client):
    client.get("/mailbox/")
    for word in _TEN_WORDS:
        assert client.post("/mailbox/", {"codename": f"not my {word}"}).status_code == 400
    response = client.post("/mailbox/", {"codename": "not my words"})
    assert response.status_code == 429
    assert b"too many attempts" in response.content
    assert 0 < int(response["Retry-After"]) <= 300
    assert b'value="not my words"' in response.content


def test_too_many_attempts_are_explained_in_german(client):
    client.get("/de/mailbox/")
    for word in _TEN_WORDS:
        client.post("/de/mailbox/", {"codename": word})
    response = client.post("/de/mailbox/", {"codename": "x"})
    assert response.status_code == 429
    assert b"zu viele Versuche" in response.content


def test_the_right_codename_is_refused_too_once_the_limit_is_reached(client):
    codename = start_mailbox(client)
    for _ in range(10):
        client.post("/mailbox/", {"codename": "guess"})
    assert client.post("/mailbox/", {"codename": codename}).status_code == 429


def test_too_many_new_mailboxes_answer_429(client):
    from forestall.inbox import codename_view

    client.get("/mailbox/start/")  # as a browser does: the form comes first
    for _ in range(10):
        start_mailbox(client)
        # A script that keeps the session but drops the new codename's cookie
        # (with it, the same form only shows that codename again).
        del client.cookies[codename_view.COOKIE_NAME]
    response = client.post("/mailbox/start/", {"pathway": "self"})
    assert response.status_code == 429
    assert b"too many attempts" in response.content
    assert Mailbox.objects.count() == 10


def test_the_session_ends_after_inactivity(client, monkeypatch, settings):
    settings.FORESTALL_MAILBOX_IDLE_MINUTES = 30
    open_new_mailbox(client)
    later = time.time() + 31 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get("/mailbox/")
    assert b'name="codename"' in response.content
    assert b'name="body"' not in response.content


def test_activity_keeps_the_session_alive(client, monkeypatch, settings):
    settings.FORESTALL_MAILBOX_IDLE_MINUTES = 30
    open_new_mailbox(client)
    start = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: start + 20 * 60)
    assert b'name="body"' in client.get("/mailbox/").content
    monkeypatch.setattr(signing.time, "time", lambda: start + 40 * 60)
    assert b'name="body"' in client.get("/mailbox/").content


def test_a_forged_cookie_opens_nothing(client):
    mailbox, _codename = actions.start_mailbox("en", "self")
    client.cookies[COOKIE_NAME] = f'{{"m": "{mailbox.pk}"}}'
    response = client.get("/mailbox/")
    assert b'name="codename"' in response.content
    assert client.post("/mailbox/write/", {"body": "x"}).status_code == 401
    assert not Message.objects.exists()


# --- Writing --------------------------------------------------------------


def test_a_first_message_opens_a_conversation_awaiting_a_reply(client, centre_a):
    factories.answering_messages(centre_a)  # a centre that answers messages
    open_new_mailbox(client)
    response = client.post(
        "/mailbox/write/", {"body": "I need to talk.", "centre": str(centre_a.pk)}
    )
    assert response.status_code == 302
    assert response["Location"] == "/mailbox/?sent=1#latest"
    conversation = Conversation.objects.get()
    assert conversation.centre == centre_a
    assert conversation.status == ConversationStatus.AWAITING_REPLY
    assert conversation.waiting_since is not None
    assert conversation.language == "en"
    message = conversation.messages.get()
    assert message.author_kind == MessageAuthor.SEEKER
    assert message.body == "I need to talk."
    assert count_of(Event.CONTACT) == 1
    page = client.get("/mailbox/?sent=1").content
    assert b"Your message was sent." in page
    assert b"I need to talk." in page


def test_the_message_body_is_encrypted_in_the_database(client):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "a very private sentence", "centre": ""})
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM inbox_message")
        (raw,) = cursor.fetchone()
    assert "a very private sentence" not in str(raw)


def test_further_messages_go_to_the_open_conversation_and_keep_the_queue_place(
    client, centre_a, centre_b
):
    factories.answering_messages(centre_a)
    factories.answering_messages(centre_b)  # a centre that answers messages
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "one", "centre": str(centre_a.pk)})
    waiting_since = Conversation.objects.get().waiting_since
    client.post("/mailbox/write/", {"body": "two", "centre": str(centre_b.pk)})
    conversation = Conversation.objects.get()
    assert conversation.centre == centre_a
    assert conversation.waiting_since == waiting_since
    assert [m.body for m in conversation.messages.all()] == ["one", "two"]
    assert count_of(Event.CONTACT) == 1


def test_writing_after_a_reply_puts_the_conversation_back_in_the_queue(client):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "one", "centre": ""})
    conversation = Conversation.objects.get()
    conversation.status = ConversationStatus.ANSWERED
    conversation.save()
    client.post("/mailbox/write/", {"body": "two", "centre": ""})
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.AWAITING_REPLY
    assert Conversation.objects.count() == 1


def test_the_centre_choice_lists_active_centres_and_the_network(client, centre_a):
    factories.answering_messages(centre_a)  # a centre that answers messages
    factories.make_centre("Closed Centre", is_active=False)
    open_new_mailbox(client)
    page = client.get("/mailbox/").content.decode()
    assert 'value="">Any centre / the network' in page
    assert f'value="{centre_a.pk}"' in page
    assert "Closed Centre" not in page


def test_the_conversation_is_shown_newest_last(client):
    open_new_mailbox(client)
    for body in ("message-one", "message-two", "message-three"):
        client.post("/mailbox/write/", {"body": body, "centre": ""})
    page = client.get("/mailbox/").content.decode()
    assert page.index("message-one") < page.index("message-two") < page.index("message-three")


def test_an_empty_message_is_refused_with_a_message(client):
    open_new_mailbox(client)
    response = client.post("/mailbox/write/", {"body": "   ", "centre": ""})
    assert response.status_code == 400
    assert b"Your message is empty." in response.content
    assert not Message.objects.exists()


def test_an_overlong_message_is_refused_and_kept_in_the_textarea(client):
    open_new_mailbox(client)
    body = "I have a lot to say. " * 300
    response = client.post("/mailbox/write/", {"body": body, "centre": ""})
    assert response.status_code == 400
    assert b"Your message is too long" in response.content
    assert body.strip().encode() in response.content
    assert not Message.objects.exists()


def test_a_message_of_exactly_the_limit_is_accepted(client):
    open_new_mailbox(client)
    response = client.post("/mailbox/write/", {"body": "x" * 5000, "centre": ""})
    assert response.status_code == 302


def test_a_message_containing_the_codename_is_refused_and_kept(client):
    codename = open_new_mailbox(client)
    words = codename.split()
    body = "Hello, my codename is " + "-".join(words[:3]).upper() + ",\n" + "  ".join(words[3:])
    response = client.post("/mailbox/write/", {"body": body, "centre": ""})
    assert response.status_code == 400
    assert b"Your message contains your codename" in response.content
    assert b"not even a counsellor" in response.content
    assert words[0].upper().encode() in response.content
    assert not Message.objects.exists()


def test_the_codename_refusal_is_in_german_on_the_german_page(client):
    codename = open_new_mailbox(client, "/de")
    response = client.post("/de/mailbox/write/", {"body": codename, "centre": ""})
    assert response.status_code == 400
    assert "Ihre Nachricht enthält Ihren Codenamen".encode() in response.content


def test_an_unknown_centre_is_refused_and_the_text_kept(client):
    open_new_mailbox(client)
    response = client.post("/mailbox/write/", {"body": "keep me", "centre": "not-a-centre"})
    assert response.status_code == 400
    assert b"Please choose a centre from the list." in response.content
    assert b"keep me" in response.content


def test_too_many_messages_answer_429_and_keep_the_text(client):
    open_new_mailbox(client)
    for number in range(30):
        assert (
            client.post("/mailbox/write/", {"body": f"m{number}", "centre": ""}).status_code == 302
        )
    response = client.post("/mailbox/write/", {"body": "one more thing", "centre": ""})
    assert response.status_code == 429
    assert b"too many attempts" in response.content
    assert b"one more thing" in response.content
    assert Message.objects.count() == 30


def test_writing_without_a_session_keeps_the_text_and_asks_for_the_codename(client):
    response = client.post("/mailbox/write/", {"body": "hello <there>"})
    assert response.status_code == 401
    page = response.content.decode()
    assert "Your message has not been sent yet" in page
    assert "hello &lt;there&gt;</textarea>" in page
    assert 'name="codename"' in page
    assert not Message.objects.exists()


def test_an_urgent_self_check_token_prioritises_the_conversation(client):
    open_new_mailbox(client, urgent=urgent_token())
    assert Mailbox.objects.get().urgent
    client.post("/mailbox/write/", {"body": "please help", "centre": ""})
    assert Conversation.objects.get().urgent


def test_a_forged_or_old_urgent_token_is_ignored(client, monkeypatch):
    open_new_mailbox(client, urgent="urgent")
    token = urgent_token()
    later = time.time() + 2 * 60 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    open_new_mailbox(Client(), urgent=token)
    assert not Mailbox.objects.filter(urgent=True).exists()


# --- What the mailbox page tells the person ------------------------------


def test_the_mailbox_page_says_how_long_an_unused_mailbox_is_kept(client, settings):
    settings.FORESTALL_RETENTION_DAYS = {**settings.FORESTALL_RETENTION_DAYS, "mailbox": 90}
    open_new_mailbox(client)
    assert b"for 90 days, it is deleted automatically" in client.get("/mailbox/").content


def test_the_expected_reply_time_falls_back_to_the_configured_default(client, settings):
    settings.FORESTALL_EXPECTED_REPLY_HOURS = 72
    open_new_mailbox(client)
    assert b"usually replies within about 3 days" in client.get("/mailbox/").content


def test_the_expected_reply_time_comes_from_recent_first_replies(client, centre_a):
    factories.answering_messages(centre_a)  # a centre that answers messages
    make_first_replies(centre_a, [2, 4, 5, 6, 30])
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "hello", "centre": str(centre_a.pk)})
    assert b"usually replies within about 5 hours" in client.get("/mailbox/").content


def test_replies_are_shown_and_marked_read(client, counsellor_a):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "question", "centre": ""})
    conversation = Conversation.objects.get()
    reply = Message(
        conversation=conversation,
        author_kind=MessageAuthor.COUNSELLOR,
        author=counsellor_a,
        body="Thank you for writing.",
    )
    reply.save()
    # A HEAD request (a link checker, a prefetch) shows nobody the reply: it stays unread.
    assert client.head("/mailbox/").status_code == 200
    reply.refresh_from_db()
    assert reply.read_at is None
    page = client.get("/mailbox/").content
    assert b"Thank you for writing." in page
    assert b"A counsellor replied" in page
    reply.refresh_from_db()
    assert reply.read_at is not None
    assert Message.objects.get(author_kind=MessageAuthor.SEEKER).read_at is None


def test_the_counsellor_is_not_named_to_the_help_seeker(client, counsellor_a):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "question", "centre": ""})
    Message(
        conversation=Conversation.objects.get(),
        author_kind=MessageAuthor.COUNSELLOR,
        author=counsellor_a,
        body="reply",
    ).save()
    assert b"counsellor_a" not in client.get("/mailbox/").content


# --- Deleting everything --------------------------------------------------


def test_delete_asks_for_confirmation_first(client):
    open_new_mailbox(client)
    response = client.get("/mailbox/delete/")
    assert response.status_code == 200
    assert b"Yes, delete everything" in response.content
    assert Mailbox.objects.count() == 1


def test_deleting_removes_the_mailbox_with_every_conversation_and_message(client, counsellor_a):
    codename = open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "to be deleted", "centre": ""})
    Message(
        conversation=Conversation.objects.get(),
        author_kind=MessageAuthor.COUNSELLOR,
        author=counsellor_a,
        body="reply to be deleted",
    ).save()
    response = client.post("/mailbox/delete/")
    assert response.status_code == 200
    assert b"Everything is deleted" in response.content
    assert client.cookies[COOKIE_NAME].value == ""
    assert not Mailbox.objects.exists()
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()
    assert count_of(Event.MAILBOX_DELETED) == 1
    again = Client().post("/mailbox/", {"codename": codename})
    assert again.status_code == 400
    assert b"No mailbox opens with this codename" in again.content


def test_delete_without_a_session_leads_to_the_sign_in(client):
    mailbox, _codename = actions.start_mailbox("en", "self")
    response = client.post("/mailbox/delete/")
    assert response.status_code == 302
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()


def test_an_old_cookie_of_a_deleted_mailbox_opens_nothing(client):
    open_new_mailbox(client)
    old_cookie = client.cookies[COOKIE_NAME].value
    client.post("/mailbox/delete/")
    client.cookies[COOKIE_NAME] = old_cookie
    assert b'name="codename"' in client.get("/mailbox/").content


# --- Privacy: the codename is never stored or logged -----------------------


def _all_database_text() -> str:
    return database_rows_text().lower()


def test_the_codename_is_stored_nowhere_but_as_its_hash(client):
    codename = open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "nothing secret here", "centre": ""})
    client.post("/mailbox/sign-out/")
    client.post("/mailbox/", {"codename": messy(codename)})
    text = _all_database_text()
    assert normalise_codename(codename) not in text
    assert "".join(codename.split()) not in text
    assert text.count(codename_hash(codename)) == 1


def test_neither_the_codename_nor_the_message_reaches_a_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    codename = open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "log-canary sentence", "centre": ""})
    client.post("/mailbox/write/", {"body": "x" * 6000, "centre": ""})
    client.post("/mailbox/write/", {"body": codename, "centre": ""})
    client.post("/mailbox/sign-out/")
    client.post("/mailbox/", {"codename": messy(codename)})
    client.post("/mailbox/", {"codename": "wrong " + codename})
    client.post("/mailbox/delete/")
    logged = caplog.text.lower()
    assert normalise_codename(codename) not in normalise_codename(logged)
    assert "log-canary" not in logged
    assert codename_hash(codename) not in logged


def test_mailbox_pages_are_not_cached(client):
    open_new_mailbox(client)
    assert "no-store" in client.get("/mailbox/")["Cache-Control"]


def test_the_session_cookie_is_secure_in_production(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    codename = start_mailbox(client)
    response = client.post("/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"})
    assert response.cookies[COOKIE_NAME]["secure"]


# --- Demo data ------------------------------------------------------------


def test_the_demo_mailboxes_seed_once_and_the_documented_codename_signs_in(client):
    from forestall.accounts import demo as accounts_demo
    from forestall.demo import DemoNetwork
    from forestall.directory import demo as directory_demo
    from forestall.inbox import demo_mailboxes as demo

    network = DemoNetwork()
    directory_demo.seed(network)
    accounts_demo.seed(network)
    demo.seed(network)
    demo.seed(network)
    assert Mailbox.objects.count() == len(demo.DEMO_MAILBOXES)
    assert Conversation.objects.filter(urgent=True).count() == 1
    assert Conversation.objects.filter(status=ConversationStatus.ANSWERED).exists()
    assert Conversation.objects.filter(status=ConversationStatus.AWAITING_REPLY).count() >= 3
    assert set(Conversation.objects.values_list("language", flat=True)) == {"en", "de"}
    response = client.post("/mailbox/", {"codename": demo.DEMO_CODENAME.upper()}, follow=True)
    assert b"A counsellor replied" in response.content


def test_a_questionnaire_that_is_not_this_mailboxs_is_not_found(client):
    import uuid

    open_new_mailbox(client)
    assert client.get(f"/mailbox/questionnaires/{uuid.uuid4()}/").status_code == 404


def test_questionnaires_need_a_mailbox_session(client):
    import uuid

    response = client.get(f"/mailbox/questionnaires/{uuid.uuid4()}/")
    assert response.status_code == 302
    assert response["Location"] == "/mailbox/"
