"""Meeting a crisis at once: urgent self-check answers, help open now, crisis lines everywhere."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from forestall.inbox.models import Conversation, Mailbox
from forestall.public import crisis
from forestall.stats.events import Detail, Event
from forestall.stats.models import DailyCount
from tests import factories
from tests.test_mailbox import CODENAME, open_new_mailbox

pytestmark = pytest.mark.django_db

# A Monday, 10:00 in the deployment's time zone.
MONDAY_MORNING = timezone.make_aware(datetime.datetime(2026, 11, 30, 10, 0))


@pytest.fixture
def monday_morning(monkeypatch):
    monkeypatch.setattr(crisis, "_now", lambda: MONDAY_MORNING)


@pytest.fixture
def centres():
    return {
        "open": factories.make_centre(
            "Open Centre", opening_hours="Mon-Fri 9:00-17:00", public_phone="+49 30 1111"
        ),
        "closed": factories.make_centre(
            "Closed Centre", opening_hours="Sat 10:00-12:00", public_phone="+49 30 2222"
        ),
        "no_phone": factories.make_centre("Silent Centre", opening_hours="Mon-Fri 9:00-17:00"),
        "inactive": factories.make_centre(
            "Gone Centre", opening_hours="24/7", public_phone="+49 30 3333", is_active=False
        ),
    }


def _urgent_link(page: str) -> str:
    return re.search(r'href="(/mailbox/start/\?[^"]+)"', page).group(1).replace("&amp;", "&")


def test_afraid_of_losing_control_gets_help_open_now_not_a_reply_in_days(
    client, monday_morning, centres
):
    response = client.post(
        "/self-check/", {"worry": "own_thoughts", "urgency": "now", "child_at_risk": "no"}
    )
    page = response.content.decode()
    assert "Help you can reach right now" in page
    assert "within a few days" not in page
    open_part = page.split('id="help-now"')[1].split("<details>")[0]
    assert "Open Centre" in open_part and 'href="tel:+49301111"' in open_part
    assert "Mon\u2013Fri 9:00\u201317:00" in open_part
    assert "Closed Centre" not in open_part
    assert "Silent Centre" not in page and "Gone Centre" not in page
    assert "Samaritans" in open_part and "116 123" in open_part
    assert 'href="tel:112"' in open_part
    assert "Write to a counsellor now, marked urgent" in page
    assert DailyCount.objects.get(event=Event.SELF_CHECK_COMPLETED).detail == Detail.URGENT


def test_when_no_centre_is_open_the_page_says_so_and_lists_their_hours(
    client, centres, monkeypatch
):
    saturday_night = timezone.make_aware(datetime.datetime(2026, 12, 5, 23, 0))
    monkeypatch.setattr(crisis, "_now", lambda: saturday_night)
    page = client.post("/self-check/", {"urgency": "now"}).content.decode()
    assert "No centre is open at this moment" in page
    assert "Closed Centre" in page.split("<details>")[1]
    assert "Sat 10:00\u201312:00" in page


def test_the_urgent_path_marks_the_mailbox_and_its_conversation_urgent(client, monday_morning):
    page = client.post("/self-check/", {"urgency": "now"}).content.decode()
    link = _urgent_link(page)
    assert "urgent" in parse_qs(urlparse(link).query)
    start = client.get(link).content.decode()
    urgent = re.search(r'name="urgent" value="([^"]+)"', start).group(1)
    response = client.post("/mailbox/start/", {"pathway": "self", "urgent": urgent}, follow=True)
    codename = CODENAME.search(response.content).group(1).decode()
    client.post("/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"})
    client.post("/mailbox/write/", {"body": "I need help now", "centre": ""})
    assert "Your messages are marked urgent" in client.get("/mailbox/").content.decode()
    assert Mailbox.objects.get().urgent
    assert Conversation.objects.get().urgent


def test_an_existing_mailbox_is_marked_urgent_when_signing_in_from_the_urgent_result(client):
    codename = open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "earlier message", "centre": ""})
    client.post("/mailbox/sign-out/")
    assert not Conversation.objects.get().urgent
    page = client.post("/self-check/", {"urgency": "now"}).content.decode()
    mailbox_link = re.search(r'href="(/mailbox/\?urgent=[^"]+)"', page).group(1)
    signin = client.get(mailbox_link.replace("&amp;", "&")).content.decode()
    urgent = re.search(r'name="urgent" value="([^"]+)"', signin).group(1)
    client.post("/mailbox/", {"codename": codename, "urgent": urgent})
    assert Mailbox.objects.get().urgent
    assert Conversation.objects.get().urgent


def test_a_forged_urgent_value_at_sign_in_changes_nothing(client):
    codename = open_new_mailbox(client)
    client.post("/mailbox/sign-out/")
    client.post("/mailbox/", {"codename": codename, "urgent": "urgent"})
    assert not Mailbox.objects.get().urgent


def test_the_self_check_asks_gently_about_suicide_and_self_harm(client):
    english = client.get("/self-check/").content.decode()
    german = client.get("/de/self-check/").content.decode()
    assert 'name="self_harm"' in english
    assert "not wanting to live any more" in english
    assert "nicht mehr leben zu wollen" in german


def test_thoughts_of_acting_on_self_harm_now_put_the_crisis_line_first(client):
    page = client.post("/self-check/", {"self_harm": "now"}).content.decode()
    alert = page.index('role="alert"')
    assert alert < page.index("<h1>")
    assert "Talk to someone now" in page
    assert page.index("Samaritans") < page.index("<h1>")
    assert 'href="tel:116123"' in page


def test_sometimes_having_such_thoughts_shows_the_crisis_line_with_any_result(client):
    page = client.post("/self-check/", {"self_harm": "sometimes", "help_wanted": "talk"}).content
    text = page.decode()
    assert "Contact a centre near you" in text
    assert text.index("Talk to someone now") < text.index("<h1>")


def test_every_result_offers_the_crisis_line(client):
    for answers in ({"help_wanted": "read"}, {"help_wanted": "write"}, {"child_at_risk": "yes"}):
        main = client.post("/self-check/", answers).content.decode().split("<footer")[0]
        assert "thinking about suicide or about hurting yourself" in main


@pytest.mark.parametrize(
    "address", ["/", "/help/self/", "/self-check/", "/mailbox/", "/centres/", "/confidentiality/"]
)
def test_every_public_footer_offers_the_crisis_line_for_its_language(client, address):
    english = client.get(address).content.decode().split("<footer")[1]
    german = client.get("/de" + address).content.decode().split("<footer")[1]
    assert "Samaritans" in english and 'href="tel:116123"' in english
    assert "TelefonSeelsorge" in german
    assert 'href="tel:08001110111"' in german and 'href="tel:08001110222"' in german


def test_crisis_lines_and_emergency_numbers_are_configured_per_deployment(client, settings):
    settings.FORESTALL_CRISIS_LINES = {
        "*": [{"name": "Lifeline", "phones": ["13 11 14"], "hours": "24/7", "open": "24/7"}]
    }
    settings.FORESTALL_EMERGENCY_NUMBER = "000"
    page = client.get("/de/").content.decode()
    assert "Lifeline" in page and "TelefonSeelsorge" not in page
    assert "000" in page.split("<footer")[1]
    result = client.post("/self-check/", {"child_at_risk": "yes"}).content.decode()
    assert "the emergency number 000" in result


def test_reading_first_leads_to_real_guidance_with_honest_wording(client):
    page = client.post("/self-check/", {"help_wanted": "read", "worry": "someone_else"}).content
    text = page.decode()
    assert "self-help programme for your situation" in text
    assert 'href="/self-help/family/"' in text
    assert 'href="/help/someone-else/"' in text
    guidance = client.get("/help/someone-else/").content.decode()
    assert "How to start a difficult conversation" in guidance


@pytest.mark.parametrize(
    ("address", "phrases"),
    [
        (
            "/help/someone-else/",
            [
                "Signs that can be a reason to talk",
                "If you find sexual images of children",
                "Do not forward, copy",
                "Internet Watch Foundation",
                "jugendschutz.net",
            ],
        ),
        (
            "/de/help/someone-else/",
            [
                "Wie Sie ein schwieriges Gespräch beginnen",
                "Wenn Sie sexuelle Darstellungen",
                "jugendschutz.net",
            ],
        ),
        (
            "/help/professionals/",
            [
                "What you may and must do",
                "How to consult or refer",
                "section 4 KKG",
                "designated safeguarding lead",
            ],
        ),
        ("/de/help/professionals/", ["Was Sie dürfen und müssen", "§ 4 KKG", "Jugendamt"]),
        ("/confidentiality/", ["Use a private window", "clear your history"]),
        ("/de/confidentiality/", ["privates Fenster", "Verlauf"]),
    ],
)
def test_the_guidance_pages_say_what_to_do(client, address, phrases):
    page = client.get(address).content.decode()
    for phrase in phrases:
        assert phrase in page, phrase


def test_the_urgent_result_is_german_on_german_pages(client, monday_morning, centres):
    page = client.post("/de/self-check/", {"urgency": "now"}).content.decode()
    assert "Hilfe, die Sie jetzt erreichen" in page
    assert "jetzt geöffnet" in page and "Open Centre" in page
    assert "TelefonSeelsorge" in page.split("<footer")[0]
    assert "Jetzt an die Beratung schreiben, als dringend markiert" in page


def test_help_open_now_names_each_centre_in_the_page_language(client, monday_morning):
    factories.make_centre(
        "Prevention Centre Open",
        name_de="Präventionszentrum Offen",
        opening_hours="Mon-Fri 9:00-17:00",
        public_phone="+49 30 1111",
    )
    factories.make_centre(
        "Prevention Centre Closed",
        name_de="Präventionszentrum Geschlossen",
        opening_hours="Sat 10:00-12:00",
        public_phone="+49 30 2222",
    )
    page = client.post("/de/self-check/", {"worry": "own_thoughts", "urgency": "now"}).content
    page = page.decode()
    assert "Präventionszentrum Offen" in page
    assert "Präventionszentrum Geschlossen" in page
    assert "Prevention Centre" not in page
