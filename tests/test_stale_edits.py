"""A page saved from a stale tab never silently replaces a newer save.

The defect class: two people (or one person's forgotten second tab) open the
same staff edit page; the first saves; the second saves the page they opened
earlier, and every field of it, the old values too, replaced the first save
without a word. The public pages, self-help modules and centre profiles were
fixed one by one; ``forestall.lib.stale_edits`` is now the one mechanism, and
every page that changes an object in place uses it: the later save answers
409, names who saved and when, keeps what was typed, and saving again from
that answer is deliberate and goes through.

Each page is driven through HTTP as two tabs: A opens the form, B opens it
and saves, A saves → 409, B's value intact, A's typed text on the page.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from forestall.inbox.models import ReplyTemplate

pytestmark = pytest.mark.django_db


def edited_from(page: str) -> str:
    """The version a rendered page was opened with (its hidden ``edited_from``)."""
    found = re.search(r'name="edited_from" value="([^"]+)"', page)
    assert found, "the page carries no edited_from"
    return found.group(1)


def assert_refused(response, typed: str, saved_by: str) -> str:
    assert response.status_code == 409
    page = response.content.decode()
    assert typed in page
    assert saved_by in page
    return page


# --- Inbox reply templates -----------------------------------------------


@pytest.fixture
def reply_template(network_counsellor):
    return ReplyTemplate.objects.create(
        language="en", title="Welcome", body="Thank you for writing.", updated_by=None
    )


def _template_data(version: str, **fields: str) -> dict[str, str]:
    return {
        "language": "en",
        "title": "Welcome",
        "body": "Thank you for writing.",
        "is_active": "on",
        "edited_from": version,
        **fields,
    }


def test_a_reply_template_saved_from_a_stale_tab_is_refused(
    sign_in, network_counsellor, manager_a, reply_template
):
    url = f"/staff/inbox/templates/{reply_template.pk}/"
    tab_a, tab_b = sign_in(network_counsellor), sign_in(manager_a)
    opened_a = edited_from(tab_a.get(url).content.decode())
    opened_b = edited_from(tab_b.get(url).content.decode())
    assert tab_b.post(url, _template_data(opened_b, body="B's newer text.")).status_code == 302

    with translation.override("de"):
        response = tab_a.post(
            url, _template_data(opened_a, body="A's stale text."), HTTP_ACCEPT_LANGUAGE="de"
        )
    page = assert_refused(response, "A&#x27;s stale text.", "manager_a")
    assert "Nichts wurde gespeichert" in page
    assert ReplyTemplate.objects.get().body == "B's newer text."

    # Saving again from the 409 is a deliberate choice and goes through.
    again = _template_data(edited_from(page), body="A's stale text.")
    assert tab_a.post(url, again).status_code == 302
    assert ReplyTemplate.objects.get().body == "A's stale text."


def test_a_reply_template_saved_from_a_fresh_tab_goes_through(
    sign_in, network_counsellor, reply_template
):
    url = f"/staff/inbox/templates/{reply_template.pk}/"
    client = sign_in(network_counsellor)
    for body in ("First.", "Second."):
        opened = edited_from(client.get(url).content.decode())
        assert client.post(url, _template_data(opened, body=body)).status_code == 302
    assert ReplyTemplate.objects.get().body == "Second."
