"""English and German on the public side: prefixes, ?lang=, the switch, real German."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "forestall"
# The catalogues this area owns; every app keeps its own next to its code.
CATALOGUES = [ROOT / "locale", ROOT / "directory" / "locale"]


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang> on the page"
    return match.group(1)


def test_english_pages_have_no_prefix_and_say_they_are_english(client, db):
    for path in ("/", "/centres/"):
        response = client.get(path)
        assert response.status_code == 200
        assert html_lang(response) == "en"


@pytest.mark.parametrize("path", ["/de/", "/de/centres/"])
def test_german_pages_say_they_are_german(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"


def test_the_lang_parameter_redirects_to_the_language_prefix(client, db):
    response = client.get("/?lang=de")
    assert response.status_code == 302
    assert response["Location"] == "/de/"


def test_the_lang_parameter_keeps_the_other_query_parameters(client, db):
    response = client.get("/centres/?language=pl&lang=de&remote=1")
    assert response.status_code == 302
    assert response["Location"] == "/de/centres/?language=pl&remote=1"


def test_the_lang_parameter_leads_back_to_english(client, db):
    response = client.get("/de/centres/?lang=en")
    assert response.status_code == 302
    assert response["Location"] == "/centres/"


def test_an_unknown_lang_parameter_is_ignored(client, db):
    response = client.get("/centres/?lang=xx")
    assert response.status_code == 200
    assert html_lang(response) == "en"


def test_the_language_choice_sets_no_cookie(client, db):
    response = client.get("/?lang=de")
    assert not response.cookies
    assert not client.get("/de/").cookies


def test_the_finder_is_german_on_german_pages(client, centre_a):
    page = client.get("/de/centres/").content.decode()
    for german in (
        "Ein Zentrum finden",
        "Sprache",
        "Alle Sprachen",
        "Hilfe für",
        "Zentren anzeigen",
        "1 Zentrum passt.",
        "Nimmt neue Klientinnen und Klienten auf",
        "Nach Entfernung sortieren",
    ):
        assert german in page, german
    for english in ("Find a centre", "Show centres", "Any language", "Accepts new clients"):
        assert english not in page, english


def test_the_vocabulary_is_german_on_german_pages(client, centre_a):
    from forestall.directory.models import Channel, Language, Service

    centre_a.set_offers(
        languages=[Language.GERMAN, Language.TURKISH],
        services=[Service.FAMILY_FRIENDS],
        channels=[Channel.MESSAGING],
    )
    page = client.get(f"/de/centres/{centre_a.slug}/").content.decode()
    for german in ("Deutsch, Türkisch", "Familie und Freundeskreis", "Sichere Nachrichten"):
        assert german in page, german


def test_the_language_switch_links_to_the_same_page_in_the_other_language(client, db):
    page = client.get("/centres/?language=pl").content.decode()
    assert 'href="/de/centres/?language=pl" lang="de" hreflang="de"' in page
    page = client.get("/de/centres/?language=pl").content.decode()
    assert 'href="/centres/?language=pl" lang="en" hreflang="en"' in page


def test_the_language_switch_links_work(client, db):
    page = client.get("/centres/").content.decode()
    target = re.search(r'href="([^"]+)" lang="de"', page).group(1)
    response = client.get(target)
    assert response.status_code == 200
    assert html_lang(response) == "de"


def test_the_not_found_page_is_german_on_german_addresses(client, db):
    response = client.get("/de/nothing-here/")
    assert response.status_code == 404
    assert html_lang(response) == "de"
    assert "Seite nicht gefunden" in response.content.decode()


def test_the_not_found_page_is_english_elsewhere(client, db):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_staff_pages_are_not_language_prefixed(client, db):
    assert client.get("/de/staff/login/").status_code == 404
    assert client.get("/staff/login/").status_code == 200


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.parent.name)
def test_owned_catalogues_are_complete_compiled_and_not_fuzzy(catalogue):
    po = catalogue / "de" / "LC_MESSAGES" / "django.po"
    mo = catalogue / "de" / "LC_MESSAGES" / "django.mo"
    text = po.read_text()
    assert "#, fuzzy" not in text
    # An empty msgstr directly followed by a blank line is an untranslated entry
    # (the header is the only msgid "" allowed to have one).
    entries = text.split("\n\n")[1:]
    untranslated = [
        entry
        for entry in entries
        if re.search(r'^msgstr(\[\d\])? ""\s*$', entry.strip(), re.MULTILINE)
        and not re.search(r'^msgstr(\[\d\])? ""\n"', entry, re.MULTILINE)
    ]
    assert not untranslated, untranslated[:3]
    # The compiled catalogue holds every message of the source catalogue.
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled} - {""}
    assert compiled_ids == _msgids(text), "run compilemessages"


def _msgids(po_text: str) -> set[str]:
    ids = set()
    for entry in po_text.split("\n\n")[1:]:
        match = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.MULTILINE)
        if match:
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))
            ids.add("".join(parts).encode().decode("unicode_escape").encode("latin-1").decode())
    return ids
