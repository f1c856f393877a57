"""Switching the language on a page that answered a form never drops what was typed.

A plain link to the other language is a GET: on a page that shows a refused
message, an exercise's answers or the self-check's result, it threw all of it
away. There the switch is a form that carries every entry to the same address
in the other language, where nothing is sent, saved or counted: the entries
come back, in that language, to send again.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from forestall.inbox.models import Message
from forestall.stats.models import DailyCount
from tests.test_mailbox import open_new_mailbox
from tests.test_never_lose_a_word import _pending_questionnaire, _questionnaire_answers

pytestmark = pytest.mark.django_db

WORDS = "Walking helps me, & talking to my sister <really>."
EXERCISE = "/self-help/self/feelings/"
SELF_CHECK = {
    "worry": "own_thoughts",
    "urgency": "soon",
    "child_at_risk": "no",
    "self_harm": "no",
    "help_wanted": "write",
}


def _languages(page: str) -> str:
    return re.search(r'<nav class="languages".*?</nav>', page, re.S).group(0)


def _switch_form(page: str, action: str) -> dict[str, list[str]]:
    """The fields the language switch to ``action`` sends (as a browser would send them).

    Either a form of its own carrying the entries, or (a page that shows the
    form sent back, to change) a button of that form: then the form's fields
    as they stand, and the button's name and value.
    """
    nav = _languages(page)
    fields: dict[str, list[str]] = {}
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', nav, re.S)
    if form:
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[0]
        ):
            fields.setdefault(html.unescape(name), []).append(html.unescape(value))
        return fields
    button = re.search(
        rf'<button type="submit" form="([^"]+)" formaction="{re.escape(action)}" formnovalidate '
        r'name="([^"]+)" value="([^"]+)"',
        nav,
    )
    assert button, f"no language switch to {action} in {nav}"
    form_id, switch_name, switch_value = button.groups()
    owner = re.search(rf'<form [^>]*id="{re.escape(form_id)}".*?</form>', page, re.S)
    assert owner, f"no form {form_id} on the page"
    for tag in re.findall(r"<input [^>]*>", owner[0]):
        attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
        kind = attributes.get("type", "text")
        if "name" not in attributes or kind in ("submit", "button"):
            continue
        if kind in ("radio", "checkbox") and not re.search(r"\schecked[\s>]", tag):
            continue
        fields.setdefault(html.unescape(attributes["name"]), []).append(
            html.unescape(attributes.get("value", ""))
        )
    for name, value in re.findall(
        r'<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>', owner[0], re.S
    ):
        fields.setdefault(html.unescape(name), []).append(html.unescape(value))
    fields[switch_name] = [switch_value]
    return fields


def _switch(client: Client, page: str, action: str):
    return client.post(action, _switch_form(page, action))


def test_the_answers_of_an_exercise_shown_back_go_with_the_switch_to_english():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/de" + EXERCISE, {"exercise": "coping", "helps": WORDS, "feelings": ["lonely", "shame"]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{EXERCISE}"' not in _languages(page)  # no link that drops them
    fields = _switch_form(page, EXERCISE)
    assert fields["helps"] == [WORDS] and fields["feelings"] == ["lonely", "shame"]

    switched = _switch(client, page, EXERCISE)
    assert switched.status_code == 200
    assert '<html lang="en">' in switched.content.decode()
    assert "The language changed, nothing is lost" in switched.content.decode()
    resent = _resend_fields(switched.content.decode())
    assert "csrfmiddlewaretoken" not in resent  # a reader without a mailbox, as before
    again = client.post(EXERCISE, resent)
    assert again.status_code == 200
    assert html.escape(WORDS) in again.content.decode()
    assert 'name="codename"' not in again.content.decode()


def _resend_fields(page: str) -> dict[str, list[str]]:
    main = re.search(r"<main.*?</main>", page, re.S).group(0)
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', main):
        fields.setdefault(name, []).append(html.unescape(value))
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', main, re.S):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


def test_a_refused_message_goes_with_the_switch_and_nothing_is_sent_on_the_way():
    client = Client(enforce_csrf_checks=False)
    codename = open_new_mailbox(client, "/de")
    refused = client.post("/de/mailbox/write/", {"body": f"{WORDS} {codename}", "centre": ""})
    assert refused.status_code == 400
    page = refused.content.decode()
    fields = _switch_form(page, "/mailbox/write/")
    assert fields["body"] == [f"{WORDS} {codename}"]

    # Even an entry that would be sent as it stands is only shown again.
    fields["body"] = [WORDS]
    switched = client.post("/mailbox/write/", fields)
    assert switched.status_code == 200
    assert Message.objects.count() == 0
    shown = switched.content.decode()
    assert html.escape(WORDS) in shown and 'action="/mailbox/write/"' in shown


def _token(client: Client, path: str) -> str:
    page = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_self_check_result_goes_with_the_switch_and_is_not_counted_twice():
    client = Client(enforce_csrf_checks=True)
    token = _token(client, "/de/self-check/")
    result = client.post("/de/self-check/", {**SELF_CHECK, "csrfmiddlewaretoken": token})
    assert result.status_code == 200
    counted = sum(DailyCount.objects.values_list("count", flat=True))
    switched = _switch(client, result.content.decode(), "/self-check/")
    assert switched.status_code == 200
    assert sum(DailyCount.objects.values_list("count", flat=True)) == counted
    again = _resend_fields(switched.content.decode())
    assert again["worry"] == ["own_thoughts"]

    # "Continue" shows the result in English: read twice, counted once.
    english = client.post("/self-check/", {key: values[0] for key, values in again.items()})
    assert english.status_code == 200
    assert '<html lang="en">' in english.content.decode()
    assert sum(DailyCount.objects.values_list("count", flat=True)) == counted
    # And back to German: still once.
    back = _switch(client, english.content.decode(), "/de/self-check/")
    fields = _resend_fields(back.content.decode())
    assert fields["counted"] == ["1"]
    client.post("/de/self-check/", {key: values[0] for key, values in fields.items()})
    assert sum(DailyCount.objects.values_list("count", flat=True)) == counted


def test_a_new_self_check_from_the_empty_page_is_counted_again():
    """The marker is the result page's only: a check filled in afresh counts."""
    client = Client()
    client.post("/self-check/", SELF_CHECK)
    counted = sum(DailyCount.objects.values_list("count", flat=True))
    client.post("/self-check/", SELF_CHECK)
    assert sum(DailyCount.objects.values_list("count", flat=True)) > counted


