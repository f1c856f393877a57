"""No response of forestall redirects to another host.

Threat model: an open redirect on a trusted prevention site is a lure: a link
``https://forestall.example/de//evil.example/x`` that lands on a fake codename
sign-in page. Browsers read ``//host``, ``///host``, ``/\\host`` and
``\\\\host`` in a ``Location`` header as another host, and some decode
``%2F``/``%5C`` before they look. So every redirect target goes through
``safe_local_url``: it keeps only the path, query and fragment of a target
on this site, collapses any run of slashes and backslashes at its start into
a single ``/``, and falls back on ``/`` for anything that names another host
or scheme. ``SameSiteRedirectMiddleware`` applies it to every ``Location``
that leaves forestall, whoever built the response (our views, Django's
middleware, third-party apps), so a future redirect cannot forget it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit, urlunsplit

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes

# Slashes, backslashes, their percent-encodings and whitespace or control
# characters (which browsers strip) at the start of a path.
_LEADING = re.compile(r"^(?:[/\\\s\x00-\x1f]|%2f|%5c|%09|%0a|%0d|%20)+", re.IGNORECASE)


def _same_site_path(path: str) -> str:
    rest = _LEADING.sub("", path)
    return "/" + rest


def safe_local_url(target: str, request: HttpRequest | None = None) -> str:
    """``target`` as a path on this site; ``/`` for anything that would leave it.

    An absolute URL is kept only when it names the request's own host with
    http(s) (Django's HTTPS redirect builds those); its host and scheme stay,
    its path is made safe like any other.
    """
    text = str(target).strip()
    if not text:
        return "/"
    normalised = text.replace("\\", "/")
    # Control characters inside the URL (tab, newline) are dropped by browsers.
    normalised = re.sub(r"[\x00-\x1f\x7f]", "", normalised)
    try:
        parts = urlsplit(normalised)
    except ValueError:
        return "/"
    path = _same_site_path(parts.path) if parts.path else "/"
    if parts.scheme or parts.netloc:
        own_host = request.get_host() if request is not None else None
        if parts.scheme in ("http", "https") and own_host and parts.netloc == own_host:
            return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
        return "/"
    if not text.startswith("/") and not unquote(text).startswith("/") and not _LEADING.match(text):
        # A relative path ("sent", "?x=1") stays relative to the current page.
        return text
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def safe_redirect(target: str, request: HttpRequest | None = None) -> HttpResponseRedirect:
    """A 302 to ``target`` that can only ever stay on this site."""
    return HttpResponseRedirect(safe_local_url(target, request))


class SameSiteRedirectMiddleware:
    """Pass the ``Location`` of every response through ``safe_local_url``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        location = response.get("Location")
        if location is not None:
            response["Location"] = safe_local_url(location, request)
        return response


class PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    """308: the browser sends the same method and body to the new address."""

    status_code = 308


class SlashKeepsTheRequestMiddleware(CommonMiddleware):
    """Django's ``CommonMiddleware``, but an address missing its slash keeps a form's request.

    Django answers ``/centres`` with a 301 to ``/centres/``, which turns a
    POST into a GET (what was typed is lost) and, with ``DEBUG`` on as in
    ``make demo``, raises instead for any method but GET and HEAD: a 500 for
    ``PUT /staff/cases``. Here any other method is sent on with a 308, which
    keeps the method and the body; GET and HEAD keep Django's 301.
    """

    def get_full_path_with_slash(self, request: HttpRequest) -> str:
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_request(self, request: HttpRequest) -> HttpResponsePermanentRedirect | None:
        response = super().process_request(request)
        if response is not None and self._loses_the_request(request, response):
            return PermanentRedirectKeepingMethod(response["Location"])
        return response

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        return self._keeping_method(request, super().process_response(request, response))

    def _keeping_method(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if self._loses_the_request(request, response):
            return PermanentRedirectKeepingMethod(response["Location"])
        return response

    def _loses_the_request(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return (
            response.status_code == 301
            and request.method not in ("GET", "HEAD")
            and response.get("Location") == self.get_full_path_with_slash(request)
        )
