"""A mailbox deleted while someone writes to it: the deletion always wins, cleanly.

"Delete everything" must delete everything, whatever else arrives at that
moment: the help-seeker's own message from a second tab, a counsellor's
reply, self-help answers being saved. Before, the deletion collected the
mailbox's rows and then met a message committed in between (on PostgreSQL
the foreign key failed at commit: a 500 and nothing deleted), and a message
sent just after the deletion failed with a 500 of its own. Now the deletion
locks the mailbox and its conversations first; whoever comes second is told
in words that the mailbox no longer exists.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.inbox import actions
from forestall.inbox.models import Conversation, Mailbox, Message
from forestall.lib.retention import PurgeResult, get_policy, purge
from forestall.selfhelp import actions as selfhelp_actions
from forestall.selfhelp.content import catalogue
from forestall.selfhelp.models import Workbook
from tests.concurrency import at_the_same_moment
from tests.factories_inbox import make_conversation
from tests.test_mailbox import open_new_mailbox
from tests.test_selfhelp import save_plan


def _first_exercise():
    for programme in catalogue().programmes:
        for module in programme.modules:
            if module.text("en").exercises:
                return module, module.text("en").exercises[0]
    raise AssertionError("no self-help module has an exercise")


def _nothing_left(mailbox_id, conversation_id) -> None:
    assert not Mailbox.objects.filter(pk=mailbox_id).exists()
    assert not Conversation.objects.filter(pk=conversation_id).exists()
    assert not Message.objects.filter(conversation_id=conversation_id).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_sent_while_the_mailbox_is_deleted_is_refused_in_words(centre_a):
    conversation = make_conversation(centre_a)
    mailbox = conversation.mailbox

    results = at_the_same_moment(
        lambda: actions.delete_mailbox(mailbox),
        lambda: actions.post_seeker_message(mailbox, "One more thing.", None),
    )

    assert results[0] is None
    assert isinstance(results[1], actions.MailboxDeleted)
    _nothing_left(mailbox.pk, conversation.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deleting_while_a_message_is_being_sent_deletes_that_message_too(centre_a):
    conversation = make_conversation(centre_a)
    mailbox = conversation.mailbox

    results = at_the_same_moment(
        lambda: actions.post_seeker_message(mailbox, "One more thing.", None),
        lambda: actions.delete_mailbox(mailbox),
    )

    assert [type(result) for result in results] == [Message, type(None)], results
    _nothing_left(mailbox.pk, conversation.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deleting_while_a_counsellor_replies_deletes_the_reply_too(centre_a, counsellor_a):
    conversation = make_conversation(centre_a)
    actions.claim_conversation(counsellor_a, conversation)
    mailbox = conversation.mailbox

    results = at_the_same_moment(
        lambda: actions.send_reply(counsellor_a, conversation, "Thank you for writing."),
        lambda: actions.delete_mailbox(mailbox),
    )

    assert [type(result) for result in results] == [Message, type(None)], results
    _nothing_left(mailbox.pk, conversation.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reply_sent_after_the_mailbox_was_deleted_is_refused_in_words(centre_a, counsellor_a):
    conversation = make_conversation(centre_a)
    actions.claim_conversation(counsellor_a, conversation)
    mailbox = conversation.mailbox

    results = at_the_same_moment(
        lambda: actions.delete_mailbox(mailbox),
        lambda: actions.send_reply(counsellor_a, conversation, "Thank you for writing."),
    )

    assert results[0] is None
    assert isinstance(results[1], actions.ConversationDeleted)
    _nothing_left(mailbox.pk, conversation.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_self_help_answers_saved_while_the_mailbox_is_deleted_are_refused(centre_a):
    conversation = make_conversation(centre_a)
    mailbox = conversation.mailbox
    module, exercise = _first_exercise()

    results = at_the_same_moment(
        lambda: actions.delete_mailbox(mailbox),
        lambda: selfhelp_actions.save_answer(mailbox, module, exercise, {}, "en"),
    )

    assert results[0] is None
    assert isinstance(results[1], actions.MailboxDeleted)
    assert not Workbook.objects.filter(mailbox_id=mailbox.pk).exists()
    _nothing_left(mailbox.pk, conversation.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_second_tab_says_the_message_was_not_sent_and_shows_it_again(client, language):
    open_new_mailbox(client)
    mailbox = Mailbox.objects.get()

    results = at_the_same_moment(
        lambda: actions.delete_mailbox(mailbox),
        lambda: client.post(
            "/de/mailbox/write/" if language == "de" else "/mailbox/write/",
            {"body": "Please do not lose this.", "centre": ""},
        ),
    )

    page = results[1]
    assert page.status_code == 410
    said = {"en": "Your mailbox was deleted", "de": "Ihr Postfach wurde gelöscht"}[language]
    assert said in page.content.decode()
    assert "Please do not lose this.</textarea>" in page.content.decode()
    assert not Mailbox.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "de"])
def test_a_counsellor_replying_as_the_mailbox_goes_is_told_in_words(
    sign_in, centre_a, counsellor_a, language
):
    conversation = make_conversation(centre_a)
    actions.claim_conversation(counsellor_a, conversation)
    browser = sign_in(counsellor_a)

    results = at_the_same_moment(
        lambda: actions.delete_mailbox(conversation.mailbox),
        lambda: browser.post(
            f"/staff/inbox/{conversation.pk}/reply/",
            {"body": "Thank you for writing."},
            HTTP_ACCEPT_LANGUAGE=language,
        ),
    )

    answer = results[1]
    assert answer.status_code == 302
    assert answer["Location"] == "/staff/inbox/"
    said = {
        "en": "The person deleted their mailbox meanwhile",
        "de": "Die Person hat ihr Postfach inzwischen gelöscht",
    }[language]
    queue = browser.get(answer["Location"], HTTP_ACCEPT_LANGUAGE=language)
    assert said in queue.content.decode()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


# --- The retention purge meets a returning person -------------------------------


def _due_for_purge(conversation) -> None:
    long_ago = timezone.localdate() - datetime.timedelta(days=10_000)
    Mailbox.objects.filter(pk=conversation.mailbox_id).update(last_active_on=long_ago)
    conversation.mailbox.refresh_from_db()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_mailbox_written_to_as_the_purge_runs_is_kept(centre_a):
    conversation = make_conversation(centre_a)
    _due_for_purge(conversation)
    mailbox = conversation.mailbox

    results = at_the_same_moment(
        lambda: actions.post_seeker_message(mailbox, "I am back.", None),
        lambda: purge(get_policy("mailbox"), apply=True),
    )

    assert isinstance(results[0], Message)
    assert isinstance(results[1], PurgeResult), results
    assert results[1].erased == 0
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()
    assert Message.objects.filter(conversation=conversation).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_sent_as_the_purge_deletes_the_mailbox_is_refused_in_words(centre_a):
    conversation = make_conversation(centre_a)
    _due_for_purge(conversation)
    mailbox = conversation.mailbox

    results = at_the_same_moment(
        lambda: purge(get_policy("mailbox"), apply=True),
        lambda: actions.post_seeker_message(mailbox, "I am back.", None),
    )

    assert isinstance(results[0], PurgeResult) and results[0].erased == 1, results
    assert isinstance(results[1], actions.MailboxDeleted)
    _nothing_left(mailbox.pk, conversation.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_self_help_answer_saved_in_a_second_tab_as_the_mailbox_goes_is_shown_back(client):
    open_new_mailbox(client)
    mailbox = Mailbox.objects.get()

    results = at_the_same_moment(
        lambda: actions.delete_mailbox(mailbox),
        lambda: save_plan(client, "Call my sister when it starts."),
    )

    page = results[1]
    assert page.status_code == 410
    assert "Your mailbox was deleted" in page.content.decode()
    assert "Call my sister when it starts.</textarea>" in page.content.decode()
    assert not Workbook.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "or in another window"), ("de", "oder in einem anderen Fenster abgemeldet")],
)
def test_a_message_sent_from_a_tab_after_deleting_in_another_gives_a_true_reason(
    client, language, said
):
    """Deleting the mailbox (or signing out) in one tab ends the session of the browser;
    the other tab's message comes back unsent, and the page no longer says it was only
    the idle time or a closed browser."""
    prefix = "/de" if language == "de" else ""
    open_new_mailbox(client)
    client.post(f"{prefix}/mailbox/delete/", {"confirm": "on"})
    assert not Mailbox.objects.exists()
    page = client.post(
        f"{prefix}/mailbox/write/", {"body": "Please do not lose this.", "centre": ""}
    )
    text = page.content.decode()
    assert "Please do not lose this.</textarea>" in text
    assert said in text
