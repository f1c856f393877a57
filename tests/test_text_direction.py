"""What people write is shown with dir="auto": Arabic and Hebrew read right to left.

Without it, a right-to-left message in a left-to-right page puts its
punctuation at the wrong end ("؟مرحبا" instead of "مرحبا؟"). Public and
staff pages mark every element holding user-written text, and every text
field people type into, with dir="auto".
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from forestall.inbox import actions
from tests.factories_inbox import make_conversation

pytestmark = pytest.mark.django_db

ARABIC = "مرحبا، أحتاج إلى مساعدة؟"
HEBREW = "שלום, אני צריך עזרה?"


def _wrapping_tags(page: str, text: str) -> list[str]:
    """The opening tags of the two elements around ``text`` (it may sit in a <p>)."""
    index = page.index(text)
    tags = re.findall(r"<[a-z][^>]*>", page[:index])
    return tags[-2:]


def test_the_mailbox_shows_the_persons_messages_with_dir_auto():
    mailbox, codename = actions.start_mailbox("en", "self")
    actions.post_seeker_message(mailbox, ARABIC, None)
    client = Client()
    client.post("/mailbox/", {"codename": codename})
    page = client.get("/mailbox/").content.decode()
    assert any('dir="auto"' in tag for tag in _wrapping_tags(page, ARABIC))
    assert re.search(r'<textarea name="body"[^>]*dir="auto"', page)


def test_a_rejected_message_comes_back_in_a_dir_auto_textarea():
    _mailbox, codename = actions.start_mailbox("de", "self")
    client = Client()
    client.post("/de/mailbox/", {"codename": codename})
    response = client.post("/de/mailbox/write/", {"body": HEBREW + " " + codename, "centre": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'<textarea name="body"[^>]*dir="auto"', page)
    assert HEBREW in page


def test_the_staff_conversation_shows_messages_and_fields_with_dir_auto(
    centre_a, counsellor_a, sign_in
):
    conversation = make_conversation(centre_a, body=HEBREW)
    client = sign_in(counsellor_a)
    page = client.get(f"/staff/inbox/{conversation.pk}/").content.decode()
    assert any('dir="auto"' in tag for tag in _wrapping_tags(page, HEBREW))
    textareas = re.findall(r"<textarea[^>]*>", page)
    assert textareas and all('dir="auto"' in tag for tag in textareas)


def test_every_django_rendered_text_field_gets_dir_auto():
    from django import forms

    class Sample(forms.Form):
        name = forms.CharField()
        note = forms.CharField(widget=forms.Textarea)
        code = forms.CharField(widget=forms.TextInput(attrs={"dir": "ltr"}))

    html = str(Sample())
    assert re.search(r'<input type="text" name="name" dir="auto"', html)
    assert re.search(r'<textarea name="note" dir="auto"', html)
    # A field that must stay left to right (a code) keeps its own direction.
    assert 'name="code" dir="ltr"' in html and html.count('dir="auto"') == 2
