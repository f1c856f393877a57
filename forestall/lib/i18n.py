"""Language selection for the public side without a cookie.

The public contract accepts ``?lang=de`` as well as a language prefix
(``/de/…``). The prefix is canonical: ``?lang=`` redirects to the prefixed
address, so a language choice lives in the URL and nowhere else.

The bare front door ``/`` is where people arrive from a search, a link or a
typed address; there the browser's ``Accept-Language`` decides, and a browser
that prefers German is sent to ``/de/``. Someone who is already on the site
and chose English stays on ``/``: the browser marks that navigation
``Sec-Fetch-Site: same-origin`` (Fetch Metadata; the ``Referer`` is scrubbed on
arrival and never read), and the choice they made in the URL wins over the
browser's preference. This runs before the public page cache, so a
cached English home page is never served to a browser that asked for German.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from forestall.lib.origin import sent_from_another_site
from forestall.lib.redirects import safe_redirect

# The field that marks a POST as a language switch on a page that answered a
# form (the switch carries the entries; see ``carried_entries``).
LANGUAGE_SWITCH_FIELD = "forestall_language_switch"


def carried_entries(request: HttpRequest) -> list[tuple[str, str]]:
    """What a POST carried (every field but the CSRF token and the switch's
    marker), NUL characters removed, in the order sent; empty for any other
    request and for a POST another site sent. The language switch of a page
    that answered a form carries these on, so that changing the language
    never drops what someone typed.
    """
    if request.method != "POST" or sent_from_another_site(request):
        return []  # another site's entries are never handed back (forestall.lib.origin)
    skipped = {"csrfmiddlewaretoken", LANGUAGE_SWITCH_FIELD}
    entries = [
        (name, value.replace("\x00", ""))
        for name, values in request.POST.lists()
        if name not in skipped
        for value in values
    ]
    # What the view that answered adds for its own next round (``carry_also``).
    sent = {name for name, _value in entries}
    extra = getattr(request, "forestall_carry_also", {})
    return entries + [(name, value) for name, value in extra.items() if name not in sent]


def carry_also(request: HttpRequest, name: str, value: str) -> None:
    """Have the page's language switch carry ``name=value`` besides what was typed.

    For a view that must know, when the same entries come back in the other
    language, that it has answered them once already (the self-check counts
    each completed check once, not once per language it was read in).
    """
    extra = getattr(request, "forestall_carry_also", {})
    extra[name] = value
    request.forestall_carry_also = extra  # type: ignore[attr-defined]


def _language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def strip_language_prefix(path: str) -> str:
    """``/de/centres/`` → ``/centres/``; paths without a prefix are returned as they are."""
    for code in _language_codes():
        prefix = f"/{code}/"
        if path.startswith(prefix):
            return "/" + path[len(prefix) :]
        if path == f"/{code}":
            return "/"
    return path


def path_in_language(path: str, language: str) -> str:
    """The same public page in another language (English has no prefix)."""
    bare = strip_language_prefix(path)
    if language == settings.LANGUAGE_CODE:
        return bare
    return f"/{language}{bare}"


class LanguageParameterMiddleware:
    """Turn ``?lang=xx`` on a public page into a redirect to its prefixed address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.GET.get("lang")
        if (
            language
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(("/staff/", "/api/", "/static/"))
        ) and language in _language_codes():
            rest = request.GET.copy()
            rest.pop("lang")
            target = path_in_language(request.path, language)
            if rest:
                target += "?" + urlencode(list(rest.lists()), doseq=True)
            return safe_redirect(target, request)
        return self.get_response(request)


def preferred_language(accept_language: str) -> str | None:
    """The first supported language in an ``Accept-Language`` header, or None."""
    for code, _quality in parse_accept_lang_header(accept_language[:500]):
        if code == "*":
            return None
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def _came_from_this_site(request: HttpRequest) -> bool:
    # Fetch Metadata, sent by every current browser (Tor Browser included):
    # "none" for a typed address or bookmark, "cross-site" from a link elsewhere.
    return request.META.get("HTTP_SEC_FETCH_SITE", "") in ("same-origin", "same-site")


class FrontDoorLanguageMiddleware:
    """At ``/``, send a browser that prefers another supported language to its prefix.

    Only the bare home page without a query string, only for GET and HEAD, and
    never for a visitor who navigated there from this site (they chose the
    language in the URL). The answer depends on ``Accept-Language``, so it says
    so in ``Vary`` (the responses are ``no-store`` anyway).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        at_front_door = (
            request.path == "/" and request.method in ("GET", "HEAD") and not request.GET
        )
        if at_front_door and not _came_from_this_site(request):
            language = preferred_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
            if language and language != settings.LANGUAGE_CODE:
                redirect = HttpResponseRedirect(path_in_language("/", language))
                patch_vary_headers(redirect, ("Accept-Language", "Sec-Fetch-Site"))
                return redirect
        response = self.get_response(request)
        if at_front_door:
            patch_vary_headers(response, ("Accept-Language", "Sec-Fetch-Site"))
        return response
