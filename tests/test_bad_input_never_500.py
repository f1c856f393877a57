"""Bad input never gets a 500: every public address, with hostile query strings and bodies.

The public addresses are found by walking the URL configuration, so a new
public page joins this test without anyone remembering to add it.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from forestall.accounts.models import Role, User
from tests import factories

# A well-formed id that no row has (every key is a random UUID4). Fixed rather
# than drawn at collection time, so that every pytest-xdist worker collects the
# same test ids.
MISSING_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

HOSTILE_VALUES = [
    "",
    " ",
    "zz",
    "-1",
    "99999999999999999999999",
    "1e309",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00",
    "ü" * 3000,
    "../../etc/passwd",
    "%ff%fe",
    MISSING_ID,
]
QUERY_NAMES = ["language", "service", "region", "remote", "lang", "period", "centre", "page", "q"]
BODY_NAMES = [
    *("codename", "body", "centre", "pathway", "confirm", "urgent", "answers", "q1"),
    # A self-help exercise and its "keep these answers" page.
    *("exercise", "warning-signs", "create", "keep", "keep_offered", "moment"),
]


def _public_paths() -> list[str]:
    """Every public URL pattern, with an id no row has or a slug for its parameters."""
    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                full = prefix + route
                if full.startswith(("staff/", "api/", "^", "healthz")):
                    continue
                full = full.replace("<uuid:administration_id>", MISSING_ID)
                full = full.replace("<slug:slug>", "no-such-thing")
                # A module that exists: its pages (the exercise, "keep these
                # answers", the rating) read their forms only when it does.
                full = full.replace("<slug:programme>/<slug:module>", "self/safety-plan")
                full = full.replace("<slug:programme>", "self")
                full = re.sub(r"<str:\w+>", "no-such-thing", full)
                if "<" in full:
                    continue
                paths.append("/" + full.replace("en/", "", 1))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def test_the_walk_finds_the_public_contract():
    paths = _public_paths()
    for expected in ("/", "/centres/", "/self-check/", "/mailbox/", "/mailbox/start/"):
        assert expected in paths


@pytest.mark.django_db
@pytest.mark.parametrize("path", _public_paths())
def test_hostile_query_strings_never_get_a_500(path):
    client = Client(raise_request_exception=False)
    for value in HOSTILE_VALUES:
        response = client.get(path, dict.fromkeys(QUERY_NAMES, value))
        assert response.status_code < 500, (path, value[:20], response.status_code)


# More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS, short enough for any proxy's
# request line: Django refuses to read such a query at all.
TOO_MANY_FIELDS = "&".join("a" for _ in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
@pytest.mark.parametrize("path", _public_paths())
def test_an_unreadable_query_gets_the_translated_error_page(path, debug):
    """It was a bare English "400" (in development a 500): the first middleware
    to read the query raised before the page's language was known."""
    if path.startswith("/api/"):
        return
    client = Client(raise_request_exception=False)
    with override_settings(DEBUG=debug):
        english = client.get(f"{path}?{TOO_MANY_FIELDS}")
        german = client.get(f"/de{path}?{TOO_MANY_FIELDS}")
    assert english.status_code == 400, (path, english.status_code)
    assert '<html lang="en">' in english.text
    assert "<h1>Something was wrong with that request</h1>" in english.text
    if path.startswith("/staff/"):
        return
    assert german.status_code == 400, (path, german.status_code)
    assert '<html lang="de">' in german.text and german["Content-Language"] == "de"
    assert "<h1>Mit dieser Anfrage stimmte etwas nicht</h1>" in german.text
    assert "Back to the start page" not in german.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", _public_paths())
def test_hostile_form_posts_never_get_a_500(path):
    # CSRF checks stay on: a forged post is a 403, never a 500.
    for enforce_csrf in (True, False):
        client = Client(enforce_csrf_checks=enforce_csrf, raise_request_exception=False)
        for value in HOSTILE_VALUES:
            response = client.post(path, dict.fromkeys(BODY_NAMES, value))
            assert response.status_code < 500, (path, value[:20], response.status_code)


