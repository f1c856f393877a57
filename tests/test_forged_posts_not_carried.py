"""A POST that another site sent is never handed back with a fresh token.

The page for an expired form gives back what was sent, in a form with a new
CSRF token, so that nothing typed is lost. Offered for another site's forged
POST, one press on "Send again" sent that site's entries as the visitor's
own: a codename of the forger's signed the visitor in to the forger's mailbox
(a login CSRF), where everything they then wrote could be read by the forger.
An expired form of this site fails on its cookie or token, never on where it
came from, and still comes back whole.
"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FORGED = {"codename": "forger forger forger forger forger forger forger"}
ELSEWHERE = {"HTTP_ORIGIN": "https://elsewhere.example", "HTTP_SEC_FETCH_SITE": "cross-site"}


def _page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "headers",
    [
        ELSEWHERE,
        {"HTTP_ORIGIN": "https://elsewhere.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
    ],
)
def test_another_sites_sign_in_post_comes_back_with_nothing_to_send(headers):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/mailbox/", FORGED, **headers)
    assert response.status_code == 403
    page = _page(response)
    assert "forger" not in page
    assert 'name="csrfmiddlewaretoken"' not in page.split("<main", 1)[1]


def test_another_sites_message_post_comes_back_with_nothing_to_send():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/mailbox/write/", {"body": "forged words", **FORGED}, **ELSEWHERE)
    assert response.status_code == 403
    assert "forged words" not in _page(response) and "forger" not in _page(response)


def test_another_sites_language_switch_post_to_self_help_never_signs_in():
    client = Client(enforce_csrf_checks=True)
    entries = {"exercise": "coping", "helps": "x", "forestall_language_switch": "en", **FORGED}
    response = client.post("/self-help/self/feelings/", entries, **ELSEWHERE)
    assert response.status_code == 403
    assert "forger" not in _page(response)
    assert "forestall_mailbox" not in response.cookies


@pytest.mark.parametrize(
    "headers", [{}, {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"}]
)
def test_this_sites_own_expired_form_still_comes_back_whole(headers):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/mailbox/write/", {"body": "my own words", "centre": ""}, **headers)
    assert response.status_code == 403
    assert "my own words" in _page(response)
    assert 'name="csrfmiddlewaretoken"' in _page(response)
