"""The reach landing page in a real browser: no JavaScript, English and German, axe-clean."""

from __future__ import annotations

import pytest

from tests.factories_reach import DETERRENT_ID, make_partner, reach_defaults  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("prefix", "heading", "link"),
    [
        (
            "",
            "Stop. What you are searching for is illegal.",
            "Write to a counsellor confidentially",
        ),
        (
            "/de",
            "Stopp. Wonach Sie suchen, ist verboten.",
            "Vertraulich an eine Beraterin oder einen Berater schreiben",
        ),
    ],
)
def test_the_landing_page_works_without_javascript(page_without_js, prefix, heading, link):
    make_partner("ahmia")
    page = page_without_js
    page.goto(f"{prefix}/r/ahmia/{DETERRENT_ID}/")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies == {"forestall_reach": "1"}
    page.get_by_role("link", name=link).click()
    assert "/mailbox/start/" in page.url


def test_an_unknown_link_still_shows_help_without_javascript(page_without_js):
    page = page_without_js
    page.goto("/de/r/unbekannt/kaputt/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.locator('a[href="/de/mailbox/start/"]').count() >= 1


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_the_landing_page_passes_axe(page, assert_accessible, prefix):
    make_partner("ahmia")
    page.goto(f"{prefix}/r/ahmia/{DETERRENT_ID}/")
    assert_accessible(page)
