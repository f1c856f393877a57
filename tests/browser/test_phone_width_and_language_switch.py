"""Public pages at phone width with what people really write, and the language
switch on a page that answered a form, in Chromium without JavaScript."""

from __future__ import annotations

from forestall.accounts.models import Role
from forestall.inbox.models import Mailbox
from tests import factories
from tests.factories_cases import make_case, make_client

PHONE = {"width": 375, "height": 740}
LONG_ADDRESS = "https://example.org/" + "a" * 120
LONG_WORD = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"
HELPS = "Walking helps me, and talking to my sister."


def _open_new_mailbox(page, prefix: str = "/de") -> None:
    page.goto(f"{prefix}/mailbox/start/")
    page.locator("main form button[type=submit]").click()
    page.check("#id_confirmed")
    page.locator("main form button[type=submit]").click()


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_long_word_or_address_never_widens_a_german_page_past_the_phone(page_without_js):
    """The German PHQ-9's title ("Gesundheitsfragebogen") made the page 417 px wide."""
    page = page_without_js
    page.set_viewport_size(PHONE)
    _open_new_mailbox(page)
    page.fill('textarea[name="body"]', f"{LONG_ADDRESS} {LONG_WORD}")
    page.locator("form[action$='/write/'] button[type=submit]").click()
    assert LONG_WORD in page.locator("main").inner_text()
    assert _width(page) <= 375

    from forestall.instruments import actions

    centre = factories.make_centre("Präventionszentrum Mecklenburg-Vorpommern")
    clinician = factories.make_user(Role.CLINICIAN, centre, username="browser.phone.de")
    person = make_client(mailbox=Mailbox.objects.get())
    make_case(centre, client=person)
    pending = actions.send_to_mailbox(
        person, "phq9", occasion="session", by=clinician, centre=centre
    )
    page.goto(f"/de/mailbox/questionnaires/{pending.pk}/")
    assert "Gesundheitsfragebogen" in page.locator("h1").inner_text()
    assert _width(page) <= 375


def _show_answers_then_switch_to_english(page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/de/self-help/self/feelings/")
    page.fill("#id_helps", HELPS)
    page.locator("form[action*='#exercise-coping'] button[type=submit]").first.click()
    page.locator("nav.languages button", has_text="English").click()


def test_switching_language_after_showing_answers_keeps_them(page_without_js):
    page = page_without_js
    _show_answers_then_switch_to_english(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="The language changed, nothing is lost").is_visible()
    assert _width(page) <= 375
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#id_helps").input_value() == HELPS
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_language_switch_as_a_form_and_its_page_pass_axe(page, assert_accessible):
    _show_answers_then_switch_to_english(page)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    assert page.locator("nav.languages button", has_text="Deutsch").count() == 1
    assert_accessible(page)


_CHOICES_CUT_OFF = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const select of document.querySelectorAll("main select")) {
    const style = getComputedStyle(select);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    // What a closed box shows: its width less padding, border and the arrow.
    const room = select.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight) - 20;
    for (const option of select.options) {
      if (canvas.measureText(option.text).width > room) cut.push(option.text);
    }
  }
  return cut;
}"""


def test_no_choice_is_cut_off_in_its_closed_box_on_a_german_phone(page_without_js):
    """Muddle: "Beliebiges Zentrum / das Netzwerk" showed as "… das Netzwer" in the
    mailbox's "Wer soll antworten?" box at 375 px. Every choice box a help-seeker
    meets (the mailbox, the start page, the centre finder) shows its choices whole."""
    page = page_without_js
    page.set_viewport_size(PHONE)
    factories.make_centre("Präventionszentrum Berlin")
    _open_new_mailbox(page)
    checked = 0
    for address in ("/de/mailbox/", "/de/mailbox/start/", "/de/centres/"):
        page.goto(address)
        checked += page.locator("main select").count()
        assert page.evaluate(_CHOICES_CUT_OFF) == [], address
    assert checked
