"""The self-help programmes in a real browser without JavaScript, in English and German.

Read without an account; start a mailbox from a module, do an exercise, sign
out, come back in a fresh browser and find the answer and the place; share
with a counsellor; print; delete everything. axe on every programme page.
"""

from __future__ import annotations

import pytest

from forestall.inbox.models import Message
from forestall.selfhelp.content import catalogue
from forestall.selfhelp.models import Workbook
from tests import factories
from tests.database_dump import raw_database_text

# (prefix, browser locale, button texts)
LANGUAGES = {
    "en": (
        "",
        "en-GB",
        {
            "create": "Create my mailbox",
            "continue": "Continue to my mailbox",
            "save": "Save my answers",
            "sign_out": "Sign out",
            "open": "Open my mailbox",
            "share": "Share my saved answers with a counsellor",
            "print": "Printable page",
            "delete": "Delete everything",
            "yes": "Yes, delete everything",
            "nothing": "Nothing you write here is stored.",
            "shown": "Show my answers (nothing is stored)",
        },
    ),
    "de": (
        "/de",
        "de-DE",
        {
            "create": "Mein Postfach anlegen",
            "continue": "Weiter zu meinem Postfach",
            "save": "Antworten speichern",
            "sign_out": "Abmelden",
            "open": "Mein Postfach öffnen",
            "share": "Gespeicherte Antworten mit der Beratung teilen",
            "print": "Seite zum Ausdrucken",
            "delete": "Alles löschen",
            "yes": "Ja, alles löschen",
            "nothing": "Nichts, was Sie hier schreiben, wird gespeichert.",
            "shown": "Antworten anzeigen (nichts wird gespeichert)",
        },
    ),
}
ANSWER = {"en": "Evenings alone with the laptop 8841", "de": "Abende allein mit dem Laptop 8841"}


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_module_reads_and_an_exercise_works_without_an_account(new_page, language):
    prefix, locale, words = LANGUAGES[language]
    page = new_page(javascript=False, locale=locale)
    page.goto(f"{prefix}/self-help/")
    page.locator('a[href$="/self-help/self/urge-surfing/"]').first.click()
    assert page.locator("#quick-exit").is_visible()
    assert page.get_by_text(words["nothing"]).first.is_visible()
    page.fill("#exercise-surf-plan textarea[name=words]", ANSWER[language])
    page.get_by_role("button", name=words["shown"]).click()
    assert (
        page.locator("#exercise-surf-plan textarea[name=words]").input_value() == ANSWER[language]
    )
    assert not Workbook.objects.exists()
    assert ANSWER[language] not in raw_database_text()


@pytest.mark.parametrize("language", ["en", "de"])
def test_progress_survives_signing_out_and_a_fresh_browser_and_delete_removes_it(
    new_page, live_server, network_counsellor, language
):
    prefix, locale, words = LANGUAGES[language]
    plan = f"{prefix}/self-help/self/safety-plan/"
    page = new_page(javascript=False, locale=locale)
    page.goto(plan)
    page.locator("#nothing-stored a.button").click()
    page.get_by_role("button", name=words["create"]).click()
    codename = page.locator("#codename").inner_text().strip()
    page.check("#id_confirmed")
    page.get_by_role("button", name=words["continue"]).click()
    assert page.url.endswith(plan)

    page.fill("textarea[name=warning-signs]", ANSWER[language])
    page.get_by_role("button", name=words["save"]).click()
    assert page.locator("#exercise-plan [role=status]").is_visible()
    page.goto(f"{prefix}/mailbox/")
    page.get_by_role("button", name=words["sign_out"]).click()

    fresh = new_page(javascript=False, locale=locale)
    fresh.goto(f"{prefix}/self-help/self/online/")
    fresh.locator('#nothing-stored a[href*="/mailbox/?selfhelp"]').click()
    fresh.fill("input[name=codename]", codename)
    fresh.get_by_role("button", name=words["open"]).click()
    assert fresh.url.endswith(f"{prefix}/self-help/self/online/")
    fresh.goto(f"{prefix}/self-help/")
    fresh.locator("a.button", has_text="").first.click()
    assert fresh.url.endswith("/self-help/self/online/")
    fresh.goto(plan)
    assert fresh.locator("textarea[name=warning-signs]").input_value() == ANSWER[language]

    # Print: a plain page with the saved answers.
    fresh.goto(plan + "print/?exercise=plan")
    assert fresh.get_by_text(ANSWER[language]).is_visible()

    # Share: a message in the conversation the counsellor reads.
    fresh.goto(plan)
    fresh.get_by_role("button", name=words["share"]).click()
    assert fresh.get_by_text(ANSWER[language]).first.is_visible()
    message = Message.objects.get()
    staff = factories.signed_in_client(network_counsellor)
    conversation = staff.get(f"/staff/inbox/{message.conversation.pk}/")
    assert ANSWER[language] in conversation.content.decode()

    fresh.goto(f"{prefix}/mailbox/delete/")
    fresh.get_by_role("button", name=words["yes"]).click()
    assert not Workbook.objects.exists()
    assert ANSWER[language] not in raw_database_text()


def test_the_print_page_prints_what_was_typed_without_an_account(page_without_js):
    page = page_without_js
    page.goto("/self-help/self/safety-plan/")
    page.fill("textarea[name=reasons]", "My sister and her kids")
    page.get_by_role("button", name="Printable page").click()
    assert page.url.endswith("/self-help/self/safety-plan/print/")
    assert page.get_by_text("My sister and her kids").is_visible()
    assert page.locator("header.site").is_hidden() is False  # the screen shows the header
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden()


