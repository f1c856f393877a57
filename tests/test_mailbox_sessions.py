"""Mailbox sessions end on the server: a replayed cookie opens nothing, and says nothing.

The attack of the security review: after "Sign out" the old cookie still
opened the mailbox for up to 30 minutes, and the cookie showed the mailbox id
in readable form. And a HEAD request (nobody reading) renewed the session and
the mailbox's last active day.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from django.core import signing
from django.test import Client
from django.utils import timezone

from forestall.inbox.mailbox_session import COOKIE_NAME
from forestall.inbox.models import Mailbox, MailboxSession
from tests.database_dump import database_rows_text
from tests.test_mailbox import open_new_mailbox


def _opens_mailbox(client: Client) -> bool:
    return b'<textarea name="body"' in client.get("/mailbox/").content


def _replay(cookie: str) -> Client:
    thief = Client()
    thief.cookies[COOKIE_NAME] = cookie
    return thief


def test_a_cookie_replayed_after_sign_out_opens_nothing(db):
    browser = Client()
    open_new_mailbox(browser)
    stolen = browser.cookies[COOKIE_NAME].value
    assert _opens_mailbox(_replay(stolen))
    browser.post("/mailbox/sign-out/")
    assert not _opens_mailbox(_replay(stolen))
    # A write with the dead cookie is treated as "signed out": the text is
    # offered back with a codename field, nothing is sent.
    assert _replay(stolen).post("/mailbox/write/", {"body": "hello"}).status_code == 401
    assert not Mailbox.objects.get().conversations.exists()


def test_a_cookie_replayed_after_delete_opens_nothing(db):
    browser = Client()
    open_new_mailbox(browser)
    stolen = browser.cookies[COOKIE_NAME].value
    browser.post("/mailbox/delete/")
    assert not _opens_mailbox(_replay(stolen))
    assert not MailboxSession.objects.exists()


def test_signing_out_ends_only_that_browsers_session(db):
    phone, laptop = Client(), Client()
    codename = open_new_mailbox(phone)
    laptop.get("/mailbox/")
    assert laptop.post("/mailbox/", {"codename": codename}).status_code == 302
    phone.post("/mailbox/sign-out/")
    assert not _opens_mailbox(phone)
    assert _opens_mailbox(laptop)


def test_a_refreshed_cookie_keeps_the_same_server_session(db):
    browser = Client()
    open_new_mailbox(browser)
    for _ in range(3):
        assert _opens_mailbox(browser)
    assert MailboxSession.objects.count() == 1
    first = browser.cookies[COOKIE_NAME].value
    browser.post("/mailbox/sign-out/")
    # Every refreshed cookie of that session is dead, the first one included.
    assert not _opens_mailbox(_replay(first))


def test_the_cookie_reveals_no_mailbox_id_and_no_codename(db):
    browser = Client()
    codename = open_new_mailbox(browser)
    value = browser.cookies[COOKIE_NAME].value
    mailbox = Mailbox.objects.get()
    readings = [value]
    for part in re.split(r"[:.]", value):
        padded = part + "=" * (-len(part) % 4)
        try:
            readings.append(base64.urlsafe_b64decode(padded).decode("latin-1"))
        except (ValueError, TypeError):
            continue
    text = " ".join(readings)
    for secret in (str(mailbox.pk), mailbox.pk.hex, mailbox.codename_hash, *codename.split()):
        assert secret not in text, secret


def test_the_server_keeps_only_a_hash_of_the_token(db):
    browser = Client()
    open_new_mailbox(browser)
    token = browser.cookies[COOKIE_NAME].value.split(":", 1)[0]
    assert token not in database_rows_text()


def test_a_forged_cookie_is_refused(db):
    browser = Client()
    open_new_mailbox(browser)
    value = browser.cookies[COOKIE_NAME].value
    token, rest = value.split(":", 1)
    assert not _opens_mailbox(_replay(token[::-1] + ":" + rest))
    unsigned = signing.TimestampSigner(salt="something else").sign(token)
    assert not _opens_mailbox(_replay(unsigned))


def test_an_idle_session_still_goes_back_to_the_sign_in(db, monkeypatch):
    browser = Client()
    open_new_mailbox(browser)
    later = signing.time.time() + 31 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = browser.get("/mailbox/")
    assert b'name="codename"' in response.content  # back at the sign-in
    # A message sent after the idle expiry is offered back with a codename field.
    response = browser.post("/mailbox/write/", {"body": "still here"})
    assert response.status_code == 401
    assert "still here" in response.content.decode()


def test_a_session_older_than_its_maximum_age_opens_nothing(db):
    from datetime import timedelta

    from django.utils import timezone

    browser = Client()
    open_new_mailbox(browser)
    assert _opens_mailbox(browser)
    MailboxSession.objects.update(
        created_at=timezone.now() - timedelta(hours=MailboxSession.MAX_AGE_HOURS, minutes=1)
    )
    assert not _opens_mailbox(browser)


# --- A HEAD request only looks: it renews nothing ---------------------------------

# Pages a signed-in person's browser may be asked for with HEAD: the mailbox (in
# both languages), the delete confirmation, a self-help module.
_LOOKED_AT = ("/mailbox/", "/de/mailbox/", "/mailbox/delete/", "/self-help/self/safety-plan/")


def _at(monkeypatch, minutes: float) -> None:
    """The clock ``minutes`` after the mailbox was opened (cookies are signed with it)."""
    monkeypatch.setattr(signing.time, "time", lambda: _OPENED_AT + minutes * 60)


_OPENED_AT = signing.time.time()


def test_head_requests_renew_neither_the_session_nor_the_last_active_day(db, monkeypatch):
    """A shared computer the person walked away from, its tab left open: a link checker, a
    chat app's preview or the browser's prefetch asks for the pages' headers every few
    minutes. That is nobody using the mailbox: the session must still end 30 idle minutes
    after the person's last page, and the retention period still count from their last day."""
    from forestall.selfhelp.models import Workbook

    browser = Client()
    _at(monkeypatch, 0)
    open_new_mailbox(browser)
    three_days_ago = timezone.localdate() - timedelta(days=3)
    Mailbox.objects.update(last_active_on=three_days_ago)
    cookie = browser.cookies[COOKIE_NAME].value

    for minutes in (10, 20, 29):
        _at(monkeypatch, minutes)
        for path in _LOOKED_AT:
            response = browser.head(path)
            assert response.status_code == 200, path
            assert COOKIE_NAME not in response.cookies, path
    assert browser.cookies[COOKIE_NAME].value == cookie
    assert Mailbox.objects.get().last_active_on == three_days_ago
    assert not Workbook.objects.exists()  # no self-help place noted either
    assert MailboxSession.objects.count() == 1

    _at(monkeypatch, 31)
    assert not _opens_mailbox(browser)  # 31 minutes after the last page actually used


def test_a_get_renews_the_session_and_notes_the_day(db, monkeypatch):
    """The person reading their mailbox is activity: each page keeps the session open for
    another 30 minutes and the mailbox counts as used today."""
    browser = Client()
    _at(monkeypatch, 0)
    open_new_mailbox(browser)
    Mailbox.objects.update(last_active_on=timezone.localdate() - timedelta(days=3))

    _at(monkeypatch, 20)
    assert _opens_mailbox(browser)
    assert Mailbox.objects.get().last_active_on == timezone.localdate()
    _at(monkeypatch, 45)
    assert _opens_mailbox(browser)  # 25 minutes after the last page