def test_the_switch_from_english_to_german_speaks_german():
    client = Client(enforce_csrf_checks=True)
    response = client.post(EXERCISE, {"exercise": "coping", "helps": WORDS})
    switched = _switch(client, response.content.decode(), "/de" + EXERCISE)
    page = switched.content.decode()
    assert '<html lang="de">' in page
    assert "Die Sprache wurde gewechselt, nichts ist verloren" in page
    assert ">Weiter</button>" in page and "Noch einmal senden" not in page


def test_a_switch_without_the_csrf_token_sends_nothing_either():
    client = Client()
    open_new_mailbox(client)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        "/de/mailbox/write/", {"body": WORDS, "centre": "", "forestall_language_switch": "de"}
    )
    assert response.status_code == 403
    assert Message.objects.count() == 0
    assert html.escape(WORDS) in response.content.decode()


def test_pages_that_answer_no_form_keep_plain_links():
    # (A page with a form being typed into, such as an exercise, has buttons
    # of that form instead: tests/test_language_switch_while_typing.py.)
    page = Client().get("/de/self-help/self/").content.decode()
    assert '<a href="/self-help/self/"' in _languages(page)
    assert "<form" not in _languages(page)


def test_a_recorded_questionnaire_switches_by_link_not_by_sending_it_again(
    client, centre_a, clinician_a
):
    pending, _codename = _pending_questionnaire(client, centre_a, clinician_a)
    address = f"/mailbox/questionnaires/{pending.pk}/"
    done = client.post(address, _questionnaire_answers())
    assert done.status_code == 200
    nav = _languages(done.content.decode())
    assert f'<a href="/de{address}"' in nav and "<form" not in nav
