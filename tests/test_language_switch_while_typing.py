"""Switching the language while typing a message never drops it (JavaScript off).

On the mailbox page the switch was a plain link: someone halfway through a
message who chose the other language lost every word. There the switch is
now a button of the message form (the ``form`` attribute, no script) that
sends what is typed to the form's address in the other language, where
nothing is sent: it comes back in that language, to send.
"""

from __future__ import annotations

import html
import re

import pytest

from forestall.inbox.models import Message
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db

TYPED = "Half a message, & <not> sent yet."


def test_the_mailbox_language_switch_belongs_to_the_message_form(client):
    open_new_mailbox(client)
    page = client.get("/mailbox/").content.decode()
    switch = page.split('class="languages"')[1].split("</nav>")[0]
    assert 'href="/de/mailbox/"' not in switch
    assert re.search(
        r'<button type="submit" form="message-form" formaction="/de/mailbox/write/"', switch
    )
    assert '<form method="post" action="/mailbox/write/" id="message-form"' in page


def test_what_is_typed_comes_back_in_the_other_language_and_is_not_sent(client):
    open_new_mailbox(client)
    client.get("/mailbox/")
    response = client.post(
        "/de/mailbox/write/",
        {"body": TYPED, "centre": "", "forestall_language_switch": "de"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de"' in page
    assert html.escape(TYPED, quote=False) in page or html.escape(TYPED) in page
    assert not Message.objects.exists()
    client.post("/de/mailbox/write/", {"body": TYPED, "centre": ""})
    assert Message.objects.get().body == TYPED


def test_pages_without_a_form_being_typed_keep_plain_links(client):
    page = client.get("/confidentiality/").content.decode()
    assert 'href="/de/confidentiality/"' in page.split('class="languages"')[1].split("</nav>")[0]


def test_a_self_help_exercise_being_typed_goes_along_to_the_other_language(client):
    page = client.get("/self-help/self/urge-surfing/").content.decode()
    switch = page.split('class="languages"')[1].split("</nav>")[0]
    assert 'form="exercise-form-surf-plan"' in switch
    assert 'formaction="/de/self-help/self/urge-surfing/"' in switch
    assert 'id="exercise-form-surf-plan"' in page
    answer = "I will go for a walk."
    response = client.post(
        "/de/self-help/self/urge-surfing/",
        {"exercise": "surf-plan", "words": answer, "forestall_language_switch": "de"},
    )
    assert response.status_code == 200
    assert answer in response.content.decode()


def _button(page: str) -> str:
    main = page.split("<main", 1)[1]
    return re.search(r'<button type="submit">([^<]*)</button>', main).group(1)


@pytest.mark.parametrize(
    ("language", "send", "never"),
    [("de", "Meine Nachricht senden", "noch einmal"), ("en", "Send my message", "again")],
)
def test_the_page_after_the_switch_says_the_message_was_not_sent_and_offers_to_send_it(
    client, language, send, never
):
    open_new_mailbox(client)
    prefix = "/de" if language == "de" else ""
    page = client.post(
        f"{prefix}/mailbox/write/",
        {"body": TYPED, "centre": "", "forestall_language_switch": language},
    ).content.decode()
    assert _button(page) == send
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert never not in main.lower()
    assert not Message.objects.exists()


@pytest.mark.parametrize(("language", "go_on"), [("de", "Weiter"), ("en", "Continue")])
def test_an_exercise_carried_across_the_switch_goes_on_rather_than_sends_again(
    client, language, go_on
):
    prefix = "/de" if language == "de" else ""
    page = client.post(
        f"{prefix}/self-help/self/urge-surfing/",
        {"exercise": "surf-plan", "words": "A walk.", "forestall_language_switch": language},
    ).content.decode()
    assert _button(page) == go_on
    assert "again" not in page.split("<main", 1)[1].split("</main>")[0].lower()


def test_a_form_that_expired_still_offers_to_send_it_again(client):
    from django.test import Client

    open_new_mailbox(client)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    page = strict.post("/mailbox/write/", {"body": TYPED, "centre": ""}).content.decode()
    assert "This form expired" in page
    assert _button(page) == "Send again"


def _switch(page: str) -> str:
    return page.split('class="languages"')[1].split("</nav>")[0]


def test_an_exercise_shown_back_sends_its_form_as_changed_since_not_as_first_sent(client):
    """After "Show my answers" the answers are in the form again, to change: the
    switch carried the entries as first sent, and every change made on the
    page since was lost in the other language."""
    first = "A walk."
    page = client.post(
        "/self-help/self/urge-surfing/", {"exercise": "surf-plan", "words": first}
    ).content.decode()
    assert first in page
    switch = _switch(page)
    assert 'form="exercise-form-surf-plan"' in switch
    assert 'formaction="/de/self-help/self/urge-surfing/"' in switch
    assert first not in switch and 'name="words"' not in switch
    german = client.post(
        "/de/self-help/self/urge-surfing/",
        {
            "exercise": "surf-plan",
            "words": "A walk, then a call.",
            "forestall_language_switch": "de",
        },
    ).content.decode()
    assert "A walk, then a call." in german


def test_a_message_shown_back_sends_its_form_as_changed_since_not_as_first_sent(client):
    open_new_mailbox(client)
    client.get("/mailbox/")
    refused = client.post("/mailbox/write/", {"body": "x" * 20_000, "centre": ""})
    assert refused.status_code == 400
    switch = _switch(refused.content.decode())
    assert 'form="message-form"' in switch
    assert 'formaction="/de/mailbox/write/"' in switch
    assert 'name="body"' not in switch and "xxxx" not in switch
