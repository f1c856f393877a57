"""Every link in a staff page's menus opens for the person it is shown to.

Muddle: a safeguarding lead who opened a case page found "Waiting list",
"Agenda" and "Groups" in the case-work menu, and each answered "Page not
found": the menu was the same for everyone, the pages are for the centres'
clinicians and managers. For every role, this walks the staff pages reachable
through the menus (``nav`` elements) and asks each menu link once.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from forestall.accounts.models import Role
from tests import factories
from tests.factories_cases import make_case


class _NavLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        elif tag == "a" and self.depth:
            href = dict(attrs).get("href") or ""
            if href.startswith("/staff/"):
                self.links.append(href.split("#")[0])

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.depth:
            self.depth -= 1


def _menu_links(html: str) -> list[str]:
    parser = _NavLinks()
    parser.feed(html)
    return parser.links


ROLES = [
    (Role.COUNSELLOR, True),
    (Role.CLINICIAN, True),
    (Role.CENTRE_MANAGER, True),
    (Role.SAFEGUARDING_LEAD, True),
    (Role.COUNSELLOR, False),
    (Role.SAFEGUARDING_LEAD, False),
    (Role.ANALYST, False),
    (Role.NETWORK_ADMIN, False),
]


@pytest.mark.parametrize(("role", "at_centre"), ROLES)
def test_every_menu_link_opens_for_whom_it_is_shown(sign_in, centre_a, role, at_centre):
    user = factories.make_user(role, centre_a if at_centre else None, username=f"nav_{role}")
    case = make_case(centre_a)
    browser = sign_in(user)
    # The pages a person of this role can open, to see the menus they carry.
    start = ["/staff/", f"/staff/cases/{case.pk}/", "/staff/cases/tasks/", "/staff/cases/"]
    pages = [path for path in start if browser.get(path).status_code == 200]
    seen: set[str] = set()
    refused: list[str] = []
    while pages:
        page = pages.pop()
        for link in _menu_links(browser.get(page).content.decode()):
            if link in seen or re.search(r"logout|language", link):
                continue
            seen.add(link)
            answer = browser.get(link)
            if answer.status_code != 200:
                refused.append(f"{link} ({answer.status_code}, in the menu of {page})")
            elif answer.get("Content-Type", "").startswith("text/html"):
                pages.append(link)
    assert seen, "no menu links found"
    assert not refused, refused
