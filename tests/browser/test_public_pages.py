"""Public pages in a real browser: without JavaScript, keyboard first, axe-clean."""

from __future__ import annotations

import pytest

PAGES = ["/", "/help/self/", "/help/someone-else/", "/help/professionals/", "/confidentiality/"]


@pytest.mark.parametrize("path", [*PAGES, "/self-check/"])
def test_public_pages_pass_axe_in_both_languages(page, assert_accessible, path):
    for prefix in ("", "/de"):
        page.goto(prefix + path)
        assert_accessible(page)


def test_the_quick_exit_is_the_first_stop_for_the_keyboard(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "quick-exit"
    assert page.locator("#quick-exit").is_visible()


def test_the_quick_exit_is_a_plain_link_without_javascript(page_without_js):
    page_without_js.goto("/help/self/")
    link = page_without_js.locator("#quick-exit")
    assert link.is_visible()
    assert link.get_attribute("href").startswith("https://")


def test_the_pathways_work_without_javascript(page_without_js):
    page = page_without_js
    page.goto("/")
    page.get_by_role("link", name="I'm worried about someone else").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Worried about someone else"
    page.get_by_role("link", name="Write to a counsellor confidentially").click()
    assert page.locator('input[value="other"]').is_checked()


def test_the_self_check_shows_urgent_guidance_without_javascript(page_without_js):
    page = page_without_js
    page.goto("/self-check/")
    page.locator('input[name="child_at_risk"][value="yes"]').check()
    page.get_by_role("button", name="Show my next step").click()
    assert page.get_by_role("alert").is_visible()
    assert "110" in page.get_by_role("alert").inner_text()
    page.get_by_role("link", name="Write to a counsellor now").click()
    assert page.locator('input[name="urgent"]').get_attribute("value")


def test_the_self_check_result_passes_axe(page, assert_accessible):
    page.goto("/self-check/")
    page.locator('input[name="help_wanted"][value="talk"]').check()
    page.get_by_role("button", name="Show my next step").click()
    assert_accessible(page)


def test_the_home_page_needs_at_most_four_requests_and_30_kilobytes(page):
    sizes = []
    page.on("response", lambda response: sizes.append(len(response.body())))
    page.goto("/")
    page.wait_for_load_state("load")
    assert len(sizes) <= 4
    assert sum(sizes) < 30 * 1024