def _programme_pages() -> list[str]:
    pages = ["/self-help/", "/de/self-help/"]
    for programme in catalogue().programmes:
        for prefix in ("", "/de"):
            pages.append(f"{prefix}/self-help/{programme.slug}/")
            pages += [f"{prefix}/self-help/{programme.slug}/{m.slug}/" for m in programme.modules]
    return pages


def test_every_programme_page_has_no_serious_accessibility_problem(page, assert_accessible):
    for url in _programme_pages():
        page.goto(url)
        assert_accessible(page)


def test_a_network_admin_edits_previews_and_publishes_and_the_public_page_shows_it(
    new_page, live_server, assert_accessible
):
    from django.conf import settings

    from forestall.accounts.models import Role
    from forestall.selfhelp.models import ModuleVersion

    admin = factories.make_user(Role.NETWORK_ADMIN, None, username="browser_editor")
    client = factories.signed_in_client(admin)
    page = new_page(javascript=True)  # axe needs JavaScript; the forms do not
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url + "/staff/",
            }
        ]
    )
    page.goto("/staff/self-help/")
    assert_accessible(page)
    page.get_by_role("link", name="Edit What I want to change, and why").click()
    assert page.url.endswith("/staff/self-help/self/motivation/")
    english = page.locator("textarea[name=text_en]")
    changed = english.input_value().replace(
        "Change happens in stages", "Change comes one step at a time"
    )
    english.fill(changed)
    page.get_by_role("button", name="Preview (en)").click()
    preview = page.locator(".public-preview")
    assert preview.get_by_role("heading", name="Change comes one step at a time").is_visible()
    assert page.locator("textarea[name=text_en]").input_value().replace("\r\n", "\n") == changed
    assert not ModuleVersion.objects.exists()
    assert_accessible(page)

    page.get_by_role("button", name="Publish as a new version").click()
    assert page.get_by_text("Version 2 is published.").is_visible()
    assert ModuleVersion.objects.get(shipped=False).version == 2

    reader = new_page(javascript=False)
    reader.goto("/self-help/self/motivation/")
    assert reader.get_by_role("heading", name="Change comes one step at a time").is_visible()
    assert reader.get_by_role("heading", name="Change happens in stages").count() == 0


@pytest.mark.parametrize("language", ["en", "de"])
def test_answers_typed_before_starting_a_mailbox_come_along_into_it(new_page, language):
    prefix, locale, words = LANGUAGES[language]
    keep = {
        "en": "Start a mailbox and keep these answers",
        "de": "Postfach anlegen und diese Antworten behalten",
    }
    plan = f"{prefix}/self-help/self/safety-plan/"
    page = new_page(javascript=False, locale=locale)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(plan)
    page.fill("textarea[name=warning-signs]", ANSWER[language])
    page.get_by_role("button", name=keep[language]).click()
    # Shown back with the choice; nothing stored yet.
    assert page.locator("textarea[name=warning-signs]").input_value() == ANSWER[language]
    assert page.locator("#id_keep").is_checked()
    assert ANSWER[language] not in raw_database_text()
    page.get_by_role("button", name=words["create"]).click()
    page.locator("#codename").wait_for()
    page.check("#id_confirmed")
    page.get_by_role("button", name=words["continue"]).click()
    assert page.url.endswith(plan)
    assert page.locator("textarea[name=warning-signs]").input_value() == ANSWER[language]
    assert Workbook.objects.count() == 1
    assert ANSWER[language] not in raw_database_text()


def test_the_page_that_keeps_answers_for_a_new_mailbox_passes_axe(page, assert_accessible):
    page.goto("/self-help/self/safety-plan/")
    page.fill("textarea[name=warning-signs]", "x")
    page.get_by_role("button", name="Start a mailbox and keep these answers").click()
    assert page.locator("#id_keep").is_checked()
    assert_accessible(page)


@pytest.mark.parametrize(("language", "other"), [("en", "de"), ("de", "en")])
def test_answers_changed_on_the_keep_page_survive_a_language_switch(new_page, language, other):
    """The switch carried the answers as they came from the exercise: a change
    made on the keep page was gone in the other language."""
    from forestall.inbox.models import Mailbox

    prefix, locale, _words = LANGUAGES[language]
    other_prefix, _locale, other_words = LANGUAGES[other]
    keep = {
        "en": "Start a mailbox and keep these answers",
        "de": "Postfach anlegen und diese Antworten behalten",
    }
    switch_to = {"en": "English", "de": "Deutsch"}
    go_on = {"en": "Continue", "de": "Weiter"}
    page = new_page(javascript=False, locale=locale)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{prefix}/self-help/self/safety-plan/")
    page.fill("textarea[name=warning-signs]", ANSWER[language])
    page.get_by_role("button", name=keep[language]).click()
    page.fill("textarea[name=warning-signs]", "Changed on the keep page")
    page.uncheck("#id_keep")
    page.locator("nav.languages").get_by_role("button", name=switch_to[other]).click()
    page.get_by_role("button", name=go_on[other], exact=True).click()
    assert page.url.endswith(f"{other_prefix}/self-help/self/safety-plan/keep/")
    assert page.locator("textarea[name=warning-signs]").input_value() == "Changed on the keep page"
    assert not page.locator("#id_keep").is_checked()
    assert page.get_by_role("button", name=other_words["create"]).is_visible()
    assert not Mailbox.objects.exists()
