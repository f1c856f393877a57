"""A browser that prefers German gets German at ``/``; a choice made on the site is kept."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

GERMAN_BROWSER = "de-DE,de;q=0.9,en;q=0.8"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_a_german_browser_is_sent_to_the_german_front_door(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/de/"
    assert "Accept-Language" in response["Vary"]
    assert not response.cookies
    german = client.get("/de/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    assert german.status_code == 200 and html_lang(german) == "de"


@pytest.mark.parametrize(
    "header", ["en-GB,en;q=0.9,de;q=0.8", "", "fr-FR,fr;q=0.9", "*", "x" * 2000]
)
def test_other_browsers_get_english_at_the_front_door(client, header):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert "Accept-Language" in response["Vary"]


def test_a_french_browser_that_also_reads_german_gets_german(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,de;q=0.5")
    assert response["Location"] == "/de/"


def test_choosing_english_on_the_site_is_not_undone_by_the_browser(client):
    # The language switch on /de/ links to "/"; the browser marks the navigation same-origin.
    response = client.get(
        "/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 200
    assert html_lang(response) == "en"


def test_arriving_from_another_site_still_follows_the_browser(client):
    for site in ("cross-site", "none"):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER, HTTP_SEC_FETCH_SITE=site)
        assert response["Location"] == "/de/"


def test_the_lang_parameter_still_decides(client):
    response = client.get("/?lang=en", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    assert response.status_code == 302 and response["Location"] == "/"


def test_other_pages_keep_the_language_of_their_address(client):
    response = client.get("/centres/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    assert response.status_code == 200 and html_lang(response) == "en"


def test_a_post_to_the_front_door_is_not_redirected(client):
    response = client.post("/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    assert response.status_code != 302


def test_the_page_cache_never_gives_a_german_browser_the_english_page(client, settings):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    cache.clear()
    try:
        english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB")
        assert english.status_code == 200 and html_lang(english) == "en"
        german = client.get("/", HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
        assert german.status_code == 302 and german["Location"] == "/de/"
        again = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB")
        assert again.status_code == 200 and html_lang(again) == "en"
        # and the German redirect was never stored as the home page
        assert client.get("/").status_code == 200
    finally:
        cache.clear()
