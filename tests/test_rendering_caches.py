"""Rendered public pages reuse what is the same for every visitor, and never show it stale.

A visitor who carries a cookie (a mailbox session, say) is never served from
the page cache, so rendering must be cheap: the rendered Markdown is kept per
source text, the current text of a page as long as cached pages are kept, and
the header and footer once per language. These tests show that each of them
still follows an edit, a language and the sanitiser.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from forestall.public import actions
from forestall.public.content import page_text, render_markdown
from forestall.public.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache_on(settings):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 30


def test_a_visitor_with_a_cookie_sees_an_edit_at_once(
    client, network_admin, page_cache_on, django_capture_on_commit_callbacks
):
    client.cookies["forestall_mailbox"] = "anything"
    assert "Edited home text." not in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_page_content(Page.HOME, "en", "Welcome", "Edited home text.", by=network_admin)
    page = client.get("/").content.decode()
    assert "Edited home text." in page
    assert "<title>Welcome" in page


def test_the_current_text_is_read_once_while_pages_are_kept(
    page_cache_on, django_assert_num_queries
):
    with django_assert_num_queries(1):
        first = page_text(Page.HOME, "en")
    with django_assert_num_queries(0):
        second = page_text(Page.HOME, "en")
    assert first == second
    with django_assert_num_queries(1):
        page_text(Page.HOME, "de")


def test_with_the_page_cache_off_every_request_reads_the_current_text(
    settings, django_assert_num_queries
):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 0
    with django_assert_num_queries(2):
        page_text(Page.HOME, "en")
        page_text(Page.HOME, "en")


def test_kept_markdown_follows_its_source_and_stays_sanitised():
    assert "First" in render_markdown("First *text*") == render_markdown("First *text*")
    assert "Second" in render_markdown("Second *text*")
    for _ in range(2):
        assert "<script" not in render_markdown("<script>alert(1)</script>")


def test_the_header_and_footer_follow_the_language(client):
    with translation.override("de"):
        german_nav, german_footer = gettext("Find a centre"), gettext("Confidentiality")
    assert german_nav != "Find a centre"
    english = client.get("/").content.decode()
    german = client.get("/de/").content.decode()
    english_again = client.get("/confidentiality/").content.decode()
    assert german_nav in german
    assert 'href="/de/self-check/"' in german
    assert german_nav not in english_again
    assert 'href="/self-check/"' in english_again
    assert 'href="/de/self-check/"' not in english
    assert german_footer in german


def test_the_next_steps_follow_the_pathway_and_the_language(client):
    own = client.get("/help/self/").content.decode()
    other = client.get("/help/someone-else/").content.decode()
    home = client.get("/").content.decode()
    german = client.get("/de/help/self/").content.decode()
    assert 'href="/mailbox/start/?pathway=self"' in own
    assert "?pathway=self" not in other
    assert 'href="/mailbox/start/"' in home
    assert "?pathway=" not in home
    assert 'href="/de/mailbox/start/?pathway=self"' in german


# Parts of a page kept for everyone (``{% same_for_everyone %}``): with the
# page cache on, as in production, a visitor with a cookie gets them from
# memory, and never anything that is another visitor's.

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("path", ["/mailbox/start/", "/mailbox/"])
def test_a_kept_form_carries_each_visitors_own_token_and_works(path, page_cache_on):
    first, second = _csrf_client(), _csrf_client()
    first_page = first.get(path).content.decode()
    second_page = second.get(path).content.decode()
    assert "csrf-stand-in" not in first_page + second_page
    first_token, second_token = _TOKEN.search(first_page), _TOKEN.search(second_page)
    assert first_token and second_token
    # Each visitor's own (masked) token, tied to their own CSRF cookie.
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    data = {"pathway": "self"} if path == "/mailbox/start/" else {"codename": "not a codename"}
    answer = second.post(path, {**data, "csrfmiddlewaretoken": second_token.group(1)})
    assert answer.status_code in (302, 400)  # past the CSRF check: created, or a wrong codename
    stolen = first.post(path, {**data, "csrfmiddlewaretoken": second_token.group(1)})
    assert stolen.status_code == 403


def test_values_carried_to_a_kept_page_are_shown_not_the_kept_page(client, page_cache_on):
    assert client.get("/mailbox/start/").status_code == 200  # the kept version exists
    page = client.get("/mailbox/start/?urgent=1&pathway=other").content.decode()
    assert 'name="urgent" value="1"' in page
    signin = client.get("/mailbox/?selfhelp=self%2Fsafety-plan").content.decode()
    assert 'name="selfhelp" value="self/safety-plan"' in signin


def test_a_refused_form_is_shown_with_what_was_typed_not_the_kept_page(client, page_cache_on):
    client.get("/mailbox/")
    page = client.post("/mailbox/", {"codename": "apple banana cherry"})
    assert page.status_code == 400
    assert 'value="apple banana cherry"' in page.content.decode()


def test_kept_parts_follow_the_language_and_the_pathway(client, page_cache_on):
    english = client.get("/mailbox/start/").content.decode()
    german = client.get("/de/mailbox/start/").content.decode()
    with translation.override("de"):
        assert gettext("Create my mailbox") in german
    assert "Create my mailbox" in english and "Create my mailbox" not in german
    chosen = client.get("/mailbox/start/?pathway=other").content.decode()
    assert re.search(r'value="other"[^>]*checked', chosen)
    assert not re.search(r'value="self"[^>]*checked', chosen)


def test_a_page_reads_the_generation_of_public_pages_once(client, page_cache_on, monkeypatch):
    """Several kept parts and remembered values on one page: one round trip to the shared cache."""
    from django.core.cache import cache

    from forestall.lib import pagecache

    client.cookies["forestall_mailbox"] = "anything"
    client.get("/")  # the page's text and its body kept
    reads = []
    original = cache.get

    def counting_get(key, *args, **kwargs):
        if key == pagecache._GENERATION_KEY:
            reads.append(key)
        return original(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counting_get)
    page = client.get("/").content.decode()
    assert "Where would you like to start?" in page
    assert len(reads) == 1
