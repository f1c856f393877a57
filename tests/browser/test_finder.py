"""The centre finder in headless Chromium: filters without JavaScript, the
in-browser distance sort, accessibility and German."""

from __future__ import annotations

import pytest

from forestall.demo import DemoNetwork
from forestall.directory import demo

# Near Kiel: the Kiel centre is closest, Regensburg farthest.
NEAR_KIEL = {"latitude": 54.32, "longitude": 10.12}


@pytest.fixture
def demo_centres(transactional_db):
    network = DemoNetwork()
    demo.seed(network)
    return network.centres


def centre_names(page) -> list[str]:
    return page.locator("#centre-list > li h3").all_inner_texts()


def test_the_filters_work_without_javascript(page_without_js, demo_centres):
    page = page_without_js
    page.goto("/centres/")
    assert len(centre_names(page)) == 4
    assert page.locator("#sort-by-distance").is_hidden()
    page.get_by_role("combobox", name="Language").select_option("pl")
    page.get_by_role("button", name="Show centres").click()
    page.wait_for_url("**/centres/?language=pl*")
    assert centre_names(page) == ["Prevention Centre Kiel"]
    assert page.locator("#result-count").inner_text() == "1 centre matches."
    # The form keeps the choice.
    assert page.get_by_role("combobox", name="Language").input_value() == "pl"


def test_the_remote_and_service_filters_combine_without_javascript(page_without_js, demo_centres):
    page = page_without_js
    page.goto("/centres/")
    page.get_by_role("group", name="Help for").get_by_role(
        "radio", name="Family and friends"
    ).check()
    page.get_by_label("Only centres that can help by phone, video or secure messaging").check()
    page.get_by_role("button", name="Show centres").click()
    page.wait_for_url("**remote=1*")
    assert centre_names(page) == [
        "Prevention Centre Berlin",
        "Prevention Centre Kiel",
        "Prevention Centre Regensburg",
    ]
    page.get_by_role("combobox", name="Region").select_option("north")
    page.get_by_role("button", name="Show centres").click()
    page.wait_for_url("**region=north*")
    assert centre_names(page) == ["Prevention Centre Kiel"]
    # The ticked kind of help stays ticked (and "any" is ticked only without one).
    help_for = page.get_by_role("group", name="Help for")
    assert help_for.get_by_role("radio", name="Family and friends").is_checked()
    assert not help_for.get_by_role("radio", name="Any kind of help").is_checked()


def test_no_match_offers_next_steps_without_javascript(page_without_js, demo_centres):
    page = page_without_js
    page.goto("/centres/?language=pl&service=professionals")
    assert page.locator("#no-results").is_visible()
    page.get_by_role("link", name="Show all centres").click()
    assert len(centre_names(page)) == 4


def test_sorting_by_distance_happens_in_the_browser_without_any_request(
    chromium, live_server, demo_centres
):
    context = chromium.new_context(
        base_url=live_server.url,
        locale="en-GB",
        geolocation=NEAR_KIEL,
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        page.goto("/centres/")
        page.wait_for_load_state("networkidle")
        assert centre_names(page)[0] == "Prevention Centre Berlin"  # by name
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.get_by_role("button", name="Sort by distance").click()
        page.locator("#distance-status").filter(has_text="Sorted by distance").wait_for()
        page.wait_for_timeout(300)
        assert centre_names(page) == [
            "Prevention Centre Kiel",
            "Prevention Centre Hamburg",
            "Prevention Centre Berlin",
            "Prevention Centre Regensburg",
        ]
        assert "km away" in page.locator("#centre-list > li").first.inner_text()
        assert requests == [], "the location must never leave the browser"
    finally:
        context.close()


def test_a_refused_location_leaves_the_list_as_it_was(chromium, live_server, demo_centres):
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/centres/")
        before = centre_names(page)
        page.get_by_role("button", name="Sort by distance").click()
        page.locator("#distance-status").filter(has_text="could not be read").wait_for()
        assert centre_names(page) == before
    finally:
        context.close()


def test_the_home_page_passes_axe(page, assert_accessible, demo_centres):
    page.goto("/")
    assert_accessible(page)


def test_the_finder_passes_axe(page, assert_accessible, demo_centres):
    page.goto("/centres/")
    assert_accessible(page)
    page.goto("/centres/?language=klingon")
    assert_accessible(page)
    page.goto("/centres/?language=pl&service=professionals")
    assert_accessible(page)


def test_a_centre_page_passes_axe(page, assert_accessible, demo_centres):
    page.goto("/centres/berlin/")
    assert_accessible(page)


def test_the_finder_renders_in_german(new_page, demo_centres):
    page = new_page(javascript=False, locale="de-DE")
    page.goto("/de/centres/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Ein Zentrum finden"
    page.get_by_role("combobox", name="Sprache").select_option("tr")
    page.get_by_role("button", name="Zentren anzeigen").click()
    page.wait_for_url("**/de/centres/?language=tr*")
    assert centre_names(page) == ["Präventionszentrum Berlin"]
    assert page.locator("#result-count").inner_text() == "1 Zentrum passt."


def test_the_language_switch_leads_to_the_german_finder(page_without_js, demo_centres):
    page = page_without_js
    page.goto("/centres/?language=de")
    page.locator('a[hreflang="de"]').click()
    page.wait_for_url("**/de/centres/?language=de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert len(centre_names(page)) == 4
