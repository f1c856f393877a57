"""Answers typed before "Start a mailbox" come along, if the reader chooses to keep them.

An outsider did a self-help exercise without a mailbox, typed answers, then
pressed "Start a mailbox": the answers were gone. Now every exercise of a
reader without a mailbox has "Start a mailbox and keep these answers": the
answers travel inside the pages only (nothing stored), are shown back with
a ticked "keep my answers" box, and are stored, encrypted in the new
mailbox's workbook and nowhere else, only when the mailbox is started with
the box ticked.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from forestall.inbox.models import Mailbox
from forestall.selfhelp import actions
from forestall.selfhelp.models import Workbook
from tests.database_dump import raw_database_text
from tests.test_mailbox import CODENAME

pytestmark = pytest.mark.django_db

ANSWER = "Kingfisher-answer 5823: the evenings alone"
PLAN = "/self-help/self/safety-plan/"
KEEP = PLAN + "keep/"
TYPED = {"exercise": "plan", "warning-signs": ANSWER, "reasons": "my family"}


def _keep_and_start(client: Client, prefix: str = "", **extra: str):
    return client.post(f"{prefix}{KEEP}", {**TYPED, "create": "1", **extra})


def test_every_exercise_without_a_mailbox_offers_to_keep_its_answers_and_says_so_first(client):
    page = client.get(PLAN).content.decode()
    form = re.search(
        r'<form method="post" action="/self-help/self/safety-plan/#exercise-plan".*?</form>',
        page,
        re.S,
    )[0]
    assert f'formaction="{KEEP}"' in form
    assert "Start a mailbox and keep these answers" in form
    notice = page.index("unless you keep it in a mailbox")
    assert notice < page.index("<textarea")
    german = client.get("/de" + PLAN).content.decode()
    assert "Postfach anlegen und diese Antworten behalten" in german
    assert german.index("außer Sie bewahren es in einem Postfach auf") < german.index("<textarea")


def test_pressing_keep_shows_the_answers_back_with_the_choice_and_stores_nothing(client):
    response = client.post(KEEP, TYPED)
    page = response.content.decode()
    assert response.status_code == 200
    assert html.escape(ANSWER) in page or ANSWER in page
    assert re.search(r'name="keep" value="on" id="id_keep" checked', page)
    assert "Nothing has been stored yet" in page
    assert not Mailbox.objects.exists()
    assert ANSWER not in raw_database_text()


def test_starting_the_mailbox_keeps_the_answers_encrypted_in_it_and_leads_back(client):
    response = _keep_and_start(client, keep="on")
    assert response.status_code == 302
    assert response["Location"] == "/mailbox/start/codename/?selfhelp=self%2Fsafety-plan"
    mailbox = Mailbox.objects.get()
    assert mailbox.pathway == "self"
    answers = actions.read_workbook(mailbox)["answers"]
    assert answers["self/safety-plan/plan"]["values"]["warning-signs"] == ANSWER
    assert ANSWER not in raw_database_text()  # encrypted
    codename = CODENAME.search(client.get(response["Location"]).content).group(1).decode()
    opened = client.post(
        "/mailbox/start/confirm/",
        {"codename": codename, "confirmed": "on", "selfhelp": "self/safety-plan"},
        follow=True,
    )
    assert opened.redirect_chain[-1][0] == PLAN
    assert ANSWER in opened.content.decode()


def test_unticking_the_box_starts_an_empty_mailbox(client):
    response = _keep_and_start(client)
    assert response.status_code == 302
    assert Mailbox.objects.count() == 1
    assert not Workbook.objects.exists()


def test_a_family_programme_starts_a_mailbox_of_the_someone_else_pathway(client):
    client.post(
        "/self-help/family/signs/keep/",
        {"exercise": "noticed", "create": "1", "keep": "on", "what": "x"},
    )
    assert Mailbox.objects.get().pathway == "other"


def test_going_back_without_a_mailbox_shows_the_answers_and_stores_nothing(client):
    page = client.post(KEEP, TYPED).content.decode()
    assert f'formaction="{PLAN}#exercise-plan"' in page
    back = client.post(PLAN, {**TYPED, "create": "1", "keep": "on"})
    assert back.status_code == 200 and ANSWER in back.content.decode()
    assert not Mailbox.objects.exists()


def test_another_site_cannot_start_a_mailbox_with_answers(client):
    response = client.post(
        KEEP,
        {**TYPED, "create": "1", "keep": "on"},
        HTTP_ORIGIN="https://elsewhere.example",
    )
    assert response.status_code == 302 and response["Location"] == PLAN
    assert not Mailbox.objects.exists()


def test_an_answer_too_long_comes_back_with_everything_and_nothing_is_started(client):
    response = client.post(
        KEEP, {**TYPED, "warning-signs": "x" * 2001, "create": "1", "keep": "on"}
    )
    assert response.status_code == 400
    assert not Mailbox.objects.exists()


def test_too_many_new_mailboxes_answer_429_with_the_answers_kept(client, monkeypatch):
    from forestall.selfhelp import public_views

    monkeypatch.setattr(public_views, "start_refused", lambda request: True)
    response = _keep_and_start(client, keep="on")
    assert response.status_code == 429
    assert ANSWER in response.content.decode()
    assert not Mailbox.objects.exists()


def test_it_works_in_german(client):
    page = client.post("/de" + KEEP, TYPED).content.decode()
    assert "Ihre Antworten in einem neuen Postfach behalten" in page
    response = _keep_and_start(client, prefix="/de", keep="on")
    assert response["Location"].startswith("/de/mailbox/start/codename/")
    assert Mailbox.objects.get().language == "de"


def test_a_reader_signed_in_meanwhile_saves_as_usual(client):
    from tests.test_mailbox import open_new_mailbox

    open_new_mailbox(client)
    response = client.post(KEEP, TYPED)
    assert response["Location"] == PLAN + "?saved=plan#exercise-plan"
    mailbox = Mailbox.objects.get()
    assert actions.read_workbook(mailbox)["answers"]["self/safety-plan/plan"]["values"]


@pytest.mark.parametrize(
    ("language", "other", "title"),
    [
        ("en", "de", "Ihre Antworten in einem neuen Postfach behalten"),
        ("de", "en", "Keep your answers in a new mailbox"),
    ],
)
def test_answers_changed_on_the_keep_page_go_along_when_the_language_changes(
    client, language, other, title
):
    """The keep page shows the answers to change: its language switch carried
    them as they came from the exercise, so a change made there was lost; and
    after a refused "Create my mailbox" it carried "create", so "Continue" in
    the other language started the mailbox unseen. The switch now sends the
    page's form as it is, and only the button "Create my mailbox" says create."""
    prefix = "/de" if language == "de" else ""
    other_prefix = "/de" if other == "de" else ""
    page = client.post(
        f"{prefix}{KEEP}", {**TYPED, "create": "1", "keep": "on", "warning-signs": "x" * 2001}
    )
    assert page.status_code == 400
    switch = page.content.decode().split('class="languages"')[1].split("</nav>")[0]
    assert 'form="exercise-form-plan"' in switch
    assert f'formaction="{other_prefix}{KEEP}"' in switch
    assert 'name="create"' not in switch and "xxxx" not in switch
    form = re.search(
        r'<form method="post" action="[^"]*keep/".*?</form>', page.content.decode(), re.S
    )[0]
    assert len(re.findall(r'name="create"', form)) == 1
    assert re.search(r'<button type="submit" name="create" value="1">', form)
    # What the browser sends with the switch: the form as changed, the box unticked.
    changed = {"exercise": "plan", "warning-signs": ANSWER, "reasons": "changed here"}
    switched = client.post(
        f"{other_prefix}{KEEP}",
        {**changed, "keep_offered": "1", "forestall_language_switch": other},
    )
    assert switched.status_code == 200 and "changed here" in switched.content.decode()
    carried = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', switched.content.decode()
        )
    )
    assert "create" not in carried
    again = client.post(f"{other_prefix}{KEEP}", {**changed, "keep_offered": "1"})
    shown = again.content.decode()
    assert again.status_code == 200 and title in shown
    assert "changed here" in shown
    assert re.search(r'name="keep" value="on" id="id_keep">', shown)  # as they left it
    assert not Mailbox.objects.exists()


