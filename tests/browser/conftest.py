"""Headless Chromium (the system's /usr/bin/chromium) driven by Playwright.

Every test in this folder is marked ``browser``. Use ``page`` for a normal
browser, ``page_without_js`` for Tor-Browser-"Safest"-like visits, and
``assert_accessible(page)`` for an axe check (no serious or critical issues).
axe is itself JavaScript: run it on a page with JavaScript enabled (``page``);
it hangs on ``page_without_js``.
"""

from __future__ import annotations

import contextlib
import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls a
# test makes between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("FORESTALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _click_then_let_the_page_load(click):
    """Playwright's click waits only until a navigation it starts has *begun*.

    A test that reads the page right after such a click (``all_inner_texts()``,
    ``count()``, ``is_visible()`` do not wait) could read a half-parsed new
    page, or the old one, on a busy CI machine: a test failed that way once
    (0 centres instead of 4 after "Show all centres"). Every click therefore
    also waits for the current document's ``load`` event, which returns at
    once when the click did not navigate.
    """

    from playwright.sync_api import Error

    def clicked(self, *args, **kwargs):
        click(self, *args, **kwargs)
        page = self.page if hasattr(self, "page") else self
        with contextlib.suppress(Error):  # the page closed (a closed popup)
            page.wait_for_load_state("load")

    return clicked


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import Locator, Page, sync_playwright

    Locator.click = _click_then_let_the_page_load(Locator.click)  # type: ignore[method-assign]
    Page.click = _click_then_let_the_page_load(Page.click)  # type: ignore[method-assign]
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(chromium, live_server, transactional_db):
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(chromium, live_server, transactional_db):
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="en-GB"
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def new_page(chromium, live_server, transactional_db):
    """``new_page(javascript=False, locale="de-DE")`` for a second, separate visitor."""
    contexts = []

    def _make(javascript: bool = True, locale: str = "en-GB"):
        context = chromium.new_context(
            base_url=live_server.url, java_script_enabled=javascript, locale=locale
        )
        contexts.append(context)
        return context.new_page()

    yield _make
    for context in contexts:
        context.close()


@pytest.fixture
def assert_accessible():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _check(page) -> None:
        results = axe.run(page)
        serious = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"{[node['target'] for node in violation['nodes']][:3]}"
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert not serious, "axe found serious problems:\n" + "\n".join(serious)

    return _check
