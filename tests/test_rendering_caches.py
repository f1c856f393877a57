"""Rendered public pages reuse what is the same for every visitor, and never show it stale.

A visitor who carries a cookie (a mailbox session, say) is never served from
the page cache, so rendering must be cheap: the rendered Markdown is kept per
source text, the current text of a page as long as cached pages are kept, and
the header and footer once per language. These tests show that each of them
still follows an edit, a language and the sanitiser.
"""

from __future__ import annotations

import pytest
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
