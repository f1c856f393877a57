"""In headless Chromium without JavaScript: the case page's actions on their own
pages, and the inbox queue's pager, as staff use them; axe on both."""

from __future__ import annotations

import datetime
import re

import pytest

from forestall.accounts.models import Role
from forestall.cases.models import Case
from forestall.cases.pathway import Stage
from tests import factories
from tests.factories_accounts import current_totp
from tests.factories_cases import make_case
from tests.factories_inbox import make_conversation


def _sign_in(page, user, device):
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(current_totp(device))
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def centre():
    return factories.make_centre("Centre Birkenhain", factories.make_region("South"))


def test_a_clinician_moves_a_case_and_adds_a_task_from_their_own_pages(page_without_js, centre):
    user = factories.make_user(Role.CLINICIAN, centre, username="browser.clinician")
    device = factories.totp_device(user)
    case = make_case(centre, stage=Stage.ENQUIRY)
    page = page_without_js
    page.goto(f"/staff/cases/{case.pk}/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/$"))

    page.locator("#next-stages").get_by_role("link", name="Screening").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/move/\?to=screening"))
    assert page.get_by_label("Move to").input_value() == Stage.SCREENING
    page.get_by_label("Why").fill("First call went well; screening next week.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/$"))
    assert Case.objects.get(pk=case.pk).stage == Stage.SCREENING

    page.get_by_role("link", name="Add a task or reminder").click()
    page.get_by_label("Task or reminder").fill("Send the screening questionnaire")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/$"))
    assert "Send the screening questionnaire" in page.content()


def test_a_counsellor_pages_through_the_queue_with_the_filter_kept(page_without_js, centre):
    user = factories.make_user(Role.COUNSELLOR, centre, username="browser.counsellor2")
    device = factories.totp_device(user)
    for _ in range(52):
        make_conversation(centre, language="de")
    make_conversation(centre, language="en")
    page = page_without_js
    page.goto("/staff/inbox/?language=de")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/inbox/\?language=de$"))
    assert "52 conversations (1\u201350 shown)" in page.content()
    page.get_by_role("navigation", name="Pages of the queue").get_by_role(
        "link", name="Next page"
    ).click()
    page.wait_for_url(re.compile(r"/staff/inbox/\?language=de&page=2$"))
    assert "52 conversations (51\u201352 shown)" in page.content()
    assert page.locator("tbody tr").count() == 2
    page.get_by_role("link", name="Previous page").click()
    page.wait_for_url(re.compile(r"/staff/inbox/\?language=de&page=1$"))
    assert page.locator("tbody tr").count() == 50


def test_the_case_page_the_move_page_and_the_paged_queue_pass_axe(page, centre, assert_accessible):
    user = factories.make_user(Role.CLINICIAN, centre, username="browser.both")
    factories.add_role(user, Role.COUNSELLOR, centre)
    device = factories.totp_device(user)
    case = make_case(centre, stage=Stage.ASSESSMENT)
    for _ in range(51):
        make_conversation(centre)
    page.goto(f"/staff/cases/{case.pk}/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/$"))
    assert_accessible(page)
    page.goto(f"/staff/cases/{case.pk}/move/?to=waiting_list")
    assert_accessible(page)
    page.goto("/staff/inbox/?page=2")
    assert "51 conversations (51\u201351 shown)" in page.content()
    assert_accessible(page)


def test_staff_pages_fit_a_phone_screen(page, centre):
    """A wide table scrolls inside the page, and a long German word breaks: nothing
    widens the page past the screen (the queue once made a 375-pixel page 878 wide)."""
    user = factories.make_user(Role.COUNSELLOR, centre, username="browser.phone")
    device = factories.totp_device(user)
    conversation = make_conversation(centre, language="de")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/staff/inbox/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/inbox/$"))
    for path in ("/staff/", "/staff/inbox/", f"/staff/inbox/{conversation.pk}/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    user.language = "de"
    user.save()
    page.goto(f"/staff/inbox/{conversation.pk}/")
    assert "Kontakt\u00adzusammenfassung" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


# What sticks out to the right of <main> other than a table (tables scroll
# inside the page by design; <main> scrolls sideways, so a grid that is too
# wide would not widen the page, it would hide its right-hand side).
_STICKING_OUT = """() => {
  const right = document.querySelector('main').getBoundingClientRect().right + 1;
  return [...document.querySelectorAll('main *')]
    .filter(e => !e.closest('table') && e.getBoundingClientRect().right > right)
    .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 40));
}"""


def test_the_case_page_fits_a_phone_screen_in_german(page, centre):
    """The case's facts (a grid of labels and values) once pushed every value off a
    375-pixel screen in German: the longest label took the whole width."""
    user = factories.make_user(Role.CLINICIAN, centre, username="browser.phone.clinician")
    device = factories.totp_device(user)
    case = make_case(centre, stage=Stage.ENQUIRY)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/staff/cases/{case.pk}/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(rf"/staff/cases/{case.pk}/$"))
    for language in ("en", "de"):
        user.language = language
        user.save()
        page.goto(f"/staff/cases/{case.pk}/")
        assert page.evaluate(_STICKING_OUT) == [], language
        assert page.locator("dl.facts dd").first.is_visible()


