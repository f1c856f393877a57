"""The structured contact summary and the protective actions agreed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forestall.inbox import actions
from forestall.inbox.models import (
    ContactSummary,
    ProtectiveAction,
    ProtectiveActionKind,
    ProtectiveActionState,
)
from tests.factories_inbox import make_conversation


@pytest.fixture
def conversation(centre_a):
    return make_conversation(centre_a)


def test_a_counsellor_records_who_writes_the_concern_and_risk_indicators(
    counsellor_a, conversation, sign_in
):
    client = sign_in(counsellor_a)
    response = client.post(
        reverse("inbox:summary", args=[conversation.pk]),
        {
            "writer": "self",
            "concern": "viewing_images",
            "risk_indicators": ["isolation", "escalating_use"],
            "edited_from": "new",  # as the page sends it before the first summary
        },
    )
    assert response.status_code == 302
    summary = ContactSummary.objects.get(conversation=conversation)
    assert summary.writer == "self"
    assert summary.concern == "viewing_images"
    assert summary.risk_indicators == ["escalating_use", "isolation"]
    assert summary.updated_by == counsellor_a
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert 'value="isolation" checked' in page or 'value="isolation"\n' in page or "checked" in page


def test_the_summary_is_updated_in_place(counsellor_a, conversation):
    actions.save_contact_summary(
        counsellor_a, conversation, writer="unknown", concern="", risk_indicators=[]
    )
    actions.save_contact_summary(
        counsellor_a,
        conversation,
        writer="family_or_friend",
        concern="someone_else",
        risk_indicators=["access_to_children"],
    )
    assert ContactSummary.objects.filter(conversation=conversation).count() == 1
    assert ContactSummary.objects.get().writer == "family_or_friend"


def test_values_outside_the_vocabulary_are_refused(counsellor_a, conversation, sign_in):
    response = sign_in(counsellor_a).post(
        reverse("inbox:summary", args=[conversation.pk]),
        {"writer": "neighbour", "concern": "free text here", "risk_indicators": ["made_up"]},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ContactSummary.objects.exists()


def test_a_protective_action_is_agreed_and_later_taken(counsellor_a, conversation, sign_in):
    client = sign_in(counsellor_a)
    url = reverse("inbox:protective_action", args=[conversation.pk])
    response = client.post(url, {"action": "blocking_software", "state": "agreed"})
    assert response.status_code == 302
    action = ProtectiveAction.objects.get(conversation=conversation)
    assert action.state == ProtectiveActionState.AGREED
    assert action.reviewed_at is None
    client.post(url, {"action": "blocking_software", "state": "taken"})
    action.refresh_from_db()
    assert action.state == ProtectiveActionState.TAKEN
    assert action.reviewed_at is not None
    assert ProtectiveAction.objects.filter(conversation=conversation).count() == 1
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "Install blocking software" in page
    assert "Taken" in page


def test_a_protective_action_can_be_recorded_as_not_taken(counsellor_a, conversation):
    actions.record_protective_action(
        counsellor_a, conversation, action=ProtectiveActionKind.TELL_TRUSTED_PERSON, state="agreed"
    )
    action = actions.record_protective_action(
        counsellor_a,
        conversation,
        action=ProtectiveActionKind.TELL_TRUSTED_PERSON,
        state="not_taken",
    )
    assert action.state == ProtectiveActionState.NOT_TAKEN


def test_an_unknown_protective_action_is_a_400(counsellor_a, conversation, sign_in):
    response = sign_in(counsellor_a).post(
        reverse("inbox:protective_action", args=[conversation.pk]),
        {"action": "pray", "state": "agreed"},
    )
    assert response.status_code == 400
    assert not ProtectiveAction.objects.exists()


def test_the_vocabulary_covers_what_the_issue_names():
    assert {
        "stop_sites",
        "blocking_software",
        "tell_trusted_person",
        "contact_centre",
        "avoid_alone_with_children",
    } <= set(ProtectiveActionKind.values)


def test_protective_actions_drive_the_statistics(counsellor_a, conversation):
    from forestall.stats.models import DailyCount

    for state in ("agreed", "taken", "not_taken", "taken"):
        actions.record_protective_action(
            counsellor_a, conversation, action="stop_sites", state=state
        )
    agreed = DailyCount.objects.get(event="protective_action_agreed")
    taken = DailyCount.objects.get(event="protective_action_taken")
    assert (agreed.detail, agreed.count) == ("stop_sites", 1)
    assert (taken.detail, taken.count) == ("stop_sites", 2)
