"""Every button of the conversation page keeps what was chosen or typed in its other sections.

The page is one HTML form: each button posts every section, but saves only
its own. The page it led back to showed the others as stored, so the
contact summary's choices (who is writing, the concern, the risk
indicators), a protective action chosen and a note typed were lost when the
counsellor pressed another button first (claimed, recorded an action, kept
the draft, sent the reply, closed). They are now kept with the reply draft
(encrypted, for the draft's lifetime) and shown again, marked as not saved.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from forestall.inbox import actions
from forestall.inbox.models import ContactSummary, ProtectiveAction, ReplyDraft, ReplyTemplate
from tests.factories_inbox import make_conversation

TYPED = "I hear how frightening this is."
SUMMARY = {
    "writer": "professional",
    "concern": "viewing_images",
    "risk_indicators": ["isolation", "substance_use"],
}
PROTECTIVE = {"action": "blocking_software", "state": "taken"}
NOTE = "Seems isolated; ask about the weekend next time."


@pytest.fixture
def conversation(centre_a):
    return make_conversation(centre_a, body="Can anyone help me?")


@pytest.fixture
def welcome_template(db):
    return ReplyTemplate.objects.create(language="en", title="Welcome", body="Thank you.")


def _url(name, conversation):
    return reverse(f"inbox:{name}", args=[conversation.pk])


def _whole_page(client, conversation) -> dict[str, object]:
    """The work form as the browser sends it, with choices made in every section."""
    page = client.get(_url("conversation", conversation)).content.decode()
    work = page[page.index('id="work"') :]
    hidden = dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', work))
    hidden.pop("csrfmiddlewaretoken", None)
    data: dict[str, object] = {**hidden, **SUMMARY, **PROTECTIVE, "note-body": NOTE}
    if 'name="body"' in work:
        data["body"] = TYPED
    return data


def _shown(client, conversation):
    response = client.get(_url("conversation", conversation))
    assert response.status_code == 200
    return response


def _summary_shown(response) -> dict[str, object]:
    form = response.context["summary_form"]
    return {
        "writer": form["writer"].value(),
        "concern": form["concern"].value(),
        "risk_indicators": sorted(form["risk_indicators"].value()),
    }


def _protective_shown(response) -> dict[str, object]:
    form = response.context["protective_form"]
    return {"action": form["action"].value(), "state": form["state"].value()}


BUTTONS = [
    # (button, the conversation's state before, extra fields the button sends)
    ("keep_draft", "claimed", {}),
    ("keep_draft", "claimed", {"then": "refer"}),
    ("insert_template", "claimed", {"template": "welcome"}),
    ("reply", "claimed", {}),
    ("protective_action", "claimed", {}),
    ("add_note", "claimed", {}),
    ("flag", "claimed", {"urgent": "on"}),
    ("release", "claimed", {}),
    ("close", "claimed", {}),
    ("claim", "unclaimed", {}),
    ("reopen", "closed", {}),
]


@pytest.mark.parametrize(
    ("button", "state", "extra"), BUTTONS, ids=[f"{b}-{s}-{'-'.join(e)}" for b, s, e in BUTTONS]
)
def test_another_button_keeps_the_summary_choices_and_the_other_sections(
    sign_in, counsellor_a, conversation, welcome_template, button, state, extra
):
    client = sign_in(counsellor_a)
    if state in ("claimed", "closed"):
        client.post(_url("claim", conversation))
    if state == "closed":
        actions.close_conversation(counsellor_a, conversation)
    data = _whole_page(client, conversation) | extra
    if extra.get("template"):
        data["template"] = str(welcome_template.pk)
    response = client.post(_url(button, conversation), data)
    assert response.status_code == 302, (button, response.status_code)

    page = _shown(client, conversation)
    assert _summary_shown(page) == SUMMARY
    assert not ContactSummary.objects.filter(conversation=conversation).exists()
    text = html.unescape(page.content.decode())
    assert "Not saved yet: these are the choices you made" in text
    if button == "protective_action":
        assert ProtectiveAction.objects.filter(conversation=conversation).count() == 1
    else:
        assert _protective_shown(page) == PROTECTIVE
        assert "Not recorded yet" in text
    if button == "add_note":
        assert page.context["note_form"]["body"].value() in ("", None)
    else:
        assert page.context["note_form"]["body"].value() == NOTE


def test_the_kept_choices_are_saved_from_the_page_that_shows_them(
    sign_in, counsellor_a, conversation
):
    client = sign_in(counsellor_a)
    client.post(_url("claim", conversation))
    client.post(_url("flag", conversation), _whole_page(client, conversation) | {"urgent": "on"})
    response = client.post(_url("summary", conversation), _whole_page(client, conversation))
    assert response.status_code == 302
    summary = ContactSummary.objects.get(conversation=conversation)
    assert (summary.writer, summary.concern, sorted(summary.risk_indicators)) == (
        SUMMARY["writer"],
        SUMMARY["concern"],
        SUMMARY["risk_indicators"],
    )
    page = _shown(client, conversation)
    assert "Not saved yet: these are the choices" not in html.unescape(page.content.decode())
    # The other sections are still kept: the summary's button saved only the summary.
    assert _protective_shown(page) == PROTECTIVE
    assert page.context["note_form"]["body"].value() == NOTE


def test_kept_choices_still_meet_a_colleague_s_newer_summary(
    sign_in, counsellor_a, network_counsellor, conversation
):
    """Kept choices count as opened from the version the page showed: not saved over a newer one."""
    client = sign_in(counsellor_a)
    client.post(_url("claim", conversation))
    client.post(_url("keep_draft", conversation), _whole_page(client, conversation))
    actions.save_contact_summary(
        network_counsellor, conversation, writer="self", concern="", risk_indicators=[]
    )
    response = client.post(_url("summary", conversation), _whole_page(client, conversation))
    assert response.status_code == 409
    assert _summary_shown(response) == SUMMARY
    summary = ContactSummary.objects.get(conversation=conversation)
    assert summary.writer == "self"


def test_kept_entries_are_encrypted_and_never_another_counsellor_s(
    sign_in, counsellor_a, conversation, centre_a
):
    from tests import factories
    from tests.test_inbox import _raw_column

    client = sign_in(counsellor_a)
    client.post(_url("claim", conversation))
    client.post(_url("keep_draft", conversation), _whole_page(client, conversation))
    draft = ReplyDraft.objects.get()
    raw = _raw_column(ReplyDraft, "entries", draft.pk)
    assert NOTE.encode() not in raw
    assert b"viewing_images" not in raw
    colleague = factories.make_user("counsellor", centre_a, username="colleague")
    page = _shown(sign_in(colleague), conversation)
    assert page.context["note_form"]["body"].value() in ("", None)
    assert _summary_shown(page)["concern"] != SUMMARY["concern"]


def test_unchanged_sections_keep_nothing(sign_in, counsellor_a, conversation):
    """A page posted as it was shown keeps no entries (nothing was chosen)."""
    client = sign_in(counsellor_a)
    client.post(_url("claim", conversation))
    page = client.get(_url("conversation", conversation)).content.decode()
    work = page[page.index('id="work"') :]
    data = dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', work))
    data |= {"writer": "self", "concern": "", "action": "stop_sites", "state": "agreed"}
    client.post(_url("flag", conversation), data | {"urgent": "on"})
    assert not ReplyDraft.objects.exists()


def test_claim_and_reopen_belong_to_the_page_s_one_form(sign_in, counsellor_a, conversation):
    client = sign_in(counsellor_a)
    page = client.get(_url("conversation", conversation)).content.decode()
    assert f'form="work" formaction="{_url("claim", conversation)}"' in page
    client.post(_url("claim", conversation))
    actions.close_conversation(counsellor_a, conversation)
    page = client.get(_url("conversation", conversation)).content.decode()
    assert f'form="work" class="secondary" formaction="{_url("reopen", conversation)}"' in page
    main = page[page.index("<main") :] if "<main" in page else page
    forms = re.findall(r"<form\b[^>]*>", main)
    assert [form for form in forms if 'method="post"' in form and 'id="work"' not in form] == []
