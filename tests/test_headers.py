"""Security headers on every page, production-only headers and cookies, and no
third-party URL anywhere in a rendered page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from forestall.directory.models import Channel, Language, Service
from tests.html_checks import broken_id_references

ROOT = Path(__file__).resolve().parent.parent

PUBLIC_PAGES = ["/", "/de/", "/centres/", "/de/centres/", "/centres/?language=xx", "/no-such-page/"]


def assert_strict_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    # Neither policy ever sends a referrer to another site; "same-origin" is
    # what Django's CSRF origin check needs for form posts (see lib/privacy.py).
    assert response["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_carry_every_security_header(client, centre_a, path):
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    assert_strict_headers(response)


def test_the_centre_page_and_healthz_carry_every_security_header(client, centre_a):
    assert_strict_headers(client.get(f"/centres/{centre_a.slug}/"))
    assert_strict_headers(client.get("/healthz"))


def test_staff_sign_in_carries_every_security_header(client, db):
    response = client.get("/staff/login/")
    assert response.status_code == 200
    assert_strict_headers(response)


@pytest.mark.parametrize("path", ["/staff/", "/staff/centres/", "/staff/no-such-page/"])
def test_signed_in_staff_pages_carry_every_security_header(sign_in, network_admin, path):
    response = sign_in(network_admin).get(path)
    assert response.status_code in (200, 404)
    assert_strict_headers(response)


def test_the_staff_editor_carries_every_security_header(sign_in, manager_a, centre_a):
    response = sign_in(manager_a).get(f"/staff/centres/{centre_a.id}/edit/")
    assert response.status_code == 200
    assert_strict_headers(response)


def test_no_page_has_an_inline_script_or_style(client, centre_a):
    for path in [*PUBLIC_PAGES, "/staff/login/"]:
        page = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert "<style" not in page, path
        assert not re.search(r"\sstyle=", page), path
        assert not re.search(r"\son[a-z]+=", page), path


# --- production: HSTS and cookies -----------------------------------------------

_PRODUCTION_PROBE = r"""
import json, os
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

# Static files are not collected for this probe; everything else is production.
plain_storage = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain_storage):
    call_command("migrate", verbosity=0)
    client = Client()
    insecure = client.get("/centres/", HTTP_HOST="forestall.example")
    response = client.get("/staff/login/", secure=True, HTTP_HOST="forestall.example")
    public = Client().get("/", secure=True, HTTP_HOST="forestall.example")
