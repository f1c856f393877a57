"""Editing public text and self-help modules: refused links are named, stale tabs are stopped.

Two defects an outsider found as a network admin:

- A link to a host outside ``FORESTALL_LINK_HOSTS`` (or an ``http://`` or
  ``mailto:`` link) was saved and published without a word, and the
  sanitiser then quietly turned it into plain text on the public page. Now
  the page text and every language of a module are refused (400, in the
  editor's language, every word kept), naming the links.
- Two tabs open on the same page (two admins, or one admin's forgotten
  tab): the later save silently replaced the earlier one's version. Now a
  save or publish from a page opened before a newer version was saved is
  refused with a 409 that keeps the text and says who saved what; saving
  again from that answer is a deliberate choice and goes through.
"""

from __future__ import annotations

import html
import re

import pytest
from django.utils import translation

from forestall.public.content import refused_links
from forestall.public.models import PageContent
from forestall.selfhelp.content import shipped_sources
from forestall.selfhelp.models import ModuleVersion
from tests.stale import opened

pytestmark = pytest.mark.django_db

PAGE = "/staff/content/home/de/"
MODULE = "/staff/self-help/self/motivation/"


@pytest.fixture(autouse=True)
def _one_allowed_host(settings):
    settings.FORESTALL_LINK_HOSTS = ["allowed.example"]


def _based_on(page: str) -> str:
    return re.search(r'name="based_on" value="(\d+)"', page).group(1)


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        ("[a](https://allowed.example/x) [b](/centres/) [c](#top)", []),
        ("[a](https://elsewhere.example/)", ["https://elsewhere.example/"]),
        ("[a](http://allowed.example/)", ["http://allowed.example/"]),
        ("[a](mailto:x@allowed.example)", ["mailto:x@allowed.example"]),
        ("[a][r]\n\n[r]: //elsewhere.example/", ["//elsewhere.example/"]),
        ("<https://elsewhere.example/>", ["https://elsewhere.example/"]),
    ],
)
def test_it_names_every_link_the_sanitiser_would_drop(source, refused):
    assert refused_links(source) == refused


def test_a_page_with_a_foreign_link_is_refused_in_german_with_the_text_kept(sign_in, network_admin):
    client = sign_in(network_admin)
    body = "Siehe [Stop It Now](https://www.stopitnow.org/), bitte."
    with translation.override("de"):
        response = client.post(
            PAGE, {"title": "Start", "body": body, "save": "1"}, HTTP_ACCEPT_LANGUAGE="de"
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Diese Links sind nicht erlaubt" in page
    assert "https://www.stopitnow.org/" in page
    assert "allowed.example" in page
    assert "Stop It Now" in page and "bitte." in page
    assert not PageContent.objects.exists()


def test_a_page_with_an_allowed_link_is_saved(sign_in, network_admin):
    client = sign_in(network_admin)
    response = client.post(
        PAGE,
        {"title": "Start", "body": "[x](https://allowed.example/a)", "save": "1"}
        | opened(client, PAGE),
    )
    assert response.status_code == 302
    assert PageContent.objects.get().body == "[x](https://allowed.example/a)"


def test_a_save_from_a_stale_tab_does_not_replace_the_newer_version(sign_in, network_admin):
    client = sign_in(network_admin)
    stale_tab = _based_on(client.get(PAGE).content.decode())
    fresh_tab = _based_on(client.get(PAGE).content.decode())
    first = {"title": "Eins", "body": "Erste Fassung", "save": "1", "based_on": fresh_tab}
    assert client.post(PAGE, first).status_code == 302

    late = {"title": "Zwei", "body": "Spätere Fassung", "save": "1", "based_on": stale_tab}
    response = client.post(PAGE, late)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Spätere Fassung" in page
    assert "version 1" in page
    assert list(PageContent.objects.values_list("body", flat=True)) == ["Erste Fassung"]

    # Saving again from that answer is deliberate: it goes through.
    again = {**late, "based_on": _based_on(page)}
    assert client.post(PAGE, again).status_code == 302
    assert PageContent.objects.order_by("-version").first().body == "Spätere Fassung"


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_save_without_a_starting_version_is_refused_and_keeps_the_text(
    sign_in, network_admin, language
):
    # Every page sends the version it was opened from; a request without it
    # (a page from before an update, one made by hand) cannot show that
    # nobody saved meanwhile, so it is refused like a stale tab.
    client = sign_in(network_admin)
    assert client.post(PAGE, {"title": "A", "body": "a", "save": "1"} | opened(client, PAGE))
    response = client.post(
        PAGE, {"title": "B", "body": "Mein Text", "save": "1"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 409
    page = html.unescape(response.content.decode())
    assert {
        "en": "Nothing was saved: this page did not say which version it was opened from",
        "de": "Nichts wurde gespeichert: Diese Seite hat nicht mitgeteilt",
    }[language] in page
    assert "Mein Text" in page
    assert list(PageContent.objects.values_list("body", flat=True)) == ["a"]
    # Saving again from that answer (now counting as opened from version 1) goes through.
    again = {"title": "B", "body": "Mein Text", "save": "1", "based_on": _based_on(page)}
    assert client.post(PAGE, again).status_code == 302
    assert PageContent.objects.count() == 2


def test_a_module_published_without_a_starting_version_is_refused_and_kept(sign_in, network_admin):
    response = sign_in(network_admin).post(MODULE, _module_data(publish="1"))
    assert response.status_code == 409
    assert "did not say which version" in html.unescape(response.content.decode())
    assert not ModuleVersion.objects.exists()


def _module_data(en: str | None = None, **extra: str) -> dict[str, str]:
    shipped = shipped_sources("self", "motivation")
    return {
        "minutes": "15",
        "text_en": shipped["en"] if en is None else en,
        "text_de": shipped["de"],
        **extra,
    }


def test_a_module_with_a_foreign_link_is_refused_with_its_texts_kept(sign_in, network_admin):
    en = shipped_sources("self", "motivation")["en"].replace(
        "Change happens in stages",
        "Change happens in stages, see [this](https://elsewhere.example/)",
    )
    assert en != shipped_sources("self", "motivation")["en"]
    response = sign_in(network_admin).post(MODULE, _module_data(en, publish="1"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "These links are not allowed: https://elsewhere.example/" in page
    assert "Nothing was published" in page
    assert not ModuleVersion.objects.exists()


def test_a_publish_from_a_stale_tab_does_not_replace_the_newer_version(sign_in, network_admin):
    client = sign_in(network_admin)
    stale_tab = _based_on(client.get(MODULE).content.decode())
    assert client.post(MODULE, _module_data(publish="1", based_on=stale_tab)).status_code == 302
    newest = ModuleVersion.objects.order_by("-version").first().version

    late = _module_data(en=shipped_sources("self", "motivation")["en"] + "\n", publish="1")
    response = client.post(MODULE, {**late, "based_on": stale_tab})
    assert response.status_code == 409
    page = response.content.decode()
    assert f"published version {newest}" in page
    assert ModuleVersion.objects.order_by("-version").first().version == newest

    again = {**late, "based_on": _based_on(page)}
    assert client.post(MODULE, again).status_code == 302
    assert ModuleVersion.objects.order_by("-version").first().version == newest + 1
