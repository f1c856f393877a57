"""A staff form sent after the session ended is kept through the sign-in, for its author.

Before, a note, a concern's reasons or a referral summary written over more
than the 30 minutes of a staff session was sent into the sign-in page and,
after signing in, the form was empty: what was written was lost. Now the
sign-in leads to a page with what was written and a button that sends it
(through the original view and its gate). Only the author sees it.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.cases.models import Note
from forestall.cases.pathway import Stage
from tests import factories
from tests.factories_cases import make_case

NOTE = "Long session today: talked through the relapse plan, the weekend and his sister's kids."


@pytest.fixture
def case(centre_a):
    return make_case(centre_a, stage=Stage.IN_TREATMENT)


def _token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def _session_ends(browser: Client) -> None:
    Session.objects.filter(session_key=browser.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )


def _write_a_note_until_the_session_ends(browser: Client, case) -> str:
    url = f"/staff/cases/{case.pk}/notes/"
    token = _token(browser.get(url))
    _session_ends(browser)
    response = browser.post(url, {"csrfmiddlewaretoken": token, "body": NOTE})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/staff/login/")
    return re.search(r"next=([^&]+)", location).group(1).replace("%2F", "/")


def test_the_sign_in_page_says_the_form_is_kept_in_the_staff_members_language(
    sign_in, case, clinician_a
):
    """It used to be the plain sign-in page: nothing said the text was safe."""
    browser = sign_in(clinician_a)
    kept = _write_a_note_until_the_session_ends(browser, case)
    url = f"/staff/login/?next={kept}"
    signin = browser.get(url)
    assert signin.status_code == 200
    assert (
        "Your session ended before the form was sent, so nothing was saved yet. What you "
        "wrote is kept for you for 30 minutes: sign in to see it and send it."
    ) in html.unescape(signin.content.decode())
    german = browser.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "wird 30 Minuten für Sie aufbewahrt: Melden Sie sich an" in html.unescape(german)
    # A sign-in for any other reason says nothing of the kind.
    plain = Client().get("/staff/login/?next=/staff/cases/").content.decode()
    assert "kept for you" not in plain


def test_a_note_sent_after_the_session_ended_comes_back_after_the_sign_in(
    sign_in, case, clinician_a
):
    browser = sign_in(clinician_a)
    kept = _write_a_note_until_the_session_ends(browser, case)
    assert kept.startswith("/staff/kept/")
    assert not Note.objects.filter(case=case).exists()

    browser = sign_in(clinician_a, browser)
    page = browser.get(kept)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Your session ended before the form was sent" in text
    assert "the relapse plan" in text
    assert f'action="/staff/cases/{case.pk}/notes/"' in text

    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    }
    sent = browser.post(f"/staff/cases/{case.pk}/notes/", fields)
    assert sent.status_code == 302
    assert Note.objects.get(case=case).body == NOTE


def test_nobody_else_signing_in_on_that_browser_sees_it(sign_in, case, clinician_a, centre_a):
    browser = sign_in(clinician_a)
    kept = _write_a_note_until_the_session_ends(browser, case)
    colleague = factories.make_user(Role.CLINICIAN, centre_a, username="next.user")
    response = sign_in(colleague, browser).get(kept)
    assert response.status_code == 404
    assert "relapse plan" not in response.content.decode()
    # The author still gets it.
    assert sign_in(clinician_a, Client()).get(kept).status_code == 200


def test_a_browser_that_never_signed_in_keeps_nothing(client, case):
    response = client.post(f"/staff/cases/{case.pk}/notes/", {"body": NOTE})
    assert response.status_code == 302
    assert "/staff/kept/" not in response["Location"]
    assert not any("kept-form" in key for key in cache._cache)  # the local-memory cache


def test_a_signed_out_session_keeps_nothing(sign_in, case, clinician_a):
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    token = _token(browser.get(url))
    Session.objects.filter(session_key=browser.session.session_key).delete()
    response = browser.post(url, {"csrfmiddlewaretoken": token, "body": NOTE})
    assert "/staff/kept/" not in response["Location"]


def test_the_kept_text_is_encrypted_in_the_cache(sign_in, case, clinician_a):
    browser = sign_in(clinician_a)
    _write_a_note_until_the_session_ends(browser, case)
    stored = [value for value in cache._cache.values()]  # the local-memory cache's pickles
    assert stored
    assert not any(b"relapse plan" in value for value in stored)


def test_the_page_speaks_german(sign_in, case, clinician_a):
    browser = sign_in(clinician_a)
    kept = _write_a_note_until_the_session_ends(browser, case)
    page = sign_in(clinician_a, browser).get(kept, HTTP_ACCEPT_LANGUAGE="de")
    assert "Ihre Sitzung war abgelaufen" in page.content.decode()
    assert "Jetzt senden" in page.content.decode()