from django.conf import settings
cookies = {
    name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
    for name, c in response.cookies.items()
}
print(json.dumps({
    "debug": settings.DEBUG,
    "insecure_status": insecure.status_code,
    "insecure_location": insecure.get("Location", ""),
    "status": response.status_code,
    "hsts": response.get("Strict-Transport-Security", ""),
    "public_hsts": public.get("Strict-Transport-Security", ""),
    "public_cookies": list(public.cookies),
    "cookies": cookies,
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": settings.CSRF_COOKIE_NAME,
}))
"""


@pytest.fixture(scope="module")
def production(migrated_sqlite):
    """What a production-configured forestall answers (run in a fresh process)."""
    sys.path.insert(0, str(ROOT))
    from bench.server import production_env

    with tempfile.TemporaryDirectory() as directory:
        # On a copy of the migrated test database (the probe's migrate finds
        # nothing to do) and with the secrets its rows were written with;
        # where there is no copy (PostgreSQL), an in-memory one it migrates.
        copy = migrated_sqlite(Path(directory))
        env = production_env(
            Path(directory),
            {
                "FORESTALL_ALLOWED_HOSTS": "forestall.example",
                "FORESTALL_SSL_REDIRECT": "1",
                "DJANGO_SETTINGS_MODULE": "forestall.settings",
                **(copy or {"DATABASE_URL": "sqlite://:memory:"}),
            },
        )
        result = subprocess.run(  # noqa: S603 - our own interpreter and probe
            [sys.executable, "-c", _PRODUCTION_PROBE],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_is_not_in_debug_mode(production):
    assert production["debug"] is False


def test_production_redirects_plain_http_to_https(production):
    assert production["insecure_status"] == 301
    assert production["insecure_location"].startswith("https://forestall.example/")


def test_production_sends_hsts_for_two_years_with_subdomains(production):
    assert production["status"] == 200
    for header in (production["hsts"], production["public_hsts"]):
        assert "max-age=63072000" in header
        assert "includeSubDomains" in header


def test_production_cookies_are_secure_httponly_and_strict(production):
    cookies = production["cookies"]
    assert production["csrf_cookie"] in cookies
    for name, flags in cookies.items():
        assert flags == {"secure": True, "httponly": True, "samesite": "Strict"}, name


def test_the_public_home_page_sets_no_cookie(production):
    assert production["public_cookies"] == []


# --- no third-party URL in any rendered page ------------------------------------

_URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "manifest"}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, dict]] = []  # (tag, url, attributes)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRIBUTES:
                for candidate in value.split(",") if name == "srcset" else [value]:
                    self.urls.append((tag, candidate.strip().split(" ")[0], attributes))
            if name == "style":
                for match in _CSS_URL.finditer(value):
                    self.urls.append((tag, match.group(1) or match.group(2), attributes))
            if tag == "meta" and name == "content" and "url=" in value.lower():
                self.urls.append((tag, value.lower().split("url=", 1)[1], attributes))


def _is_same_origin(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("", "http", "https") and not parts.netloc:
        return not url.startswith("//")
    return parts.netloc in ("testserver", "")


def external_urls(html: str) -> list[str]:
    """Every URL in the page that is neither relative nor same-origin.

    Allowed: ``mailto:``/``tel:`` links, ``data:`` images, and the quick-exit
    link (a plain ``<a>`` to a neutral site, which loads nothing here).
    """
    parser = _Links()
    parser.feed(html)
    found = []
    for tag, url, attributes in parser.urls:
        scheme = urlsplit(url).scheme
        if tag == "a" and scheme in ("mailto", "tel"):
            continue
        if scheme == "data" and tag in ("img", "link"):
            continue
        if tag == "a" and attributes.get("id") == "quick-exit":
            continue
        if not _is_same_origin(url):
            found.append(f"<{tag}> {url}")
    return found


def _public_paths(resolver=None, prefix: str = "") -> list[str]:
    """Every public URL (under the language prefix) that needs no UUID argument."""
    paths: list[str] = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = str(pattern.pattern)
        if route.startswith(("staff/", "api/", "healthz", "^staff", "^api")):
            continue
        if isinstance(pattern, URLResolver):
            paths += _public_paths(pattern, prefix + route.lstrip("^").replace("en/", ""))
        elif isinstance(pattern, URLPattern):
            paths.append(prefix + route)
    return paths


@pytest.fixture
def directory_with_offers(centre_a, centre_b):
    centre_a.set_offers(
        languages=[Language.GERMAN], services=[Service.IMAGES], channels=[Channel.PHONE]
    )
    type(centre_a).objects.filter(pk=centre_a.pk).update(
        public_email="a@example.org",
        public_phone="+49 1",
        public_website="https://example.org/a",
    )
    return centre_a


def _fill(route: str, centre) -> str | None:
    """A concrete path for a route, or None if it needs an argument we cannot invent."""
    route = route.replace("<slug:slug>", centre.slug)
    if "<" in route or "(?P" in route:
        return None
    return "/" + route


def _assert_no_external_resources(client, paths: list[str]) -> None:
    problems = {}
    stylesheets = set()
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        if "html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        found = external_urls(page) + broken_id_references(page)
        if found:
            problems[path] = found
        stylesheets.update(re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page))
    for stylesheet in stylesheets:
        response = client.get(stylesheet)
        assert response.status_code == 200, stylesheet
        css = b"".join(response.streaming_content if response.streaming else [response.content])
        for match in _CSS_URL.finditer(css.decode()):
            url = match.group(1) or match.group(2)
            if not (url.startswith("data:") or _is_same_origin(url)):
                problems.setdefault(stylesheet, []).append(url)
    assert not problems, problems


def test_the_external_url_check_itself_catches_third_party_resources():
    html = (
        '<a id="quick-exit" href="https://www.wikipedia.org/">x</a>'
        '<a href="mailto:a@example.org">m</a><img src="data:,">'
        '<script src="https://cdn.example/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/css">'
        '<img srcset="/a.png 1x, https://img.example/b.png 2x">'
        '<form action="https://collector.example/"></form>'
        '<a href="https://elsewhere.example/">leak</a>'
        '<div style="background: url(https://track.example/p.gif)"></div>'
    )
    assert external_urls(html) == [
        "<script> https://cdn.example/x.js",
        "<link> //fonts.example/css",
        "<img> https://img.example/b.png",
        "<form> https://collector.example/",
        "<a> https://elsewhere.example/",
        "<div> https://track.example/p.gif",
    ]


def test_no_public_page_loads_or_links_anything_from_another_site(client, directory_with_offers):
    routes = _public_paths()
    paths = [path for route in routes if (path := _fill(route, directory_with_offers))]
    assert "/" in paths and "/centres/" in paths
    assert f"/centres/{directory_with_offers.slug}/" in paths
    german = ["/de" + path for path in paths]
    _assert_no_external_resources(
        client, [*paths, *german, "/no-such-page/", "/centres/?language=xx"]
    )


def test_no_staff_page_loads_or_links_anything_from_another_site(
    client, sign_in, network_admin, directory_with_offers
):
    _assert_no_external_resources(client, ["/staff/login/"])
    staff = sign_in(network_admin)
    _assert_no_external_resources(
        staff,
        [
            "/staff/",
            "/staff/centres/",
            "/staff/centres/new/",
            f"/staff/centres/{directory_with_offers.id}/edit/",
            "/staff/nothing-here/",
        ],
    )


@pytest.mark.parametrize(
    "section",
    ["inbox", "cases", "safeguarding", "statistics", "audit", "content", "instruments", "admin"],
)
def test_every_staff_section_has_strict_headers_and_no_third_party_urls(
    client, sign_in, network_admin, section
):
    staff = sign_in(network_admin)
    _assert_no_external_resources(staff, [f"/staff/{section}/"])
    assert_strict_headers(staff.get(f"/staff/{section}/"))


def test_the_environment_of_this_process_was_left_alone():
    # The production probe runs in a subprocess; the test process keeps its settings.
    assert "FORESTALL_SSL_REDIRECT" not in os.environ or os.environ["FORESTALL_SSL_REDIRECT"]
