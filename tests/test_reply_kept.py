"""The inbox keeps what a counsellor writes: templates insert, other forms and a sign-in keep it."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from forestall.accounts.models import Role
from forestall.audit.models import AuditEntry
from forestall.inbox import actions
from forestall.inbox.models import ReplyDraft, ReplyTemplate
from tests import factories
from tests.factories_accounts import current_totp, post_password, post_token
from tests.factories_inbox import make_conversation

TYPED = "I hear how frightening this is. Let us think together about"


@pytest.fixture
def conversation(centre_a):
    return make_conversation(centre_a, body="Can anyone help me?")


@pytest.fixture
def welcome_template(db):
    return ReplyTemplate.objects.create(
        language="en", title="Welcome", body="Thank you for writing to us. (template)"
    )


@pytest.fixture
def claimed(counsellor_a, conversation, sign_in):
    client = sign_in(counsellor_a)
    client.post(reverse("inbox:claim", args=[conversation.pk]))
    return client


def _url(name, conversation):
    return reverse(f"inbox:{name}", args=[conversation.pk])


def _reply_box(client, conversation) -> str:
    response = client.get(_url("conversation", conversation))
    assert response.status_code == 200
    return response.context["reply_form"]["body"].value() or ""


def test_a_template_is_added_after_what_is_typed_never_replacing_it(
    claimed, conversation, welcome_template
):
    page = claimed.get(_url("conversation", conversation)).content.decode()
    assert f'name="template" value="{welcome_template.pk}"' in page
    response = claimed.post(
        _url("insert_template", conversation),
        {"body": TYPED, "template": str(welcome_template.pk)},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#reply")
    assert _reply_box(claimed, conversation) == f"{TYPED}\n\n{welcome_template.body}"


def test_a_template_into_an_empty_reply_is_the_template(claimed, conversation, welcome_template):
    claimed.post(
        _url("insert_template", conversation), {"body": "", "template": str(welcome_template.pk)}
    )
    assert _reply_box(claimed, conversation) == welcome_template.body


def test_an_unknown_template_is_a_400_that_keeps_the_reply(claimed, conversation):
    response = claimed.post(
        _url("insert_template", conversation), {"body": TYPED, "template": "not-a-uuid"}
    )
    assert response.status_code == 400
    assert response.context["reply_form"]["body"].value() == TYPED
    assert _reply_box(claimed, conversation) == TYPED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("summary", {"writer": "self", "concern": "thoughts_only", "edited_from": "new"}),
        ("protective_action", {"action": "stop_sites", "state": "agreed"}),
        ("add_note", {"note-body": "Seems isolated."}),
        ("flag", {"urgent": "on"}),
        ("keep_draft", {}),
    ],
)
def test_saving_another_form_keeps_the_unsent_reply(claimed, conversation, name, data):
    response = claimed.post(_url(name, conversation), {"body": TYPED, **data})
    assert response.status_code == 302
    assert _reply_box(claimed, conversation) == TYPED


def test_an_invalid_other_form_still_keeps_the_reply(claimed, conversation):
    response = claimed.post(_url("add_note", conversation), {"body": TYPED, "note-body": ""})
    assert response.status_code == 400
    assert _reply_box(claimed, conversation) == TYPED


def test_the_page_is_one_form_whose_default_button_keeps_the_draft(claimed, conversation):
    page = claimed.get(_url("conversation", conversation)).content.decode()
    work = page[page.index('id="work"') :]
    first_button = work[work.index("<button") : work.index("</button>")]
    assert _url("keep_draft", conversation) in first_button
    for name in ("reply", "summary", "protective_action", "add_note", "flag", "close"):
        assert f'formaction="{_url(name, conversation)}' in work


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("keep_draft", "reply"),
        ("reply", "reply"),
        ("summary", "summary"),
        ("protective_action", "protective-actions"),
        ("add_note", "notes"),
    ],
)
def test_a_refused_form_answers_at_its_own_section_of_the_long_page(
    claimed, conversation, name, section
):
    """A refusal (400, or 409 from a stale tab) re-renders the whole conversation page.

    Without the section's fragment in the button's formaction the browser
    showed the top of that long page, and the message ("Nothing was saved: …")
    was screens below it, unseen; with it, the browser opens at the section
    that carries the message and what was typed.
    """
    page = claimed.get(_url("conversation", conversation)).content.decode()
    assert f'formaction="{_url(name, conversation)}#{section}"' in page
    assert f'id="{section}"' in page


def test_sending_the_reply_discards_the_draft(claimed, conversation):
    claimed.post(_url("keep_draft", conversation), {"body": TYPED})
    response = claimed.post(_url("reply", conversation), {"body": TYPED})
    assert response.status_code == 302
    assert not ReplyDraft.objects.exists()
    assert _reply_box(claimed, conversation) == ""


def test_an_emptied_reply_box_discards_the_draft(claimed, conversation):
    claimed.post(_url("keep_draft", conversation), {"body": TYPED})
    claimed.post(_url("summary", conversation), {"body": "", "writer": "self"})
    assert not ReplyDraft.objects.exists()


def test_a_draft_is_encrypted_audited_without_text_and_expires(
    claimed, conversation, counsellor_a, settings
):
    claimed.post(_url("keep_draft", conversation), {"body": TYPED})
    draft = ReplyDraft.objects.get()
    from tests.test_inbox import _raw_column

    assert TYPED.encode() not in _raw_column(ReplyDraft, "body", draft.pk)
    event = AuditEntry.objects.filter(action="conversation.draft").get()
    assert TYPED not in str(event.__dict__)
    ReplyDraft.objects.update(expires_at=draft.expires_at.replace(year=2000))
    assert _reply_box(claimed, conversation) == ""
    # Gone from the database, not only hidden.
    assert not ReplyDraft.objects.exists()


def test_a_colleague_never_sees_my_draft(claimed, conversation, centre_a, sign_in):
    claimed.post(_url("keep_draft", conversation), {"body": TYPED})
    colleague = factories.make_user("counsellor", centre_a, username="colleague")
    assert _reply_box(sign_in(colleague), conversation) == ""


def test_a_reply_posted_after_the_session_expired_comes_back_after_sign_in(
    counsellor_a, conversation, caplog
):
    device = factories.totp_device(counsellor_a)
    actions.claim_conversation(counsellor_a, conversation)
    client = Client()  # the session has expired: no staff cookie any more
    with caplog.at_level(logging.DEBUG):
        response = client.post(_url("reply", conversation), {"body": TYPED})
    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == reverse("two_factor:login")
    next_url = parse_qs(login.query)["next"][0]
    assert next_url.startswith(_url("conversation", conversation))
    assert TYPED not in caplog.text
    draft = ReplyDraft.objects.get()
    assert draft.owner is None and draft.token_digest

    quoted = quote(next_url, safe="")
    post_password(client, counsellor_a.username, factories.PASSWORD, next_url=quoted)
    signed_in = post_token(client, current_totp(device), next_url=quoted)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == next_url
    page = client.get(next_url)
    assert page.status_code == 200
    assert page.context["reply_form"]["body"].value() == TYPED
    assert "Your unsent reply was kept" in page.content.decode()
    assert ReplyDraft.objects.get().owner == counsellor_a
    # The token works once: the draft is now the counsellor's own.
    assert ReplyDraft.objects.get().token_digest is None
    assert client.post(_url("reply", conversation), {"body": TYPED}).status_code == 302


def test_a_kept_reply_goes_only_to_someone_who_may_see_the_conversation(
    conversation, centre_b, sign_in
):
    token = actions.keep_reply_through_sign_in(conversation.pk, TYPED)
    other = factories.make_user("counsellor", centre_b, username="counsellor_b")
    response = sign_in(other).get(_url("conversation", conversation), {"draft": token})
    assert response.status_code == 404
    assert ReplyDraft.objects.get().owner is None


def test_a_token_for_another_conversation_puts_nothing_in_the_reply(
    counsellor_a, conversation, centre_a, sign_in
):
    token = actions.keep_reply_through_sign_in(conversation.pk, TYPED)
    other = make_conversation(centre_a)
    response = sign_in(counsellor_a).get(_url("conversation", other), {"draft": token})
    assert response.status_code == 200
    assert not response.context["reply_form"]["body"].value()


def test_posting_after_expiry_to_an_unknown_conversation_looks_the_same(db):
    import uuid

    client = Client()
    response = client.post(reverse("inbox:reply", args=[uuid.uuid4()]), {"body": TYPED})
    assert response.status_code == 302
    assert "draft" in response["Location"]
    assert not ReplyDraft.objects.exists()


def test_anonymous_posts_cannot_pile_up_drafts(conversation):
    client = Client()
    for _ in range(actions.ORPHAN_DRAFTS_PER_CONVERSATION + 4):
        client.post(_url("reply", conversation), {"body": TYPED})
    assert ReplyDraft.objects.count() == actions.ORPHAN_DRAFTS_PER_CONVERSATION


def test_who_is_writing_defaults_from_the_pathway(counsellor_a, centre_a, sign_in):
    conversation = make_conversation(centre_a)
    conversation.mailbox.pathway = "other"
    conversation.mailbox.save()
    response = sign_in(counsellor_a).get(_url("conversation", conversation))
    assert response.context["summary_form"]["writer"].value() == "family_or_friend"


def test_a_specific_child_with_access_to_children_raises_priority_and_prompts_a_concern(
    claimed, conversation
):
    response = claimed.post(
        _url("summary", conversation),
        {
            "body": TYPED,
            "writer": "self",
            "risk_indicators": ["specific_child", "access_to_children"],
            "edited_from": "new",  # as the page sends it before the first summary
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _url("concern", conversation)
    conversation.refresh_from_db()
    assert conversation.flagged_urgent
    assert AuditEntry.objects.filter(action="conversation.flag").exists()
    page = claimed.get(response["Location"]).content.decode()
    assert "specific child" in page
    assert _reply_box(claimed, conversation) == TYPED


def test_one_of_the_two_indicators_alone_does_not_raise_priority(claimed, conversation):
    response = claimed.post(
        _url("summary", conversation),
        {"writer": "self", "risk_indicators": ["specific_child"], "edited_from": "new"},
    )
    assert response["Location"].endswith("#summary")
    conversation.refresh_from_db()
    assert not conversation.flagged_urgent


def test_stored_choices_show_translated_labels_in_german(claimed, conversation, counsellor_a):
    from forestall.inbox import actions as inbox_actions

    counsellor_a.language = "de"
    counsellor_a.save()
    conversation.language = "de"
    conversation.save()
    inbox_actions.record_protective_action(
        counsellor_a, conversation, action="stop_sites", state="not_taken"
    )
    page = claimed.get(_url("conversation", conversation)).content.decode()
    assert "Deutsch" in page
    for raw in ("not_taken", "stop_sites", "awaiting_reply", ">de<"):
        assert raw not in page.replace('value="stop_sites"', "").replace('value="not_taken"', ""), (
            raw
        )
    queue = claimed.get(reverse("inbox:queue")).content.decode()
    assert "Deutsch" in queue and "<td>de</td>" not in queue


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("keep_draft", "reply"),
        ("insert_template", "reply"),
        ("reply", "reply"),
        ("summary", "summary"),
        ("protective_action", "protective-actions"),
        ("add_note", "notes"),
    ],
)
def test_the_address_of_a_refusal_opened_plainly_leads_to_its_section(
    claimed, conversation, sign_in, centre_b, name, section
):
    """A 409 or 400 stays at the address it was posted to and says "open this page in
    a new tab" to compare; that address answered 405 "nothing to see here"."""
    response = claimed.get(_url(name, conversation))
    assert response.status_code == 302
    assert response["Location"] == f"{_url('conversation', conversation)}#{section}"
    assert claimed.head(_url(name, conversation)).status_code == 302
    assert claimed.put(_url(name, conversation)).status_code == 405
    # The conversation page keeps its own gate: someone else's conversation is not found.
    outsider = sign_in(factories.make_user(Role.COUNSELLOR, centre_b, username="outsider_b"))
    assert outsider.get(_url(name, conversation), follow=True).status_code == 404


