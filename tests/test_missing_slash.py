"""An address typed without its last slash: a form's request is sent on whole, never a 500.

The defect: Django's CommonMiddleware answered ``POST /staff/cases`` (or
PUT, DELETE, …) with a RuntimeError when ``DEBUG`` was on, as in ``make demo``:
a 500. With ``DEBUG`` off it answered 301, which browsers follow with a GET,
so what was sent was lost. Every address that ends in a slash is now walked
without it, with every method: GET and HEAD keep the 301, any other method
gets a 308 to the same place (the browser sends the same request again).
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.test_bad_input_never_500 import _public_paths, _staff_paths

pytestmark = pytest.mark.django_db

METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _without_slash() -> list[str]:
    paths = [*_public_paths(), *_staff_paths(), "/de/", "/de/centres/", "/api/v1/statistics/"]
    return sorted({path.rstrip("/") for path in paths if path.endswith("/") and path != "/"})


@pytest.mark.parametrize("debug", [True, False])
def test_every_address_without_its_slash_sends_a_form_s_request_on_whole(debug):
    client = Client(raise_request_exception=False)
    refused = []
    with override_settings(DEBUG=debug):
        for path in _without_slash():
            for method in METHODS:
                response = client.generic(method, path)
                if response.status_code >= 500:
                    refused.append(f"{method} {path}: {response.status_code}")
                elif (
                    response.status_code in (301, 302, 307)
                    and response["Location"].rstrip("/") == path
                ):
                    refused.append(f"{method} {path}: {response.status_code} loses the request")
                elif response.status_code == 308:
                    assert response["Location"] == path + "/"
            assert client.get(path).status_code in (301, 404), path
    assert refused == []


def test_a_form_sent_without_the_slash_arrives_with_what_was_typed():
    client = Client()
    response = client.post("/de/mailbox/start", {"anything": "typed"}, follow=True)
    assert response.redirect_chain[0] == ("/de/mailbox/start/", 308)
    assert response.request["REQUEST_METHOD"] == "POST"


def test_a_get_without_the_slash_is_the_usual_permanent_redirect():
    response = Client().get("/de/centres?page=2")
    assert (response.status_code, response["Location"]) == (301, "/de/centres/?page=2")
