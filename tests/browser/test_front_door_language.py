"""A German browser at "/" reads German, and can still choose English (JavaScript off)."""

from __future__ import annotations

import re


def test_a_german_browser_gets_german_at_the_front_door_and_can_choose_english(new_page):
    page = new_page(javascript=False, locale="de-DE")
    page.goto("/")
    assert re.search(r"/de/$", page.url)
    assert page.locator("html").get_attribute("lang") == "de"

    page.locator("nav.languages a[lang=en]").click()
    page.wait_for_load_state()
    assert re.search(r"/$", page.url) and "/de/" not in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    # Going to another English page and back home by the site's own link stays English.
    page.locator("header a[href='/centres/']").first.click()
    page.locator("a.brand").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "/de/" not in page.url


def test_an_english_browser_gets_english_at_the_front_door(new_page):
    page = new_page(javascript=False, locale="en-GB")
    page.goto("/")
    assert not page.url.endswith("/de/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_german_pages_with_german_centre_text_pass_axe(page, assert_accessible):
    from forestall.demo import DemoNetwork
    from forestall.directory import demo

    demo.seed(DemoNetwork())
    for address in ("/de/", "/de/self-check/", "/de/centres/", "/de/centres/kiel/"):
        page.goto(address)
        assert page.locator("html").get_attribute("lang") == "de"
        assert_accessible(page)
    assert page.locator("h1").inner_text() == "Präventionszentrum Kiel"
