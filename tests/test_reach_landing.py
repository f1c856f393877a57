"""The landing page /r/<partner>/<variant>/ and the funnel that follows it."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from forestall.cases import actions as case_actions
from forestall.cases.models import Case
from forestall.inbox.models import Conversation, Mailbox
from forestall.reach.arrival import COOKIE_NAME
from forestall.reach.models import ClickThroughCount
from forestall.stats.events import Event
from forestall.stats.models import DailyCount, MonthlyCount, Source
from tests.database_dump import raw_database_text
from tests.factories_reach import DETERRENT_ID, make_partner, reach_defaults  # noqa: F401 - autouse fixture
from tests.journey_privacy import captured_logs
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return make_partner("ahmia")


def _clicks(**filters) -> int:
    return sum(ClickThroughCount.objects.filter(**filters).values_list("count", flat=True))


def _reach_count(event: str) -> int:
    return sum(
        DailyCount.objects.filter(event=event, source=Source.REACH).values_list("count", flat=True)
    )


def test_the_landing_page_shows_the_variant_with_next_steps_in_english(client, partner):
    response = client.get(f"/r/ahmia/{DETERRENT_ID}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Stop. What you are searching for is illegal." in page
    assert "Confidential, free help is available" in page
    assert 'href="/self-check/"' in page
    assert 'href="/mailbox/start/"' in page
    assert 'href="/centres/"' in page
    assert "<script" not in page.split("</head>")[1]


def test_the_landing_page_speaks_german_under_de(client, partner):
    page = client.get(f"/de/r/ahmia/{DETERRENT_ID}/").content.decode()
    assert 'lang="de"' in page
    assert "Stopp. Wonach Sie suchen, ist verboten." in page
    assert 'href="/de/self-check/"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/r/nobody/" + DETERRENT_ID + "/",
        "/r/ahmia/not-a-variant/",
        "/r/ahmia/00000000-0000-4000-8000-0000000000aa/",
        "/r/x/y/",
    ],
)
def test_an_unknown_partner_or_variant_still_shows_help_and_counts_as_unknown(
    client, partner, path
):
    response = client.get(path)
    assert response.status_code == 200
    assert b"/mailbox/start/" in response.content
    assert b"help" in response.content.lower()
    row = ClickThroughCount.objects.get()
    assert row.count == 1
    assert row.partner is None or row.variant is None


def test_a_landing_counts_once_per_visit(client, partner):
    for _ in range(3):
        client.get(f"/r/ahmia/{DETERRENT_ID}/")
    assert _clicks(partner=partner, variant_id=DETERRENT_ID, language="en") == 1

    Client().get(f"/de/r/ahmia/{DETERRENT_ID}/")
    assert _clicks(partner=partner, variant_id=DETERRENT_ID, language="de") == 1
    assert _clicks() == 2


def test_the_browser_keeps_only_a_constant_arrived_through_reach_cookie(client, partner):
    first = client.get(f"/r/ahmia/{DETERRENT_ID}/")
    other = Client().get(f"/r/nobody/{uuid.uuid4()}/")
    cookie = first.cookies[COOKIE_NAME]
    assert cookie.value == "1" == other.cookies[COOKIE_NAME].value
    assert cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]
    assert set(first.cookies) == {COOKIE_NAME}
    assert "ahmia" not in cookie.value and DETERRENT_ID not in cookie.value


def test_nothing_identifying_is_stored_or_logged(partner):
    browser = Client(
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="Mozilla/5.0 UniqueAgent/4242",
        HTTP_REFERER="https://search.example/?q=secret-query-term",
    )
    with captured_logs() as lines:
        browser.get(f"/r/ahmia/{DETERRENT_ID}/?q=another-secret-query")
    dump = raw_database_text()
    logs = "\n".join(lines)
    for needle in ("203.0.113.77", "UniqueAgent", "secret-query-term", "another-secret-query"):
        assert needle not in dump
        assert needle not in logs


def test_the_query_a_link_carries_is_not_repeated_in_the_page(client, partner):
    """A partner's link with tracking or the search in it: the language switch drops it."""
    for prefix in ("", "/de"):
        page = client.get(f"{prefix}/r/ahmia/{DETERRENT_ID}/?q=secret+query&utm_term=x")
        assert page.status_code == 200
        assert b"secret" not in page.content and b"utm_term" not in page.content
        other = "/de" if not prefix else ""
        assert f'href="{other}/r/ahmia/{DETERRENT_ID}/"'.encode() in page.content


def test_only_get_and_head_are_answered(client, partner):
    assert client.post(f"/r/ahmia/{DETERRENT_ID}/").status_code == 405
    assert _clicks() == 0


def test_a_head_request_is_nobodys_arrival(client, partner):
    """A link checker or a chat app's preview asks for the headers of the link a partner
    shows: no landing is counted, and no "arrived through reach" cookie is set, which would
    keep the person's own visit afterwards from counting (and mark their steps "reach")."""
    response = client.head(f"/r/ahmia/{DETERRENT_ID}/")
    assert response.status_code == 200
    assert COOKIE_NAME not in response.cookies
    assert _clicks() == 0

    assert COOKIE_NAME in client.get(f"/r/ahmia/{DETERRENT_ID}/").cookies
    assert _clicks(partner=partner, variant_id=DETERRENT_ID, language="en") == 1


def test_the_reach_funnel_is_counted_through_to_a_first_message_a_case_and_therapy(
    client, partner, centre_a, counsellor_a
):
    client.get(f"/r/ahmia/{DETERRENT_ID}/")
    client.post("/self-check/", {"help_wanted": "write", "worry": "images"})
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "I need help to stop.", "centre": ""})

    assert _reach_count(Event.SELF_CHECK_COMPLETED) == 1
    assert _reach_count(Event.MAILBOX_STARTED) == 1
    assert _reach_count(Event.CONTACT) == 1
    mailbox = Mailbox.objects.get()
    assert mailbox.through_reach is True

    conversation = Conversation.objects.get()
    case_actions.open_enquiry_from_conversation(
        conversation, centre_a, by=counsellor_a, consent_note="Agreed."
    )
    assert _reach_count(Event.CASE_OPENED) == 1
    assert MonthlyCount.objects.filter(event=Event.CONTACT, source=Source.REACH).exists()

    # ... and to the end of the chain: therapy started.
    case = Case.objects.get(conversation=conversation)
    for stage in ("screening", "assessment", "in_treatment"):
        case_actions.transition_case(case, stage, by=counsellor_a)
    assert _reach_count(Event.THERAPY_STARTED) == 1
    assert not DailyCount.objects.filter(event=Event.THERAPY_STARTED, source=Source.LIVE).exists()


def test_without_a_landing_the_same_steps_count_as_live(client):
    client.post("/self-check/", {"help_wanted": "write", "worry": "images"})
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "Hello.", "centre": ""})
    assert not DailyCount.objects.filter(source=Source.REACH).exists()
    assert DailyCount.objects.filter(event=Event.CONTACT, source=Source.LIVE).exists()
    assert Mailbox.objects.get().through_reach is False
