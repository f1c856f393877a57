"""Phone, video, walk-in and other-chat contacts logged by a counsellor and counted by channel."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from forestall.audit.models import AuditEntry
from forestall.inbox.models import (
    ContactSummary,
    Conversation,
    ConversationStatus,
    InternalNote,
    OfflineContact,
    ProtectiveAction,
)
from forestall.stats.events import Event
from forestall.stats.models import DailyCount
from tests.factories import make_user

NOTE = "Caller sounded relieved at the end."
DETAILS = "Call back Tuesday on 0170 555 0101"


def _form(centre, **overrides):
    when = timezone.localtime() - datetime.timedelta(hours=1)
    data = {
        "centre": str(centre.pk),
        "channel": "phone",
        "happened_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "25",
        "language": "de",
        "writer": "self",
        "concern": "viewing_images",
        "risk_indicators": ["isolation"],
        "protective_actions": ["blocking_software", "contact_centre"],
        "follow_up": "call_back",
        "follow_up_on": "",
        "person_reference": "",
        "contact_details": "",
        "note": NOTE,
    }
    data.update(overrides)
    return data


@pytest.fixture
def logged(counsellor_a, centre_a, sign_in):
    client = sign_in(counsellor_a)
    response = client.post(reverse("inbox:contact_new"), _form(centre_a))
    assert response.status_code == 302, response.content.decode()
    return client, OfflineContact.objects.get()


def _contacts(channel):
    return sum(
        DailyCount.objects.filter(event=Event.CONTACT, channel=channel).values_list(
            "count", flat=True
        )
    )


def test_a_phone_call_is_logged_with_its_summary_and_protective_actions(logged, centre_a):
    client, contact = logged
    conversation = contact.conversation
    assert contact.channel == "phone"
    assert contact.duration_minutes == 25
    assert contact.person_reference.startswith("P-")
    assert conversation.centre == centre_a
    assert conversation.status == ConversationStatus.ANSWERED
    summary = ContactSummary.objects.get(conversation=conversation)
    assert (summary.writer, summary.concern, summary.risk_indicators) == (
        "self",
        "viewing_images",
        ["isolation"],
    )
    assert set(
        ProtectiveAction.objects.filter(conversation=conversation).values_list("action", flat=True)
    ) == {"blocking_software", "contact_centre"}
    assert InternalNote.objects.get(conversation=conversation).body == NOTE
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert contact.person_reference in page
    assert "Phone" in page
    assert NOTE in page


def test_the_person_is_given_their_reference_and_no_name_is_needed(counsellor_a, centre_a, sign_in):
    response = sign_in(counsellor_a).post(
        reverse("inbox:contact_new"), _form(centre_a), follow=True
    )
    contact = OfflineContact.objects.get()
    assert f"reference is {contact.person_reference}" in response.content.decode()
    assert contact.contact_details == ""


def test_a_phone_contact_counts_as_a_first_contact_by_channel(logged):
    assert _contacts("phone") == 1
    assert _contacts("messaging") == 0
    agreed = DailyCount.objects.filter(event=Event.PROTECTIVE_ACTION_AGREED)
    assert set(agreed.values_list("channel", flat=True)) == {"phone"}


@pytest.mark.parametrize(
    ("channel", "counted_as"),
    [("in_person", "in_person"), ("video", "video"), ("other_chat", "messaging")],
)
def test_every_channel_is_counted_under_its_statistics_channel(
    counsellor_a, centre_a, sign_in, channel, counted_as
):
    sign_in(counsellor_a).post(reverse("inbox:contact_new"), _form(centre_a, channel=channel))
    assert _contacts(counted_as) == 1


def test_a_later_contact_is_linked_by_the_reference_and_is_not_a_new_first_contact(
    logged, centre_a
):
    client, first = logged
    typed = first.person_reference.lower().replace("-", "")
    response = client.post(
        reverse("inbox:contact_new"),
        _form(centre_a, channel="in_person", person_reference=typed),
    )
    assert response.status_code == 302
    later = OfflineContact.objects.exclude(pk=first.pk).get()
    assert later.person_reference == first.person_reference
    assert later.conversation.mailbox_id == first.conversation.mailbox_id
    assert _contacts("phone") == 1 and _contacts("in_person") == 0
    listed = client.get(
        reverse("inbox:queue"), {"reference": first.person_reference}, follow=True
    ).context["rows"]
    assert {row.pk for row in listed} == {first.conversation_id, later.conversation_id}


def test_an_unknown_reference_is_a_clear_400_that_keeps_the_form(counsellor_a, centre_a, sign_in):
    response = sign_in(counsellor_a).post(
        reverse("inbox:contact_new"), _form(centre_a, person_reference="P-ZZZZ-ZZZZ")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No earlier contact you can see has this reference." in page
    assert NOTE in page
    assert not OfflineContact.objects.exists()


def test_a_reference_from_another_centre_cannot_be_linked(logged, centre_b, sign_in):
    _client, first = logged
    counsellor_b = make_user("counsellor", centre_b, username="counsellor_b")
    response = sign_in(counsellor_b).post(
        reverse("inbox:contact_new"), _form(centre_b, person_reference=first.person_reference)
    )
    assert response.status_code == 400
    assert OfflineContact.objects.count() == 1


def test_free_text_is_encrypted_at_rest(counsellor_a, centre_a, sign_in):
    sign_in(counsellor_a).post(
        reverse("inbox:contact_new"), _form(centre_a, contact_details=DETAILS)
    )
    contact = OfflineContact.objects.get()
    assert contact.contact_details == DETAILS
    from tests.test_inbox import _raw_column

    assert DETAILS.encode() not in _raw_column(OfflineContact, "contact_details", contact.pk)
    note = InternalNote.objects.get()
    assert NOTE.encode() not in _raw_column(InternalNote, "body", note.pk)


def test_bad_input_is_a_400_with_messages(counsellor_a, centre_a, sign_in):
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = sign_in(counsellor_a).post(
        reverse("inbox:contact_new"),
        _form(centre_a, happened_at=future, duration_minutes="0", channel="fax"),
    )
    assert response.status_code == 400
    assert "A contact that is logged has already happened." in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_centre_the_counsellor_does_not_work_for_is_refused(counsellor_a, centre_b, sign_in):
    response = sign_in(counsellor_a).post(reverse("inbox:contact_new"), _form(centre_b))
    assert response.status_code == 400
    assert not OfflineContact.objects.exists()


def test_only_counsellors_log_contacts(clinician_a, analyst, safeguarding_lead_a, sign_in):
    for user in (clinician_a, analyst, safeguarding_lead_a):
        assert sign_in(user).get(reverse("inbox:contact_new")).status_code == 404


def test_a_logged_contact_is_hidden_from_other_centres_and_roles(
    logged, centre_b, clinician_a, sign_in
):
    _client, contact = logged
    counsellor_b = make_user("counsellor", centre_b, username="counsellor_b")
    url = reverse("inbox:conversation", args=[contact.conversation_id])
    for user in (counsellor_b, clinician_a):
        assert sign_in(user).get(url).status_code == 404


def test_logging_and_reading_are_audited(logged):
    client, contact = logged
    client.get(reverse("inbox:conversation", args=[contact.conversation_id]))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "offline_contact.create",
        "conversation.summary",
        "conversation.protective_action",
        "conversation.note",
        "conversation.read",
    } <= actions


def test_a_logged_contact_takes_the_referral_and_concern_routes(logged, centre_a):
    client, contact = logged
    conversation = contact.conversation
    response = client.post(
        reverse("inbox:concern", args=[conversation.pk]),
        {"level": "concern", "description": "Mentioned a neighbour's child."},
    )
    assert response.status_code == 302
    assert conversation.concerns.count() == 1
    response = client.post(
        reverse("inbox:refer", args=[conversation.pk]),
        {"centre": str(centre_a.pk), "consent": "on", "consent_note": "Agreed on the phone."},
    )
    assert response.status_code == 302
    assert conversation.cases.count() == 1


def test_a_specific_child_with_access_goes_on_to_the_concern(counsellor_a, centre_a, sign_in):
    response = sign_in(counsellor_a).post(
        reverse("inbox:contact_new"),
        _form(centre_a, risk_indicators=["specific_child", "access_to_children"]),
    )
    contact = OfflineContact.objects.get()
    assert response["Location"] == reverse("inbox:concern", args=[contact.conversation_id])
    contact.conversation.refresh_from_db()
    assert contact.conversation.flagged_urgent


def test_the_log_form_is_prefilled_with_a_reference(logged):
    client, contact = logged
    page = client.get(reverse("inbox:contact_new"), {"reference": contact.person_reference})
    assert page.context["form"]["person_reference"].value() == contact.person_reference
