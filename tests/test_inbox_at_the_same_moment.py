"""Two counsellors (or one counsellor's two tabs) acting on one conversation at once.

Each test runs two actions in two connections at the same moment on
PostgreSQL (``tests.concurrency``): both look before either has written.
Before, recording the same protective action for the first time from two
pages failed the second on the one-row-per-action constraint (a 500), and
referring the same conversation from two pages made two pseudonymous clients
for one person, each with an open case at the same centre. Every action that
adds to a conversation now locks the conversation (and a referral the
mailbox) first; the second waits and sees what the first did.
"""

from __future__ import annotations

import pytest

from forestall.cases.models import Case, Client
from forestall.inbox import actions
from forestall.inbox.models import ProtectiveAction, ProtectiveActionState, ReplyTemplate
from forestall.stats.models import DailyCount
from tests.concurrency import at_the_same_moment
from tests.factories_inbox import make_conversation


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_protective_action_recorded_from_two_pages_is_one_row(centre_a, counsellor_a):
    conversation = make_conversation(centre_a)

    def record(state):
        return lambda: actions.record_protective_action(
            counsellor_a, conversation, action="stop_sites", state=state
        )

    results = at_the_same_moment(
        record(ProtectiveActionState.AGREED), record(ProtectiveActionState.TAKEN)
    )

    assert [type(result) for result in results] == [ProtectiveAction, ProtectiveAction], results
    row = ProtectiveAction.objects.get(conversation=conversation)
    assert row.state == ProtectiveActionState.TAKEN  # the second corrected the first
    agreed = DailyCount.objects.filter(event="protective_action_agreed")
    assert sum(agreed.values_list("count", flat=True)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_conversation_referred_from_two_tabs_makes_one_client_and_one_case(
    centre_a, counsellor_a
):
    conversation = make_conversation(centre_a)

    def refer():
        return actions.refer_conversation(
            counsellor_a, conversation, centre_a, consent_note="Agreed on the phone."
        )

    results = at_the_same_moment(refer, refer)

    assert [type(result) for result in results] == [Case, Case], results
    assert results[0] == results[1]
    assert Client.objects.filter(mailbox_id=conversation.mailbox_id).count() == 1
    assert Case.objects.filter(client__mailbox_id=conversation.mailbox_id).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_new_reply_templates_with_one_title_at_once_give_one_and_a_refusal(
    network_counsellor, manager_a
):
    def save(by, body):
        return lambda: actions.save_reply_template(
            by, None, language="en", title="First contact", body=body
        )

    results = at_the_same_moment(
        save(network_counsellor, "Thank you for writing."), save(manager_a, "Hello.")
    )

    assert [type(result) for result in results] == [ReplyTemplate, actions.TemplateTitleTaken]
    assert ReplyTemplate.objects.filter(language="en", title="First contact").count() == 1