@pytest.mark.django_db
def test_the_api_answers_bad_parameters_with_a_4xx():
    client = Client(raise_request_exception=False)
    paths = [
        "/api/v1/statistics/",
        "/api/v1/statistics/tables/",
        "/api/v1/statistics/tables/no-such-table",
        "/api/v1/statistics/estimates",
        "/api/v1/statistics/funnel",
    ]
    for path in paths:
        for value in HOSTILE_VALUES:
            response = client.get(path, dict.fromkeys(QUERY_NAMES, value))
            assert response.status_code < 500, (path, value[:20], response.status_code)


def _staff_paths() -> list[str]:
    """Every staff URL pattern; id parameters get an id no row has (a 404 is fine)."""
    import re

    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                full = prefix + route
                if not full.startswith("staff/") or full.startswith("staff/admin/"):
                    continue
                full = re.sub(r"<uuid:\w+>", MISSING_ID, full)
                full = re.sub(r"<(slug|str):\w+>", "no-such-thing", full)
                full = re.sub(r"<int:\w+>", "999999", full)
                if "<" in full or "^" in full or "(?" in full:
                    continue
                paths.append("/" + full)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


@pytest.fixture(scope="module")
def _staff_ids(module_db):
    """A network admin, and a clinician and a manager of centre A: built once."""
    centre_a = factories.make_centre("Centre A", factories.make_region("North"))
    users = (
        factories.make_user(Role.NETWORK_ADMIN, None, username="network_admin"),
        factories.make_user(Role.CLINICIAN, centre_a, username="clinician_a"),
        factories.make_user(Role.CENTRE_MANAGER, centre_a, username="manager_a"),
    )
    return [user.pk for user in users]


@pytest.fixture(scope="module")
def _session_keys(_staff_ids) -> dict:
    """A signed-in session (second factor verified) for each of them, made once.

    The session rows are module data: what a request writes into a session
    (every request saves it; a hostile post to the sign-out ends it) is rolled
    back with the rest of the test, so each test starts from the same three
    signed-in sessions, as if it had signed them in itself.
    """
    users = User.objects.in_bulk(_staff_ids)
    return {
        pk: factories.signed_in_client(users[pk]).cookies[settings.SESSION_COOKIE_NAME].value
        for pk in _staff_ids
    }


@pytest.fixture
def staff(_staff_ids, _session_keys, db) -> list[tuple[User, Client]]:
    """Each of them with a new test client in their signed-in session."""
    users = User.objects.in_bulk(_staff_ids)
    signed_in = []
    for pk in _staff_ids:
        client = Client(raise_request_exception=False)
        client.cookies[settings.SESSION_COOKIE_NAME] = _session_keys[pk]
        signed_in.append((users[pk], client))
    return signed_in


@pytest.mark.parametrize("path", _staff_paths())
def test_hostile_staff_requests_never_get_a_500(path, staff):
    for user, client in staff:
        for value in HOSTILE_VALUES[:9]:
            response = client.get(path, dict.fromkeys(QUERY_NAMES, value))
            assert response.status_code < 500, ("GET", path, user.username, value[:20])
            response = client.post(path, dict.fromkeys(BODY_NAMES + QUERY_NAMES, value))
            assert response.status_code < 500, ("POST", path, user.username, value[:20])


# Raw form bodies: bytes no browser should send but anyone can (a lone UTF-16
# surrogate as UTF-8, bytes that are not UTF-8, a NUL), and a very long answer.
HOSTILE_ANSWERS = ["%ED%A0%80", "%FF%FE", "a%00b", "x" * 100_000, "%F0%9F%98%80" * 3000]


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/de"])
@pytest.mark.parametrize(
    "page", ["", "keep/", "print/", "rating/", "done/", "share/"], ids=lambda page: page or "module"
)
def test_hostile_exercise_answers_never_get_a_500(prefix, page):
    client = Client(raise_request_exception=False)
    path = f"{prefix}/self-help/self/safety-plan/{page}"
    for answer in HOSTILE_ANSWERS:
        for extra in ("", "&create=1&keep=on&keep_offered=1"):
            body = f"exercise=plan&warning-signs={answer}&reasons={answer}{extra}"
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500, (path, answer[:12], extra, response.status_code)
