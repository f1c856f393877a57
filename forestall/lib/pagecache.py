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
still told ``Cache-Control: no-store``: this cache lives on the server only,
in a cache of its own (``CACHES["public_pages"]``), so that filling it can
never push out anything else, such as the rate limits' counters.

Staleness: pages expire after the configured seconds; code that changes
what public pages show calls ``public_pages_changed()`` to drop them all at
once. ``FORESTALL_PAGE_CACHE_SECONDS=0`` turns the cache off (the default in
development and tests, where each test switches it on when it needs it).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse

from forestall.lib.requestmemo import forget, remember

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
    forget()  # this request reads the new generation too
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, secrets.randbits(48), timeout=None)


_T = TypeVar("_T")


class _Remembered(threading.local):
    """Values kept in this process: (generation, name) → (expires at, value)."""

    def __init__(self) -> None:
        self.generation: object = None
        self.values: dict[str, tuple[float, Any]] = {}


_remembered = _Remembered()


def public_pages_generation() -> int:
    """A number that ``public_pages_changed()`` moves on: for keys of other caches of
    what public pages show (say a template fragment kept with ``{% cache %}``),
    so that they are dropped together with the cached pages."""
    return _generation()


def _generation() -> int:
    """The current generation of public pages (``public_pages_changed`` moves it on).

    Read from the shared cache once per request (``forestall.lib.requestmemo``):
    a page may ask for several remembered values and kept parts, each of which
    would otherwise be a round trip. A cache that lost it (cleared, restarted)
    starts a new, random one, so that nothing kept under the old number is
    taken for current.
    """
    return remember(_GENERATION_KEY, _read_generation)


def _read_generation() -> int:
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, secrets.randbits(48), timeout=None)
        generation = cache.get(_GENERATION_KEY, 0)
    return int(generation)


def remember_for_public_pages(name: str, compute: Callable[[], _T]) -> _T:
    """A value that public pages show (say a page's current text), kept like the pages.

    For visitors the page cache cannot serve (anyone with a cookie): the same
    lifetime (``FORESTALL_PAGE_CACHE_SECONDS``) and the same
    ``public_pages_changed()`` invalidation as cached pages, so a page
    rendered anew is never older than a cached one. Only for values that are
    the same for every visitor, and that callers only read; with the cache
    off, ``compute()`` every time.

    The values live in this process's memory (per thread, so no lock is
    needed); the generation is read from the shared cache on every call, one
    round trip, so a change made in any process drops them everywhere at once.
    """
    seconds = settings.FORESTALL_PAGE_CACHE_SECONDS
    if not seconds:
        return compute()
    generation = _generation()
    kept = _remembered
    if kept.generation != generation:
        kept.generation, kept.values = generation, {}
    now = time.monotonic()
    found = kept.values.get(name)
    if found is not None and found[0] > now:
        return found[1]  # type: ignore[no-any-return]
    value = compute()
    kept.values[name] = (now + seconds, value)
    return value


def _pages() -> Any:
    """Where cached pages are kept: a cache of their own (settings ``CACHES["public_pages"]``).

    Anyone can fill it, one page per address and query string; in the shared
    cache that would push out other entries, the rate limits' counters first.
    The generation stays in the shared cache (a page flood cannot drop it).
    """
    return caches["public_pages"]


def _key(request: HttpRequest) -> str:
    generation = _generation()
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
        pages = _pages()
        cached = pages.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if _may_be_stored(response):
            pages.set(key, response, seconds)
        return response
