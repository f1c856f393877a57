"""No raw Django message ever reaches a help-seeker: every public form speaks plainly.

Bad input is sent to every field of every public form, in English and German.
The answer is a 4xx with the page, and none of Django's built-in messages
("Select a valid choice. xyz is not one of the available choices.", "Ensure
this value has at most ...", "(Hidden field ...)") appears in either language.
"""

from __future__ import annotations

import inspect

import pytest
from django import forms
from django.core import validators
from django.test import Client
from django.utils import translation

from forestall.inbox import actions
from forestall.instruments import actions as instrument_actions
from tests.factories_cases import make_case, make_client

pytestmark = pytest.mark.django_db

GARBAGE = "xyz<>\"'%00"


def _django_message_fragments() -> set[str]:
    """The fixed opening words of every built-in form and validator message, in en and de."""
    messages = []
    for _name, cls in inspect.getmembers(forms.fields, inspect.isclass):
        for klass in cls.__mro__:
            messages += list(getattr(klass, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(validators, inspect.isclass):
        if getattr(cls, "message", None):
            messages.append(cls.message)
    fragments = {"(Hidden field", "(Verstecktes Feld"}
    for language in ("en", "de"):
        with translation.override(language):
            for message in messages:
                text = str(message).split("%(")[0].strip()
                if len(text) >= 12:
                    fragments.add(text)
    return fragments


FRAGMENTS = _django_message_fragments()


def _assert_human(response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code}"
    page = response.content.decode()
    leaked = [fragment for fragment in FRAGMENTS if fragment in page]
    assert not leaked, f"{what}: Django's own message reached the page: {leaked}"


def test_the_fragment_list_knows_the_message_from_the_issue():
    assert "Select a valid choice." in FRAGMENTS
    assert any(fragment.startswith("Bitte eine gültige Auswahl") for fragment in FRAGMENTS)


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_starting_a_mailbox_with_bad_input_gets_plain_words(client, prefix):
    for data in ({"pathway": GARBAGE}, {"pathway": ""}):
        _assert_human(client.post(f"{prefix}/mailbox/start/", data), f"start {data}")


def test_a_damaged_urgent_token_never_blocks_creating_a_mailbox(client):
    response = client.post("/mailbox/start/", {"pathway": "self", "urgent": "u" * 400}, follow=True)
    assert response.status_code == 200
    assert b'id="codename"' in response.content


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_confirming_with_bad_input_gets_plain_words(prefix):
    for data in ({"codename": "c" * 500, "confirmed": "on"}, {"confirmed": "on"}, {}):
        _assert_human(Client().post(f"{prefix}/mailbox/start/confirm/", data), f"confirm {data}")


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_signing_in_with_bad_input_gets_plain_words(prefix):
    for data in ({"codename": "c " * 300}, {"codename": ""}, {"codename": GARBAGE}):
        _assert_human(Client().post(f"{prefix}/mailbox/", data), f"sign in {data}")


@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/de", "de")])
def test_writing_with_bad_input_gets_plain_words(prefix, language):
    _mailbox, codename = actions.start_mailbox(language, "self")
    client = Client()
    client.post(f"{prefix}/mailbox/", {"codename": codename})
    for data in (
        {"body": "hello", "centre": GARBAGE},
        {"body": "", "centre": ""},
        {"body": "x" * 6000, "centre": ""},
    ):
        _assert_human(client.post(f"{prefix}/mailbox/write/", data), f"write {data}")


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_the_self_check_with_bad_input_gets_plain_words(client, prefix):
    data = {
        "self-check-v1-worry": GARBAGE,
        "worry": GARBAGE,
        "urgency": GARBAGE,
        "child_at_risk": GARBAGE,
        "help_wanted": GARBAGE,
    }
    response = client.post(f"{prefix}/self-check/", data)
    _assert_human(response, "self-check")
    expected = (
        "Please choose one of the answers shown."
        if not prefix
        else ("Bitte wählen Sie eine der angezeigten Antworten.")
    )
    assert expected in response.content.decode()


@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/de", "de")])
def test_a_questionnaire_with_bad_input_gets_plain_words(centre_a, clinician_a, prefix, language):
    mailbox, codename = actions.start_mailbox(language, "self")
    person = make_client(mailbox=mailbox)
    make_case(centre_a, client=person)
    client = Client()
    client.post(f"{prefix}/mailbox/", {"codename": codename})
    pending = instrument_actions.send_to_mailbox(
        person, "phq9", occasion="session", by=clinician_a, centre=centre_a
    )
    data = {f"q{number}": GARBAGE for number in range(1, 10)}
    response = client.post(f"{prefix}/mailbox/questionnaires/{pending.pk}/", data)
    _assert_human(response, "questionnaire")


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_the_centre_finder_with_bad_filters_gets_plain_words(client, prefix):
    response = client.get(
        f"{prefix}/centres/",
        {"language": GARBAGE, "service": GARBAGE, "region": GARBAGE, "remote": GARBAGE},
    )
    page = response.content.decode()
    assert response.status_code in (200, 400)
    assert not [fragment for fragment in FRAGMENTS if fragment in page]
