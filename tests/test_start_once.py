"""A form that starts a mailbox, sent twice at once (a double click), starts one mailbox.

With JavaScript off nothing stops a second click on "Create my mailbox": the
browser sends the same form again while the first is still being answered.
Neither request had the codename cookie the other was about to set, so both
started a mailbox: the person saw one codename, the other mailbox (on the
self-help keep page: with their answers) was unreachable, and the funnel
counted two starts. Now each rendering of the form carries a one-time token
(``forestall.inbox.start_once``): the second sending waits for the first,
finds it, and leads to the same codename.
"""

from __future__ import annotations

import re

import pytest
from django.db.models import Sum
from django.test import Client

from forestall.inbox import public_views as inbox_views
from forestall.inbox.models import Mailbox
from forestall.selfhelp import actions as selfhelp_actions
from forestall.stats.events import Event
from forestall.stats.models import DailyCount
from tests.concurrency import at_the_same_moment
from tests.test_mailbox import CODENAME

ONCE = re.compile(r'name="once" value="([^"]+)"')
KEEP = "/self-help/self/safety-plan/keep/"
TYPED = {"exercise": "plan", "warning-signs": "Answers typed before the mailbox existed"}


def _starts_counted() -> int:
    counted = DailyCount.objects.filter(event=Event.MAILBOX_STARTED).aggregate(Sum("count"))
    return counted["count__sum"] or 0


def _start_form(prefix: str = "") -> dict[str, str]:
    page = Client().get(f"{prefix}/mailbox/start/").content.decode()
    return {"pathway": "self", "once": ONCE.search(page).group(1)}


def _keep_form(prefix: str = "") -> dict[str, str]:
    page = Client().post(f"{prefix}{KEEP}", TYPED).content.decode()
    return {**TYPED, "create": "1", "keep": "on", "once": ONCE.search(page).group(1)}


def _codename_shown(client: Client, response) -> bytes:
    assert response.status_code == 302, response.status_code
    return CODENAME.search(client.get(response["Location"]).content).group(1)


@pytest.mark.django_db
def test_every_rendering_of_a_start_form_carries_a_token_of_its_own():
    first, second = _start_form(), _start_form()
    assert first["once"] != second["once"]
    german = _start_form("/de")
    assert german["once"] not in (first["once"], second["once"])
    assert _keep_form()["once"] != _keep_form()["once"]


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/de"])
@pytest.mark.parametrize("form", [_start_form, _keep_form], ids=["start", "keep"])
def test_the_same_sending_arriving_again_leads_to_the_first_mailbox(prefix, form):
    """The browser shows the answer to the second click, which never saw the
    first answer's codename cookie (two clients: no cookie carried over)."""
    data = form(prefix)
    address = f"{prefix}/mailbox/start/" if "pathway" in data else f"{prefix}{KEEP}"
    first_browser, second_browser = Client(), Client()
    first = first_browser.post(address, data)
    second = second_browser.post(address, data)
    assert second["Location"] == first["Location"]
    assert _codename_shown(second_browser, second) == _codename_shown(first_browser, first)
    assert Mailbox.objects.count() == 1
    assert _starts_counted() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("form", [_start_form, _keep_form], ids=["start", "keep"])
def test_the_second_sending_of_a_double_click_is_neither_counted_nor_refused_by_the_limit(
    form, monkeypatch
):
    """The browser shows the answer to the second click. Both sendings were
    counted against the new-mailbox limit before either looked for the other:
    a double click used two of the ten an hour, and at the last one the
    second got "Too many new mailboxes" (429) while the first had started
    the mailbox, its codename never shown. Only a sending that starts a
    mailbox counts now."""
    monkeypatch.setattr(inbox_views, "START_LIMIT", (1, 3600))
    data = form()
    address = "/mailbox/start/" if "pathway" in data else KEEP
    first_browser, second_browser = Client(), Client()
    first = first_browser.post(address, data)
    second = second_browser.post(address, data)
    assert second.status_code == 302, second.status_code
    assert _codename_shown(second_browser, second) == _codename_shown(first_browser, first)
    # The limit still holds for a new sending of the form.
    third = Client().post(address, form())
    assert third.status_code == 429
    assert third.has_header("Retry-After")
    assert Mailbox.objects.count() == 1


@pytest.mark.django_db
def test_a_new_rendering_of_the_form_starts_a_new_mailbox_after_the_first_is_confirmed(client):
    first = client.post("/mailbox/start/", _start_form())
    codename = _codename_shown(client, first).decode()
    client.post("/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"})
    client.post("/mailbox/start/", _start_form())
    assert Mailbox.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_start_form_sent_twice_at_the_same_moment_starts_one_mailbox():
    data = _start_form()
    browsers = [Client(), Client()]
    results = at_the_same_moment(
        lambda: browsers[0].post("/mailbox/start/", data),
        lambda: browsers[1].post("/mailbox/start/", data),
    )
    assert [result.status_code for result in results] == [302, 302], results
    assert Mailbox.objects.count() == 1
    assert _starts_counted() == 1
    shown = {
        _codename_shown(browser, result) for browser, result in zip(browsers, results, strict=True)
    }
    assert len(shown) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_create_my_mailbox_sent_twice_at_the_same_moment_starts_one_mailbox_with_the_answers():
    data = _keep_form()
    browsers = [Client(), Client()]
    results = at_the_same_moment(
        lambda: browsers[0].post(KEEP, data),
        lambda: browsers[1].post(KEEP, data),
    )
    assert [result.status_code for result in results] == [302, 302], results
    mailbox = Mailbox.objects.get()
    answers = selfhelp_actions.read_workbook(mailbox)["answers"]
    assert answers["self/safety-plan/plan"]["values"]["warning-signs"] == TYPED["warning-signs"]
    assert _starts_counted() == 1
    shown = {
        _codename_shown(browser, result) for browser, result in zip(browsers, results, strict=True)
    }
    assert len(shown) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/de"])
def test_no_page_cache_ever_hands_one_token_to_two_visitors(settings, prefix):
    """The token leads to the codename its sending started: it must be one browser's alone."""
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    tokens = {_start_form(prefix)["once"] for _ in range(3)}
    assert len(tokens) == 3
    module = f"{prefix}/self-help/self/safety-plan/"
    assert Client().get(module).status_code == 200
    assert len({_keep_form(prefix)["once"] for _ in range(3)}) == 3
