"""A module with several exercises: sending one never sends or saves another's entries.

Reported: after one exercise of a multi-exercise module was sent, sending a
later one carried (and, signed in, saved again) the first one's entries. Not
reproduced: each exercise is a form of its own, and the page after the first
sending gives the later form only its own fields. No shipped module has two
exercises, so this publishes one, and submits each form exactly as a browser
without JavaScript would: the fields inside it, and those outside naming it
with ``form=``.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from forestall.inbox.models import Mailbox
from forestall.selfhelp import actions
from forestall.selfhelp.content import shipped_sources
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db

MODULE = "/self-help/self/motivation/"
_SECOND = {
    "en": "  - id: steps\n    title: First steps\n    fields:\n      - id: step\n"
    "        kind: text\n        label: What is one small step I can take this week?\n",
    "de": "  - id: steps\n    title: Erste Schritte\n    fields:\n      - id: step\n"
    "        kind: text\n        label: Welchen kleinen Schritt kann ich diese Woche gehen?\n",
}


def _publish_a_second_exercise(by) -> None:
    sources = {}
    for language, text in shipped_sources("self", "motivation").items():
        head, _next, tail = text.partition("\nnext:")
        sources[language] = f"{head}\n{_SECOND[language]}next:{tail}"
    actions.publish_module_version("self", "motivation", 10, sources, by=by)


class _SentFields(HTMLParser):
    """The names and values a browser sends for the form ``form_id`` (no button pressed)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = named.get("id") == self.form_id
            return
        owner = named.get("form")
        if not ((self.inside and owner is None) or owner == self.form_id) or "name" not in named:
            return
        kind = named.get("type", "text")
        if tag == "input" and kind in ("hidden", "text"):
            self.fields.append((named["name"], named.get("value", "")))
        elif tag == "input" and kind in ("radio", "checkbox") and "checked" in named:
            self.fields.append((named["name"], named.get("value", "on")))
        elif tag == "textarea":
            self.textarea = [named["name"], ""]

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], self.textarea[1]))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def _sent_by(page: str, form_id: str) -> dict[str, str]:
    parser = _SentFields(form_id)
    parser.feed(page)
    return dict(parser.fields)


@pytest.mark.parametrize("signed_in", [False, True], ids=["without-mailbox", "signed-in"])
def test_sending_a_later_exercise_sends_only_its_own_entries(network_admin, signed_in):
    _publish_a_second_exercise(network_admin)
    client = Client()
    if signed_in:
        open_new_mailbox(client)
    page = client.get(MODULE).content.decode()
    first = _sent_by(page, "exercise-form-balance")
    first.update({"stay": "First exercise, stay", "change": "First exercise, change"})
    after_first = client.post(MODULE, first, follow=True)
    assert after_first.status_code == 200

    second = _sent_by(after_first.content.decode(), "exercise-form-steps")
    assert set(second) - {"csrfmiddlewaretoken"} == {"exercise", "step"}
    assert second["exercise"] == "steps"
    second["step"] = "Second exercise, step"
    after_second = client.post(MODULE, second, follow=True)
    assert after_second.status_code == 200

    if signed_in:
        answers = actions.read_workbook(Mailbox.objects.get())["answers"]
        assert answers["self/motivation/balance"]["values"]["stay"] == "First exercise, stay"
        assert answers["self/motivation/steps"]["values"] == {"step": "Second exercise, step"}
