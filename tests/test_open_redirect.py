"""No response of forestall redirects to another host, and no editable text links off-site.

The attack of the security review: ``GET /de//evil.example/x?lang=en`` answered
``302 Location: //evil.example/x``, which a browser follows to another host.
Every payload below is walked over every kind of redirect forestall makes,
with and without a language prefix.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client

from forestall.lib.redirects import safe_local_url
from forestall.public.content import render_markdown
from tests import factories
from tests.factories_accounts import current_totp, post_password, post_token

PAYLOADS = (
    "//evil.example/x",
    "///evil.example/x",
    "/\\evil.example/x",
    "/\\\\evil.example/x",
    "/%2F%2Fevil.example/x",
    "/%2f/evil.example/x",
    "/%5Cevil.example/x",
    "/%5C%5Cevil.example/x",
    "/\\/evil.example/x",
    "/%09/evil.example/x",
    "https://evil.example/x",
    "http:evil.example",
)
PREFIXES = ("", "/de", "/en")
QUERIES = ("", "?lang=en", "?lang=de", "?lang=en&x=1")


def _leaves_the_site(location: str) -> bool:
    """How a browser could read ``location``: any reading that names another host fails."""
    readings = {location, unquote(location), unquote(unquote(location))}
    for reading in readings:
        text = re.sub(r"[\x00-\x20\x7f]", "", reading).replace("\\", "/")
        parts = urlsplit(text)
        if parts.netloc and parts.netloc != "testserver":
            return True
        if text.startswith("//"):
            return True
        if parts.scheme and parts.scheme not in ("http", "https"):
            return True
    return False


def _assert_stays(response, what: str) -> None:
    location = response.get("Location")
    if location is not None:
        assert not _leaves_the_site(location), f"{what} -> {location}"


def test_the_reported_attack_no_longer_leaves_the_site(db):
    response = Client().get("/de//evil.example/x?lang=en")
    assert response.status_code in (302, 404)
    _assert_stays(response, "/de//evil.example/x?lang=en")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_public_path_redirects_to_another_host(db, payload):
    client = Client()
    for prefix in PREFIXES:
        for query in QUERIES:
            for suffix in ("", "/"):
                url = prefix + payload + suffix + query
                _assert_stays(client.get(url), url)
                _assert_stays(client.head(url), url)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_next_parameter_redirects_to_another_host(db, payload):
    """Staff pages send unsigned visitors to the sign-in with ``next``; sign-in follows it."""
    client = Client()
    for url in (
        f"/staff/login/?next={payload}",
        f"/staff/?next={payload}",
        f"/staff/logout/?next={payload}",
        f"/mailbox/write/?next={payload}",
        f"/de/mailbox/delete/?next={payload}",
    ):
        _assert_stays(client.get(url), url)
        _assert_stays(client.post(url), url)


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_signing_in_with_a_hostile_next_stays_on_the_site(clinician_a, payload):
    factories.totp_device(clinician_a)
    from forestall.accounts.models import TOTPAuthenticator

    device = TOTPAuthenticator.objects.get(user=clinician_a, name="default")
    client = Client()
    post_password(client, clinician_a.username, factories.PASSWORD, next_url=payload)
    response = post_token(client, current_totp(device), next_url=payload)
    assert response.status_code == 302
    _assert_stays(response, payload)


def test_every_redirect_of_the_public_side_passes_the_same_helper(db):
    for payload in PAYLOADS:
        assert not _leaves_the_site(safe_local_url(payload)), payload
    assert safe_local_url("/mailbox/?sent=1#latest") == "/mailbox/?sent=1#latest"
    assert safe_local_url("/de/centres/?language=de") == "/de/centres/?language=de"


def test_a_language_switch_still_lands_on_the_same_page(db):
    response = Client().get("/centres/?lang=de&remote=1")
    assert response.status_code == 302
    assert response["Location"] == "/de/centres/?remote=1"


# --- Editable text -------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "/%2F%2Fevil.example/",
        "/%5Cevil.example",
        "https://evil.example/x",
        "http://evil.example/x",
        "javascript:alert(1)",
        "https://user@allowed.example/",
    ],
)
def test_markdown_links_never_leave_the_site(settings, href):
    settings.FORESTALL_LINK_HOSTS = ["allowed.example"]
    html = str(render_markdown(f"[a link]({href})"))
    for found in re.findall(r'href="([^"]*)"', html):
        assert not _leaves_the_site(found), found


def test_markdown_keeps_site_paths_and_allowed_https_links(settings):
    settings.FORESTALL_LINK_HOSTS = ["allowed.example"]
    html = str(render_markdown("[centres](/centres/) and [help](https://allowed.example/help)"))
    assert 'href="/centres/"' in html
    assert 'href="https://allowed.example/help"' in html


def test_markdown_drops_https_links_to_hosts_nobody_allowed(settings):
    settings.FORESTALL_LINK_HOSTS = []
    html = str(render_markdown("[help](https://elsewhere.example/help)"))
    assert "elsewhere.example" not in html.split(">", 1)[0]
    assert 'href="https://elsewhere.example' not in html
