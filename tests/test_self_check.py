"""The anonymous self-check: feedback at once, nothing about the answers kept."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlparse

import pytest

from forestall.inbox.forms import is_urgent_token
from forestall.stats.events import Detail, Event
from forestall.stats.models import DailyCount
from tests.database_dump import database_rows_text

pytestmark = pytest.mark.django_db


def counts():
    return list(
        DailyCount.objects.filter(event=Event.SELF_CHECK_COMPLETED).values(
            "detail", "language", "pathway", "count"
        )
    )


def test_the_self_check_asks_its_questions_in_english_and_german(client):
    english = client.get("/self-check/").content.decode()
    german = client.get("/de/self-check/").content.decode()
    assert "What worries you most?" in english
    assert 'name="child_at_risk"' in english
    assert "Was macht Ihnen am meisten Sorgen?" in german
    assert '<html lang="de">' in german


def test_a_child_at_risk_gives_urgent_emergency_guidance_first(client):
    response = client.post(
        "/self-check/", {"worry": "own_thoughts", "urgency": "now", "child_at_risk": "yes"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="urgent" role="alert"' in page
    assert page.index("110") < page.index("<h1>")
    assert "Urgent: a child may be at risk now" in page
    assert counts() == [{"detail": Detail.URGENT, "language": "en", "pathway": "self", "count": 1}]


def test_the_urgent_result_links_to_a_mailbox_with_a_signed_urgent_flag_only(client):
    page = client.post("/self-check/", {"child_at_risk": "yes", "worry": "someone_else"}).content
    link = re.search(rb'href="(/mailbox/start/\?[^"]+)"', page).group(1).decode()
    query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert set(query) == {"pathway", "urgent"}
    assert query["pathway"] == ["other"]
    assert is_urgent_token(query["urgent"][0])
    start = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'value="{query["urgent"][0]}"' in start


def test_wanting_to_talk_recommends_a_centre(client):
    page = client.post("/self-check/", {"help_wanted": "talk"}).content.decode()
    assert "Contact a centre near you" in page
    assert 'href="/centres/"' in page
    assert counts()[0]["detail"] == Detail.CONTACT_CENTRE


def test_wanting_to_write_recommends_a_counsellor_without_urgency(client):
    page = client.post("/self-check/", {"help_wanted": "write", "worry": "images"}).content
    assert b"Write to a counsellor" in page
    assert b'href="/mailbox/start/?pathway=self"' in page
    assert b"urgent=" not in page


def test_reading_first_recommends_self_help(client):
    page = client.post("/self-check/", {"help_wanted": "read", "worry": "professional"}).content
    assert b"Start with reading" in page
    assert b'href="/help/professionals/"' in page
    assert counts()[0] == {
        "detail": Detail.SELF_HELP,
        "language": "en",
        "pathway": "professional",
        "count": 1,
    }


def test_skipping_every_question_still_gives_a_next_step(client):
    response = client.post("/self-check/", {})
    assert response.status_code == 200
    assert b"Your next step" in response.content
    assert counts()[0]["pathway"] == ""


def test_the_result_is_german_on_the_german_page(client):
    page = client.post("/de/self-check/", {"child_at_risk": "yes"}).content.decode()
    assert "Dringend: Ein Kind könnte jetzt in Gefahr sein" in page
    assert counts()[0]["language"] == "de"


def test_an_answer_that_is_not_offered_is_refused_with_the_form_again(client):
    response = client.post("/self-check/", {"worry": "<script>", "urgency": "soon"})
    assert response.status_code == 400
    assert b'name="worry"' in response.content
    assert re.search(rb'value="soon"[^>]*checked', response.content)
    assert not counts()


def test_nothing_about_the_answers_is_stored_or_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(
        "/self-check/",
        {"worry": "images", "urgency": "now", "child_at_risk": "not_sure", "help_wanted": "talk"},
    )
    stored = database_rows_text()
    for answer in ("images", "not_sure", "help_wanted", "child_at_risk"):
        assert answer not in stored
        assert answer not in caplog.text
    assert DailyCount.objects.filter(event=Event.SELF_CHECK_COMPLETED).count() == 1
