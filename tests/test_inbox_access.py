"""Who may see which conversation: the inbox's access gate."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from forestall.inbox.models import Conversation
from tests.factories_inbox import make_conversation

POST_ROUTES = [
    "inbox:claim",
    "inbox:release",
    "inbox:reply",
    "inbox:add_note",
    "inbox:flag",
    "inbox:summary",
    "inbox:protective_action",
    "inbox:refer",
    "inbox:concern",
    "inbox:keep_draft",
    "inbox:insert_template",
    "inbox:close",
    "inbox:reopen",
]


@pytest.fixture
def conversation_a(centre_a):
    return make_conversation(centre_a, body="addressed to centre A")


@pytest.fixture
def network_conversation(db):
    return make_conversation(None, body="addressed to the network")


def test_a_counsellor_sees_conversations_addressed_to_their_centre(
    counsellor_a, conversation_a, sign_in
):
    response = sign_in(counsellor_a).get(reverse("inbox:conversation", args=[conversation_a.pk]))
    assert response.status_code == 200
    assert "addressed to centre A" in response.content.decode()


def test_a_counsellor_of_another_centre_gets_404(centre_b, conversation_a, sign_in):
    from forestall.accounts.models import Role
    from tests.factories import make_user

    counsellor_b = make_user(Role.COUNSELLOR, centre_b)
    client = sign_in(counsellor_b)
    response = client.get(reverse("inbox:conversation", args=[conversation_a.pk]))
    assert response.status_code == 404
    assert "addressed to centre A" not in response.content.decode()


def test_a_centre_counsellor_does_not_see_network_conversations(
    counsellor_a, network_conversation, sign_in
):
    url = reverse("inbox:conversation", args=[network_conversation.pk])
    assert sign_in(counsellor_a).get(url).status_code == 404


def test_a_network_counsellor_sees_network_conversations(
    network_counsellor, network_conversation, sign_in
):
    url = reverse("inbox:conversation", args=[network_conversation.pk])
    assert sign_in(network_counsellor).get(url).status_code == 200


def test_a_network_counsellor_does_not_see_a_centres_conversations(
    network_counsellor, conversation_a, sign_in
):
    url = reverse("inbox:conversation", args=[conversation_a.pk])
    assert sign_in(network_counsellor).get(url).status_code == 404


@pytest.mark.parametrize(
    "persona",
    [
        "clinician_a",
        "analyst",
        "manager_a",
        "safeguarding_lead_a",
        "network_admin",
        "outsider",
    ],
)
def test_people_who_do_not_answer_the_inbox_get_404(
    persona, request, conversation_a, network_conversation, sign_in
):
    client = sign_in(request.getfixturevalue(persona))
    for conversation in (conversation_a, network_conversation):
        url = reverse("inbox:conversation", args=[conversation.pk])
        assert client.get(url).status_code == 404
    queue = client.get(reverse("inbox:queue"))
    assert queue.status_code == 200
    assert str(conversation_a.pk) not in queue.content.decode()


@pytest.mark.parametrize("route", POST_ROUTES)
def test_every_action_answers_404_for_a_conversation_addressed_elsewhere(
    route, network_counsellor, conversation_a, sign_in
):
    client = sign_in(network_counsellor)
    response = client.post(reverse(route, args=[conversation_a.pk]), {"body": "x"})
    assert response.status_code == 404
    conversation_a.refresh_from_db()
    assert conversation_a.claimed_by is None
    assert conversation_a.messages.count() == 1


def test_a_conversation_that_does_not_exist_is_the_same_404(counsellor_a, sign_in):
    url = reverse("inbox:conversation", args=[uuid.uuid4()])
    assert sign_in(counsellor_a).get(url).status_code == 404


def test_the_inbox_needs_a_verified_staff_sign_in(client, counsellor_a, conversation_a):
    for url in (reverse("inbox:queue"), reverse("inbox:conversation", args=[conversation_a.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login/" in response["Location"]
    client.force_login(counsellor_a)  # password only, no second factor
    response = client.get(reverse("inbox:conversation", args=[conversation_a.pk]))
    assert response.status_code == 302


def test_the_gate_lists_exactly_the_conversations_a_counsellor_answers(
    counsellor_a, network_counsellor, centre_a, centre_b, network_conversation, conversation_a
):
    from forestall.accounts.models import Role
    from tests.factories import add_role

    make_conversation(centre_b)
    assert set(Conversation.objects.visible_to(counsellor_a)) == {conversation_a}
    assert set(Conversation.objects.visible_to(network_counsellor)) == {network_conversation}
    add_role(network_counsellor, Role.COUNSELLOR, centre_a)
    assert set(Conversation.objects.visible_to(network_counsellor)) == {
        network_conversation,
        conversation_a,
    }


def test_an_inactive_account_sees_nothing(counsellor_a, conversation_a):
    counsellor_a.is_active = False
    counsellor_a.save()
    assert not Conversation.objects.visible_to(counsellor_a).exists()
