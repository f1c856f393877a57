"""A short-lived server-side cache for public pages that are the same for everyone.

Why: the front door must stay fast under load (a campaign, a news item), and
most of its pages — the home page, the centre finder — are identical for every
anonymous visitor. Rendering them once per ``FORESTALL_PAGE_CACHE_SECONDS``
instead of once per request keeps throughput close to that of a bare Django
view.

Privacy: a page is stored only if (1) its view opted in with
``@cache_public_page``, (2) the request was a GET that carried no cookie at
all (so nothing about a signed-in mailbox or staff session can be in it), and
(3) the response is a 200 that sets no cookie (so no CSRF token or session is
shared). Keys are a hash of host, path and query string; the stored page is
what any visitor would get, so nothing personal is ever cached. Browsers are
still told ``Cache-Control: no-store``: this cache lives on the server only.

Staleness: pages expire after the configured seconds; code that changes
what public pages show calls ``public_pages_changed()`` to drop them all at
once. ``FORESTALL_PAGE_CACHE_SECONDS=0`` turns the cache off (the default in
development and tests, where each test switches it on when it needs it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

_GENERATION_KEY = "public-page-cache:generation"
_NEVER_CACHED_PREFIXES = ("/staff/", "/api/", "/static/", "/healthz")


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a public view's responses as the same for every anonymous visitor."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.cache_public_page = True  # type: ignore[attr-defined]
        return response

    return wrapper


def public_pages_changed() -> None:
    """Forget every cached public page (call after a change that public pages show)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 1, timeout=None)


_T = TypeVar("_T")
_MISSING = object()


def remember_for_public_pages(name: str, compute: Callable[[], _T]) -> _T:
    """A value that public pages show (say a page's current text), kept like the pages.

    For visitors the page cache cannot serve (anyone with a cookie): the same
    lifetime (``FORESTALL_PAGE_CACHE_SECONDS``) and the same
    ``public_pages_changed()`` invalidation as cached pages, so a page
    rendered anew is never older than a cached one. Only for values that are
    the same for every visitor; with the cache off, ``compute()`` every time.
    """
    seconds = settings.FORESTALL_PAGE_CACHE_SECONDS
    if not seconds:
        return compute()
    key = f"public-page-cache:{cache.get(_GENERATION_KEY, 0)}:value:{name}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, seconds)
    return value  # type: ignore[return-value]


def _key(request: HttpRequest) -> str:
    generation = cache.get(_GENERATION_KEY, 0)
    address = f"{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()
    return f"public-page-cache:{generation}:{digest}"


def _may_be_cached(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.META.get("HTTP_COOKIE")
        and not request.path.startswith(_NEVER_CACHED_PREFIXES)
    )


def _may_be_stored(response: HttpResponse) -> bool:
    return (
        getattr(response, "cache_public_page", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
    )


class PublicPageCacheMiddleware:
    """Serve opted-in public pages from the cache for cookie-less GET requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = settings.FORESTALL_PAGE_CACHE_SECONDS
        if not seconds or not _may_be_cached(request):
            return self.get_response(request)
        key = _key(request)
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if _may_be_stored(response):
            cache.set(key, response, seconds)
        return response