NOTE_TYPED = "Called the centre; the person sounded calmer (internal)"


@pytest.mark.parametrize("button", ["add_note", "reply"])
def test_a_note_typed_when_the_session_had_expired_comes_back_after_sign_in(
    counsellor_a, conversation, caplog, button
):
    """The page keeps a note typed in it when another of its buttons is
    pressed; but a session that had expired (the counsellor typed a long note,
    then pressed "Save note" or "Send") kept only the reply through the
    sign-in, and the note was gone. Now it comes back too, shown as not saved
    yet, encrypted meanwhile and never logged."""
    device = factories.totp_device(counsellor_a)
    actions.claim_conversation(counsellor_a, conversation)
    client = Client()  # the session has expired
    with caplog.at_level(logging.DEBUG):
        response = client.post(_url(button, conversation), {"body": "", "note-body": NOTE_TYPED})
    assert response.status_code == 302
    assert NOTE_TYPED not in caplog.text
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    quoted = quote(next_url, safe="")
    post_password(client, counsellor_a.username, factories.PASSWORD, next_url=quoted)
    post_token(client, current_totp(device), next_url=quoted)
    page = client.get(next_url)
    assert page.status_code == 200
    assert page.context["note_form"]["body"].value() == NOTE_TYPED
    assert "note" in page.context["unsaved"]
    assert "Your unsaved note was kept while you signed in again" in page.content.decode()
    assert ReplyDraft.objects.get().owner == counsellor_a
    german = client.get(next_url, HTTP_ACCEPT_LANGUAGE="de")
    assert german.context["note_form"]["body"].value() == NOTE_TYPED
