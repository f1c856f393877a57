"""A method no form sends (PROPFIND, FOO) gets 405 with ``Allow`` and the calm page, not 403.

Django's CSRF check takes every method it does not know for an unsafe one:
``PROPFIND /`` answered 403 with "This form expired", on every public and
staff address with a CSRF-checked view. Now such a method is refused before
the check, without running any view, with the methods the address's view
declares; POST, PUT, PATCH and DELETE are CSRF-checked as before.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from forestall.accounts.models import Role
from forestall.inbox.models import Mailbox
from forestall.lib.methods import STANDARD_METHODS, declared_methods
from tests import factories
from tests.test_bad_input_never_500 import _public_paths, _staff_paths

pytestmark = pytest.mark.django_db

UNKNOWN = ["PROPFIND", "MKCOL", "FOO"]
TITLE = {
    "en": "This address does not take that kind of request",
    "de": "Diese Adresse nimmt diese Art von Anfrage nicht an",
}


def _allowed(response) -> set[str]:
    return {method.strip() for method in response["Allow"].split(",")}


def _refused_calmly(response, method: str, language: str) -> None:
    assert response.status_code == 405, (method, response.status_code)
    allowed = _allowed(response)
    assert allowed and allowed <= STANDARD_METHODS
    assert method not in allowed
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    # Either text of the calm page: a POST-only address says it only takes forms.
    assert TITLE[language] in page or allowed == {"POST"}, page[:300]


@pytest.mark.parametrize("path", _public_paths())
def test_an_unknown_method_on_every_public_address_gets_405_and_the_calm_page(path):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    for method in UNKNOWN:
        _refused_calmly(client.generic(method, path), method, "en")
        _refused_calmly(client.generic(method, "/de" + path), method, "de")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", {"GET", "HEAD"}),
        ("/mailbox/start/", {"GET", "HEAD", "POST"}),
        ("/mailbox/sign-out/", {"POST"}),
        ("/self-help/self/safety-plan/keep/", {"POST"}),
    ],
)
def test_allow_names_what_the_address_takes(path, allowed):
    response = Client(enforce_csrf_checks=True).generic("PROPFIND", path)
    assert _allowed(response) == allowed


def test_the_unknown_method_runs_no_view():
    Client(enforce_csrf_checks=True).generic("PROPFIND", "/mailbox/start/", "pathway=self")
    assert not Mailbox.objects.exists()


def test_an_unknown_method_on_every_staff_address_gets_405_signed_in_or_not():
    signed_in = factories.signed_in_client(
        factories.make_user(Role.NETWORK_ADMIN, None, username="admin_unknown_method")
    )
    checked = Client(enforce_csrf_checks=True, raise_request_exception=False)
    checked.cookies[settings.SESSION_COOKIE_NAME] = signed_in.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    anonymous = Client(enforce_csrf_checks=True, raise_request_exception=False)
    for path in [*_staff_paths(), "/staff/admin/"]:
        for client in (checked, anonymous):
            response = client.generic("PROPFIND", path)
            assert response.status_code == 405, (path, response.status_code)
            assert "PROPFIND" not in _allowed(response)
            assert "<h1>" in response.content.decode()


@pytest.mark.parametrize("path", ["/mailbox/start/", "/de/mailbox/", "/staff/login/"])
def test_a_form_sent_to_an_address_that_takes_it_is_still_csrf_checked(path):
    response = Client(enforce_csrf_checks=True).post(path, {"pathway": "self"})
    assert response.status_code == 403, (path, response.status_code)
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/mailbox/start/", "/de/mailbox/", "/staff/login/"])
def test_a_method_the_address_does_not_take_is_refused_before_anything_runs(method, path):
    response = Client(enforce_csrf_checks=True).generic(method, path, "pathway=self")
    assert response.status_code == 405, (method, path, response.status_code)
    assert method not in _allowed(response)
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize("path", _public_paths())
def test_a_form_sent_to_a_page_that_takes_none_is_405_not_this_form_expired(path):
    """POST to the centre finder said "This form expired": untrue, nothing was
    expired. A page whose view takes no POST now answers 405, calmly, before the
    CSRF check."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    with translation.override("en"):
        view = resolve(path.split("?")[0]).func
    if "POST" in (declared_methods(view) or ("POST",)):
        return
    for prefix, language in (("", "en"), ("/de", "de")):
        for method in ("POST", "PUT", "DELETE"):
            _refused_calmly(client.generic(method, prefix + path, "a=1"), method, language)


def _routed_views() -> list[tuple[str, object]]:
    views: list[tuple[str, object]] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                views.append((route, entry.callback))

    walk(get_resolver().url_patterns, "")
    return views


def test_every_view_but_the_admin_and_the_api_declares_its_methods():
    """So that ``Allow`` is true everywhere: a new view without a method
    decorator (``require_http_methods``, ``require_safe``, ``post_only``, a
    class-based view) fails here rather than answering with a guess."""
    undeclared = [
        route
        for route, view in _routed_views()
        if not route.startswith(("staff/admin/", "api/")) and declared_methods(view) is None  # type: ignore[arg-type]
    ]
    assert undeclared == []
