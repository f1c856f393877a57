"""Crisis help and the quick exit in a real browser."""

from __future__ import annotations

import pytest

from forestall.inbox.models import Conversation, Mailbox
from tests import factories

WIDTHS = [320, 375, 768, 1024, 1280, 1920]
PAGES = ["/", "/help/self/", "/self-check/", "/mailbox/", "/centres/", "/confidentiality/"]
CONTROLS = "a, button, input, select, textarea, summary, [tabindex]"


def _overlaps(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("language", ["", "/de"])
def test_the_quick_exit_overlaps_no_control_at_any_width(new_page, language):
    page = new_page(javascript=False)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for address in PAGES:
            page.goto(language + address)
            exit_box = page.locator("#quick-exit").bounding_box()
            assert exit_box and exit_box["width"] > 0
            for control in page.locator(CONTROLS).all():
                if control.get_attribute("id") in ("quick-exit", "main"):
                    continue
                box = control.bounding_box()
                if box and box["width"] > 1 and box["height"] > 1 and _overlaps(exit_box, box):
                    problems.append((width, language + address, control.inner_text()[:40]))
    assert not problems


def test_the_quick_exit_replaces_the_page_in_history_with_javascript(page):
    page.route(
        "https://en.wikipedia.org/**",
        lambda route: route.fulfill(status=200, body="<title>Wikipedia</title>elsewhere"),
    )
    page.goto("/")
    page.goto("/help/self/")
    page.locator("#quick-exit").click()
    page.wait_for_url("https://en.wikipedia.org/")
    page.go_back()
    assert not page.url.endswith("/help/self/")


def test_the_urgent_self_check_path_shows_help_open_now_and_marks_the_mailbox_urgent(
    page_without_js,
):
    factories.make_centre("Always Open", opening_hours="24/7", public_phone="+49 30 1234")
    page = page_without_js
    page.goto("/self-check/")
    page.get_by_label("I need help now, I am afraid of losing control").check()
    page.get_by_role("button", name="Show my next step").click()

    help_now = page.locator("#help-now").locator("..")
    assert help_now.get_by_text("open now").is_visible()
    assert help_now.get_by_role("link", name="+49 30 1234").is_visible()
    assert help_now.get_by_role("link", name="116 123").is_visible()
    assert help_now.get_by_role("link", name="112").first.is_visible()

    page.get_by_role("link", name="Write to a counsellor now, marked urgent").click()
    page.get_by_role("button", name="Create my mailbox").click()
    page.check("#id_confirmed")
    page.get_by_role("button", name="Continue to my mailbox").click()
    page.fill('textarea[name="body"]', "I am afraid of losing control.")
    page.get_by_role("button", name="Send").click()
    # An urgent mailbox is shown the help reachable now, not a reply time.
    assert page.get_by_text("Your message was sent and marked urgent").is_visible()
    assert page.locator("#help-now").is_visible()
    assert Mailbox.objects.get().urgent
    assert Conversation.objects.get().urgent


def test_the_crisis_pages_pass_axe(page, assert_accessible):
    centre = factories.make_centre("Always Open", opening_hours="24/7", public_phone="+49 30 1234")
    for answers in ({"urgency": "now"}, {"self_harm": "now"}, {"child_at_risk": "yes"}):
        page.goto("/self-check/")
        for name, value in answers.items():
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        page.get_by_role("button", name="Show my next step").click()
        assert_accessible(page)
    for address in ("/help/someone-else/", "/de/help/professionals/", "/confidentiality/"):
        page.goto(address)
        assert_accessible(page)
    page.goto(f"/centres/{centre.slug}/")
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto("/de/")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("language", "unsure", "title", "write"),
    [
        (
            "",
            "I am not sure",
            "Not sure is reason enough",
            "Write to a counsellor now, marked urgent",
        ),
        ("/de", "Ich bin mir nicht sicher", "Unsicher zu sein ist Grund genug", "dringend"),
    ],
)
def test_not_sure_whether_a_child_is_at_risk_gets_the_help_reachable_now(
    new_page, language, unsure, title, write
):
    page = new_page(javascript=False)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(language + "/self-check/")
    page.get_by_label(unsure).check()
    page.locator("main form button[type=submit]").last.click()
    assert page.get_by_role("heading", name=title).is_visible()
    help_now = page.locator("#help-now").locator("..")
    assert help_now.locator('a[href^="tel:"]').count() >= 2
    assert help_now.get_by_role("link", name=write).first.is_visible()


def test_the_unsure_result_passes_axe(page, assert_accessible):
    page.goto("/self-check/")
    page.get_by_label("I am not sure").check()
    page.locator("main form button[type=submit]").last.click()
    assert page.locator("#help-now").is_visible()
    assert_accessible(page)