# Buttons to the right of what <main> shows: at phone width a table scrolls
# sideways inside <main>, and a button in its last column is off the screen.
_BUTTONS_OFF_SCREEN = """() => {
  const right = document.querySelector('main').getBoundingClientRect().right + 1;
  return [...document.querySelectorAll('main button')]
    .filter(e => e.getBoundingClientRect().right > right)
    .map(e => e.textContent.trim());
}"""


def test_my_tasks_done_buttons_are_on_a_phone_screen_and_named(page, centre, assert_accessible):
    """ "My tasks" once put "Done" in a last column, off a 375-pixel screen in German."""
    user = factories.make_user(Role.CLINICIAN, centre, username="browser.phone.tasks")
    device = factories.totp_device(user)
    case = make_case(centre, stage=Stage.IN_TREATMENT)
    from forestall.cases import actions as case_actions

    for title in ("Rückruf wegen des nächsten Termins vereinbaren", "Fragebogen schicken"):
        case_actions.add_task(case, by=user, title=title, assignee=user)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/staff/cases/tasks/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/cases/tasks/$"))
    for language in ("en", "de"):
        user.language = language
        user.save()
        for path in ("/staff/cases/tasks/", f"/staff/cases/{case.pk}/"):
            page.goto(path)
            assert page.evaluate(_BUTTONS_OFF_SCREEN) == [], (language, path)
    page.goto("/staff/cases/tasks/")
    # Each "Done" says which task it ends (its name includes the task's words).
    page.get_by_role("button", name="Erledigt Fragebogen schicken").click()
    page.wait_for_url(re.compile(r"/staff/cases/tasks/$"))
    assert "Fragebogen schicken" not in page.content()
    assert_accessible(page)


# Rows with a link or button none of which is on the screen: at phone width a
# table scrolls sideways inside <main>, so a row's only way on must not be its
# last column alone.
_ROWS_WITHOUT_A_WAY_ON = """() => {
  const right = document.querySelector('main').getBoundingClientRect().right + 1;
  return [...document.querySelectorAll('main tbody tr')]
    .filter(row => row.querySelector('a, button'))
    .filter(row => ![...row.querySelectorAll('a, button')].some(
      e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right <= right))
    .map(row => row.textContent.trim().replace(/\\s+/g, ' ').slice(0, 50));
}"""


def test_every_list_a_staff_member_works_from_fits_a_phone_screen(page, centre):
    """At 375 pixels, in English and German: no filter or form sticks out of the
    page (the waiting list's programme choice once did), and every row of every
    list can be opened without scrolling sideways (the queue's "Open", the
    templates' and centres' "Edit" and "My tasks"' "Done" were once only in a
    last column, off the screen)."""
    from forestall.cases import actions as case_actions
    from forestall.inbox.models import ReplyTemplate

    user = factories.make_user(Role.CLINICIAN, centre, username="browser.phone.lists")
    factories.add_role(user, Role.COUNSELLOR, centre)
    factories.add_role(user, Role.CENTRE_MANAGER, centre)
    device = factories.totp_device(user)
    case = make_case(centre, stage=Stage.WAITING_LIST, waitlisted_ago=datetime.timedelta(days=9))
    case_actions.add_task(case, by=user, title="Rückruf wegen des Termins", assignee=user)
    make_conversation(centre, language="de")
    ReplyTemplate.objects.create(
        language="de", title="Erste Antwort", body="Danke für Ihre Nachricht. " * 20
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/staff/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/"))
    paths = [
        "/staff/inbox/",
        "/staff/inbox/templates/",
        "/staff/cases/",
        "/staff/cases/waiting-list/",
        "/staff/cases/agenda/",
        "/staff/cases/tasks/",
        "/staff/centres/",
    ]
    for language in ("en", "de"):
        user.language = language
        user.save()
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, (language, path)
            assert page.evaluate(_STICKING_OUT) == [], (language, path)
            assert page.evaluate(_ROWS_WITHOUT_A_WAY_ON) == [], (language, path)
    page.goto("/staff/cases/waiting-list/")
    assert page.locator("main tbody tr").count() >= 1  # the list was not empty
