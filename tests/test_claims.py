"""Claiming conversations: exclusive, expiring, and safe under concurrency."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.inbox import actions
from forestall.inbox.models import Conversation
from tests.factories import make_user
from tests.factories_inbox import make_conversation


@pytest.fixture
def colleague_a(centre_a):
    return make_user(Role.COUNSELLOR, centre_a, username="colleague_a")


@pytest.fixture
def conversation(centre_a):
    return make_conversation(centre_a)


def test_a_counsellor_claims_an_unclaimed_conversation(counsellor_a, conversation):
    claimed = actions.claim_conversation(counsellor_a, conversation)
    assert claimed.claimed_by == counsellor_a
    assert claimed.claimed_until > timezone.now() + datetime.timedelta(minutes=19)


def test_a_live_claim_cannot_be_taken_by_a_colleague(counsellor_a, colleague_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    with pytest.raises(actions.AlreadyClaimed):
        actions.claim_conversation(colleague_a, conversation)
    conversation.refresh_from_db()
    assert conversation.claimed_by == counsellor_a


def test_a_claim_expires_after_inactivity(counsellor_a, colleague_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    actions.claim_conversation(colleague_a, conversation)
    conversation.refresh_from_db()
    assert conversation.claimed_by == colleague_a
    with pytest.raises(actions.NotClaimant):
        actions.send_reply(counsellor_a, conversation, "too late")


def test_the_claim_length_is_configurable(settings, counsellor_a, conversation):
    settings.FORESTALL_CLAIM_MINUTES = 5
    claimed = actions.claim_conversation(counsellor_a, conversation)
    assert claimed.claimed_until < timezone.now() + datetime.timedelta(minutes=6)


def test_a_released_claim_can_be_taken_by_a_colleague(counsellor_a, colleague_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    actions.release_conversation(counsellor_a, conversation)
    actions.claim_conversation(colleague_a, conversation)
    conversation.refresh_from_db()
    assert conversation.claimed_by == colleague_a


def test_only_the_claimant_can_release(counsellor_a, colleague_a, conversation):
    actions.claim_conversation(counsellor_a, conversation)
    with pytest.raises(actions.NotClaimant):
        actions.release_conversation(colleague_a, conversation)


def test_only_the_claimant_can_reply(counsellor_a, colleague_a, conversation, sign_in):
    actions.claim_conversation(counsellor_a, conversation)
    client = sign_in(colleague_a)
    response = client.post(
        reverse("inbox:reply", args=[conversation.pk]), {"body": "Hello from a colleague"}
    )
    assert response.status_code == 409
    assert conversation.messages.count() == 1
    assert "Hello from a colleague" in response.content.decode()  # nothing typed is lost


def test_claim_next_takes_the_most_urgent_then_the_longest_waiting(counsellor_a, centre_a):
    recent = make_conversation(centre_a, waited=datetime.timedelta(minutes=1))
    oldest = make_conversation(centre_a, waited=datetime.timedelta(hours=3))
    urgent = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(minutes=2))
    assert actions.claim_next(counsellor_a) == urgent
    assert actions.claim_next(counsellor_a) == urgent  # one's own claim stays first
    actions.send_reply(counsellor_a, urgent, "Hello")
    assert actions.claim_next(counsellor_a) == oldest
    actions.send_reply(counsellor_a, oldest, "Hello")
    assert actions.claim_next(counsellor_a) == recent


def test_claim_next_skips_conversations_a_colleague_holds(counsellor_a, colleague_a, centre_a):
    first = make_conversation(centre_a, waited=datetime.timedelta(hours=2))
    second = make_conversation(centre_a, waited=datetime.timedelta(hours=1))
    assert actions.claim_next(colleague_a) == first
    assert actions.claim_next(counsellor_a) == second


def test_claim_next_finds_nothing_outside_the_counsellors_inbox(counsellor_a, centre_b):
    make_conversation(centre_b)
    make_conversation(None)
    assert actions.claim_next(counsellor_a) is None


def test_the_claim_button_answers_409_when_a_colleague_holds_it(
    counsellor_a, colleague_a, conversation, sign_in
):
    actions.claim_conversation(colleague_a, conversation)
    response = sign_in(counsellor_a).post(reverse("inbox:claim", args=[conversation.pk]))
    assert response.status_code == 409
    assert "already claimed" in response.content.decode()


def test_the_next_button_opens_the_claimed_conversation(counsellor_a, conversation, sign_in):
    response = sign_in(counsellor_a).post(reverse("inbox:claim_next"))
    assert response.status_code == 302
    assert str(conversation.pk) in response["Location"]


def _race(users, target) -> list[object]:
    """Run ``target(user)`` in one thread per user, all released at the same moment."""
    barrier = threading.Barrier(len(users))
    results: list[object] = [None] * len(users)

    def run(index, user):
        try:
            barrier.wait()
            results[index] = target(user)
        except actions.AlreadyClaimed as error:
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_counsellors_claiming_at_once_exactly_one_wins(centre_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: row locks across two connections")
    first = make_user(Role.COUNSELLOR, centre_a)
    second = make_user(Role.COUNSELLOR, centre_a)
    for _round in range(15):
        conversation = make_conversation(centre_a)
        results = _race(
            [first, second],
            lambda user, target=conversation: actions.claim_conversation(user, target),
        )
        winners = [result for result in results if isinstance(result, Conversation)]
        losers = [result for result in results if isinstance(result, actions.AlreadyClaimed)]
        assert len(winners) == 1, results
        assert len(losers) == 1, results
        conversation.refresh_from_db()
        assert conversation.claimed_by == winners[0].claimed_by


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counsellors_pressing_next_at_once_get_different_conversations(centre_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SKIP LOCKED across connections")
    counsellors = [make_user(Role.COUNSELLOR, centre_a) for _ in range(4)]
    for _ in range(4):
        make_conversation(centre_a)
    results = _race(counsellors, actions.claim_next)
    claimed = [result.pk for result in results if isinstance(result, Conversation)]
    assert len(claimed) == len(set(claimed))
    holders = Conversation.objects.filter(claimed_by__isnull=False).values_list(
        "claimed_by", flat=True
    )
    assert len(list(holders)) == len(set(holders)) == len(claimed)
