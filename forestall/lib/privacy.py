"""Privacy guards that every request and every log line passes through.

Threat model: a seized server, its logs or a backup must not tell anyone who
wrote to the service. forestall therefore never keeps a client's network
address, user agent or referrer. The first middleware replaces them before any
other code (Django, our views, error reports) can see them: it
keeps only ``request.rate_limit_key``, a keyed hash of the address that rate
limits use as a short-lived bucket name. The log filter is the second line of
defence for anything that still tries to log a request or an address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Request headers that identify a client or where they came from.
_IDENTIFYING_META = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_USER_AGENT",
    "HTTP_REFERER",
    "HTTP_SEC_CH_UA",
    "HTTP_SEC_CH_UA_PLATFORM",
    "HTTP_SEC_CH_UA_MOBILE",
)
# What REMOTE_ADDR reads as after scrubbing: a documentation-only address that
# can never be a real client (RFC 5737), so nothing downstream breaks.
SCRUBBED_ADDRESS = "192.0.2.0"


def _client_address(request: HttpRequest) -> str:
    """The address of the client as far as the operator's declared proxies vouch for it.

    ``X-Forwarded-For`` is written by whoever sends the request, so it is
    ignored unless ``FORESTALL_TRUSTED_PROXIES`` declares how many proxies
    stand in front of forestall. With N proxies, each appends the address it
    received the request from, so the client is the entry N hops from the
    right; everything further left was supplied by the client and may be
    invented. The result is only ever hashed, never kept.
    """
    trusted = settings.FORESTALL_TRUSTED_PROXIES
    if trusted > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR", "")


def is_shared_address(address: str) -> bool:
    """True for an address that stands for many visitors at once.

    An onion service (and any proxy on the same machine that is not declared)
    hands every visitor to forestall from the loopback address; a bucket keyed
    on it would make all of them share one limit. Such an address is no
    source at all, and the rate limits fall back on what the attacker cannot
    rotate cheaply (the target tried, the session, global ceilings).
    """
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    return parsed.is_loopback or parsed.is_unspecified


def rate_limit_key_for(address: str) -> str:
    """Keyed hash of a client address: a bucket name that cannot be reversed.

    The pepper lives outside the database, so a stolen cache dump cannot be
    brute-forced over the IPv4 space without it.
    """
    return keyed_hash("rate-limit:" + address)


_keyed: dict[str, hmac.HMAC] = {}


def keyed_hash(text: str) -> str:
    """A short, irreversible bucket name for ``text`` (HMAC with the pepper).

    Every request hashes at least once (its address): the HMAC keyed with the
    pepper is prepared once and copied, instead of keyed anew each time.
    """
    pepper = settings.FORESTALL_PEPPER
    keyed = _keyed.get(pepper)
    if keyed is None:
        keyed = _keyed.setdefault(pepper, hmac.new(pepper.encode(), digestmod=hashlib.sha256))
    digest = keyed.copy()
    digest.update(text.encode())
    return digest.hexdigest()[:32]


class AddressScrubbingMiddleware:
    """Replace the client address, user agent and referrer before anyone reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = _client_address(request)
        key = rate_limit_key_for(address)
        request.rate_limit_key = key  # type: ignore[attr-defined]
        # A shared address (onion service, undeclared local proxy) is no source.
        request.rate_limit_source = None if is_shared_address(address) else key  # type: ignore[attr-defined]
        for name in _IDENTIFYING_META:
            request.META.pop(name, None)
        request.META["REMOTE_ADDR"] = SCRUBBED_ADDRESS
        return self.get_response(request)


class PrivacyHeadersMiddleware:
    """Headers that keep pages out of caches and history-sniffing referrers.

    ``Cache-Control: no-store`` on every dynamic response means that a shared
    or seized device keeps no copy of a mailbox page in its browser cache.
    Static files (served by WhiteNoise before this middleware) keep their
    long-lived caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, max-age=0"
        response["Pragma"] = "no-cache"
        # "same-origin", not "no-referrer": under "no-referrer" browsers send
        # ``Origin: null`` with every form POST (Fetch spec), which Django's
        # CSRF check must refuse. Other sites still never receive a referrer,
        # and our own is scrubbed from every request on arrival.
        response["Referrer-Policy"] = "same-origin"
        response["X-Content-Type-Options"] = "nosniff"
        response["Permissions-Policy"] = (
            "geolocation=(self), camera=(), microphone=(), payment=(), interest-cohort=()"
        )
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


# Candidates: runs of hex digits, colons and dots (optionally with an IPv6 zone),
# not glued to other word characters. Each is confirmed with ``ipaddress`` so
# that compressed IPv6 ("2001:db8::1", "::1") is caught while clock times
# ("12:30:45") and version numbers with letters are left alone.
_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*(?:%\w+)?(?![\w:])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


def _redact_candidate(match: re.Match[str]) -> str:
    text = match.group(0)
    trailing = ""
    # A sentence may end right after an address ("from 192.0.2.7.").
    while text.endswith("."):
        text, trailing = text[:-1], trailing + "."
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        # Not one address as a whole; it may still contain IPv4 addresses.
        return _IPV4.sub("[address]", match.group(0))
    return "[address]" + trailing


# A query string after a path in a log message ("GET /r/x/?q=words HTTP/1.1",
# "Not Found: /centres/?language=…"): what someone searched for or a partner's
# link carried. Everything from the "?" to the next space or quote goes.
_QUERY = re.compile(r"(/[^\s\"?]*)\?[^\s\"]*")


def redact_queries(text: str) -> str:
    """Replace each query string after a path with ``?[query]``."""
    return _QUERY.sub(r"\1?[query]", text)


def redact_addresses(text: str) -> str:
    """Replace anything that is an IPv4 or IPv6 address (any notation) with ``[address]``."""
    return _CANDIDATE.sub(_redact_candidate, text)


class PrivacyLogFilter(logging.Filter):
    """Drop request objects from log records and redact addresses in messages.

    Django's request and server loggers attach the request (with its headers)
    to the record; handlers such as the admin e-mail handler would print them.
    Below WARNING, the template engine logs whole template contexts (which can
    hold a codename being shown) and the database backend logs query
    parameters: those records are dropped whatever level is configured. Query
    strings in a message (the development server's request lines, which
    ``make demo`` prints) are cut: they can hold what someone searched for.
    """

    _CHATTY_LOGGERS = ("django.template", "django.db.backends")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and record.name.startswith(self._CHATTY_LOGGERS):
            return False
        if hasattr(record, "request"):
            record.request = None
        message = record.getMessage()
        record.msg = redact_queries(redact_addresses(message))
        record.args = ()
        return True
