"""The admin's pages for staff accounts say everything in German to a German reader.

A German account page offered "Reset password": Django's own German
catalogue has no translation for that and a dozen other texts of its newer
password pages (``Enabled``, ``Password-based authentication``, …), so they
fell through in English. forestall translates them in ``forestall/locale``
(named in ``forestall/translation_overrides.py``). A few are English in
Django's code, not its catalogue, and forestall says them itself: the
password page's warning, the search box's label, the account list's
"active" column.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import django
import pytest

pytestmark = pytest.mark.django_db

DJANGO_CATALOGUES = [
    Path(django.__file__).parent / "contrib" / app / "locale/de/LC_MESSAGES/django.po"
    for app in ("admin", "auth")
]


def _untranslated_in_django() -> set[str]:
    """Messages Django's own German catalogues of the admin and auth leave empty."""
    found = set()
    for path in DJANGO_CATALOGUES:
        for entry in re.split(r"\n\s*\n", path.read_text()):
            parts = re.findall(
                r'^(msgid|msgid_plural|msgstr(?:\[\d\])?)\s+"(.*)"$|^"(.*)"$', entry, re.M
            )
            fields: dict[str, str] = {}
            current = ""
            for keyword, first, more in parts:
                if keyword:
                    current = keyword
                    fields[current] = first
                else:
                    fields[current] = fields.get(current, "") + more
            msgid = fields.get("msgid", "").replace('\\"', '"')
            if msgid and not any(fields.get(key) for key in fields if key.startswith("msgstr")):
                found.add(msgid)
    return found


def _text(page: str) -> str:
    """What a reader sees or hears: the text, and the labels in attributes."""
    without_code = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    said = re.findall(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', without_code)
    return html.unescape(re.sub(r"<[^>]+>", "\n", without_code) + "\n" + "\n".join(said))


def _account_pages(client, account) -> dict[str, str]:
    base = f"/staff/admin/accounts/user/{account.pk}"
    return {
        url: client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        for url in (
            "/staff/admin/accounts/user/",
            "/staff/admin/accounts/user/add/",
            f"{base}/change/",
            f"{base}/password/",
            f"{base}/history/",
            f"{base}/delete/",
        )
    }


def test_no_account_page_shows_a_message_django_left_english(sign_in, network_admin, clinician_a):
    english = {msgid.replace("%s", "").strip() for msgid in _untranslated_in_django()}
    english = {msgid for msgid in english if len(msgid) > 3}
    assert "Reset password" in english  # the catalogues are read
    for url, page in _account_pages(sign_in(network_admin), clinician_a).items():
        text = _text(page)
        assert [msgid for msgid in sorted(english) if msgid in text] == [], url


def test_the_account_page_offers_to_reset_the_password_in_german(
    sign_in, network_admin, clinician_a
):
    page = sign_in(network_admin).get(
        f"/staff/admin/accounts/user/{clinician_a.pk}/change/", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Passwort zurücksetzen" in _text(page.content.decode())


def test_a_german_staff_member_s_own_language_choice_is_enough(sign_in, network_admin, clinician_a):
    network_admin.language = "de"
    network_admin.save(update_fields=["language"])
    page = sign_in(network_admin).get(f"/staff/admin/accounts/user/{clinician_a.pk}/change/")
    text = _text(page.content.decode())
    assert "Passwort zurücksetzen" in text
    assert "Reset password" not in text


@pytest.mark.parametrize(
    "english",
    [
        "If disabled, the current password for this user will be lost.",  # the password page
        "Search",  # the search box's label on the account list
        "True",  # the "active" column's icons
        "False",
    ],
)
def test_no_account_page_shows_english_from_django_s_code(
    sign_in, network_admin, clinician_a, english
):
    clinician_a.is_active = False
    clinician_a.save()
    for url, page in _account_pages(sign_in(network_admin), clinician_a).items():
        assert english not in _text(page).splitlines(), url