def test_create_sent_again_before_the_codename_is_confirmed_starts_no_second_mailbox(client):
    """Back from the codename page and "resend" (or a reload of the POST)
    started a second mailbox: the first, with the answers, unreachable, and
    the page that shows a codename "once" showed another. Now the mailbox this
    browser started is the one, its answers replaced by what was sent again."""
    first = _keep_and_start(client, keep="on")
    codename = CODENAME.search(client.get(first["Location"]).content).group(1).decode()
    again = client.post(
        KEEP,
        {**TYPED, "warning-signs": "Changed before sending again", "create": "1", "keep": "on"},
    )
    assert again.status_code == 302 and again["Location"] == first["Location"]
    mailbox = Mailbox.objects.get()
    answers = actions.read_workbook(mailbox)["answers"]
    assert list(answers) == ["self/safety-plan/plan"]
    assert answers["self/safety-plan/plan"]["values"]["warning-signs"] == (
        "Changed before sending again"
    )
    shown = CODENAME.search(client.get(again["Location"]).content).group(1).decode()
    assert shown == codename


def test_create_after_the_unconfirmed_mailbox_was_purged_starts_a_new_one(client):
    _keep_and_start(client, keep="on")
    Mailbox.objects.all().delete()
    again = _keep_and_start(client, keep="on")
    assert again.status_code == 302
    assert Mailbox.objects.count() == 1


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_an_answer_not_kept_never_stands_between_the_reader_and_the_mailbox(client, prefix):
    """With the box unticked nothing typed is stored, yet an answer too long
    refused the mailbox (400) until it was shortened."""
    response = client.post(f"{prefix}{KEEP}", {**TYPED, "warning-signs": "x" * 2001, "create": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{prefix}/mailbox/start/codename/")
    assert Mailbox.objects.count() == 1
    assert not Workbook.objects.exists()


def test_create_sent_again_is_held_to_the_save_limits_with_the_answers_kept(client, monkeypatch):
    from forestall.selfhelp import public_views

    _keep_and_start(client, keep="on")
    monkeypatch.setattr(public_views, "_save_refused", lambda request, mailbox: True)
    again = client.post(KEEP, {**TYPED, "warning-signs": "Sent again", "create": "1", "keep": "on"})
    assert again.status_code == 429 and "Sent again" in again.content.decode()
    assert Mailbox.objects.count() == 1
    answers = actions.read_workbook(Mailbox.objects.get())["answers"]
    assert answers["self/safety-plan/plan"]["values"]["warning-signs"] == ANSWER


def _signed_in_elsewhere(prefix: str = "") -> tuple[Client, str]:
    """A browser (CSRF checked) that was shown the keep page signed out, then
    signed in to a mailbox in another tab; returns it and the page's form."""
    from tests.test_mailbox import open_new_mailbox

    browser = Client(enforce_csrf_checks=True)
    page = browser.post(f"{prefix}{KEEP}", TYPED).content.decode()
    other_tab = Client()
    open_new_mailbox(other_tab, prefix)
    for name, cookie in other_tab.cookies.items():
        browser.cookies[name] = cookie.value
    return browser, page


@pytest.mark.parametrize(
    ("prefix", "said"),
    [
        ("", "You are signed in to a mailbox in this browser"),
        ("/de", "Sie sind in diesem Browser bei einem Postfach angemeldet"),
    ],
)
def test_create_after_signing_in_elsewhere_says_so_not_expired_and_keeps_the_answers(prefix, said):
    """The keep page, shown signed out, has no CSRF token; a reader who signed
    in meanwhile in another tab and pressed "Create my mailbox" got "This
    form expired": untrue and alarming. Now the page says what happened, keeps
    the answers on the page, and offers to keep them in that mailbox."""
    browser, page = _signed_in_elsewhere(prefix)
    once = re.search(r'name="once" value="([^"]+)"', page)[1]
    sent = {**TYPED, "create": "1", "keep": "on", "keep_offered": "1", "once": once}
    response = browser.post(f"{prefix}{KEEP}", sent)
    shown = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert said in shown
    heading = {"": "Where to keep your answers", "/de": "Wo Sie Ihre Antworten behalten"}
    assert f"<h1>{heading[prefix]}</h1>" in shown
    assert "expired" not in shown.lower() and "abgelaufen" not in shown
    assert ANSWER in shown
    assert Mailbox.objects.count() == 1  # no second mailbox
    assert not Workbook.objects.exists()  # and nothing stored unchecked
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown)[1]
    kept = browser.post(
        f"{prefix}{KEEP}",
        {**TYPED, "keep": "on", "keep_offered": "1", "into_signed_in": "1"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert kept.status_code == 302
    assert kept["Location"] == f"{prefix}{PLAN}?saved=plan#exercise-plan"
    answers = actions.read_workbook(Mailbox.objects.get())["answers"]
    assert answers["self/safety-plan/plan"]["values"]["warning-signs"] == ANSWER


def test_create_with_a_valid_token_while_signed_in_neither_starts_nor_saves_silently():
    """Pressed again on the page that said so, still signed in: the same page,
    not a save into the signed-in mailbox under a button that says "Create"."""
    browser, _page = _signed_in_elsewhere()
    first = browser.post(KEEP, {**TYPED, "create": "1", "keep": "on"}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first)[1]
    response = browser.post(KEEP, {**TYPED, "create": "1", "keep": "on"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    assert "You are signed in to a mailbox in this browser" in response.content.decode()
    assert Mailbox.objects.count() == 1
    assert not Workbook.objects.exists()


@pytest.mark.parametrize("meanwhile_page", [True, False], ids=["from-409-page", "from-keep-page"])
def test_continue_after_a_language_switch_while_signed_in_stores_nothing_unchosen(meanwhile_page):
    """The switch page says nothing was sent or stored, and "Continue" goes on
    as the page before would have. From "Where to keep your answers" (or from
    a keep page shown signed out, the reader signed in meanwhile) it sent the
    form without a button, and that saved the answers into the signed-in
    mailbox, the choice the page had just left to the reader. Now it shows
    that page again, in the other language, and stores nothing."""
    browser, page = _signed_in_elsewhere()
    if meanwhile_page:
        page = browser.post(KEEP, {**TYPED, "create": "1", "keep": "on", "keep_offered": "1"})
        assert page.status_code == 409
        page = page.content.decode()
    shown = browser.get("/de/mailbox/").content.decode()  # a page that carries a token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown)[1]
    sent = {**TYPED, "keep_offered": "1", "keep": "on"}
    switched = browser.post(
        f"/de{KEEP}", {**sent, "forestall_language_switch": "de"}, HTTP_X_CSRFTOKEN=token
    )
    assert switched.status_code == 200
    # What "Continue" sends: the switch page's own form (not the header's switch).
    form = re.search(
        r'<form method="post" action="/de/self-help/[^"]*keep/".*?</form>',
        switched.content.decode(),
        re.S,
    )[0]
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert carried.get("keep_offered") == "1" and "into_signed_in" not in carried
    carried.pop("csrfmiddlewaretoken", None)
    response = browser.post(f"/de{KEEP}", carried, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    assert "Sie sind in diesem Browser bei einem Postfach angemeldet" in html.unescape(
        response.content.decode()
    )
    assert ANSWER in html.unescape(response.content.decode())
    assert not Workbook.objects.exists()
    kept = browser.post(f"/de{KEEP}", {**sent, "into_signed_in": "1"}, HTTP_X_CSRFTOKEN=token)
    assert kept.status_code == 302 and Workbook.objects.exists()
