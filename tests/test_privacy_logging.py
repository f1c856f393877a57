"""No address, user agent or referrer ever reaches a log line or a table."""

from __future__ import annotations

import io
import logging
from contextlib import contextmanager

import pytest
from django.core.management import call_command

from forestall.lib.privacy import PrivacyLogFilter, redact_addresses

ADDRESS = "203.0.113.77"
FORWARDED = "198.51.100.23"
ADDRESS_V6 = "2001:db8:4a::77"
USER_AGENT = "FingerprintBrowser/9.9 (unique-agent-7731)"
REFERRER = "https://referrer.example/secret-path-5521"
IDENTIFYING = (ADDRESS, FORWARDED, ADDRESS_V6, USER_AGENT, "unique-agent-7731", REFERRER)
IDENTIFYING = (*IDENTIFYING, "referrer.example", "secret-path-5521")

HEADERS = {
    "REMOTE_ADDR": ADDRESS,
    "HTTP_X_FORWARDED_FOR": f"{FORWARDED}, {ADDRESS_V6}",
    "HTTP_X_REAL_IP": ADDRESS,
    "HTTP_USER_AGENT": USER_AGENT,
    "HTTP_REFERER": REFERRER,
}


def _all_handlers() -> set[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return {handler for logger in loggers for handler in logger.handlers}


@contextmanager
def captured_log_output():
    """Everything the configured handlers write, with their filters and formatters.

    Each stream handler writes into one buffer for the duration; levels are
    opened up to DEBUG so that nothing is missed.
    """
    buffer = io.StringIO()
    swapped = []
    for handler in _all_handlers():
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            swapped.append((handler, handler.setStream(buffer)))
    levels = {name: logging.getLogger(name).level for name in ("", "django", "django.request")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def assert_nothing_identifying(text: str) -> None:
    for value in IDENTIFYING:
        assert value not in text, f"{value!r} leaked into: {text[:2000]}"


# --- the filter and the redaction --------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "203.0.113.77",
        "10.0.0.1",
        "2001:db8::1",
        "::1",
        "fe80::1ff:fe23:4567:890a%eth0",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "::ffff:192.0.2.1",
    ],
)
def test_redact_addresses_replaces_ipv4_and_ipv6_in_any_notation(address):
    redacted = redact_addresses(f"request from {address} failed")
    assert redacted == "request from [address] failed"


def test_redact_addresses_handles_lists_ports_and_sentence_ends():
    assert (
        redact_addresses("for 198.51.100.23, 10.0.0.1:8080 and [2001:db8::2]:443.")
        == "for [address], [address]:8080 and [[address]]:443."
    )
    assert redact_addresses("Not Found: /203.0.113.77/") == "Not Found: /[address]/"


def test_redact_addresses_leaves_times_versions_and_paths_alone():
    for text in ("at 12:30:45", "Django 5.2.19", "GET /de/centres/ in 1.5 s", "cafe", "K-1234-AB"):
        assert redact_addresses(text) == text


def make_record(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_the_filter_drops_the_request_attached_to_a_record(rf):
    request = rf.get("/", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=USER_AGENT)
    record = make_record("Not Found: %s", "/", request=request, status_code=404)
    assert PrivacyLogFilter().filter(record) is True
    assert record.request is None
    assert record.status_code == 404


def test_the_filter_redacts_addresses_in_the_formatted_message():
    record = make_record("login failed for %s from %s", "someone", ADDRESS)
    PrivacyLogFilter().filter(record)
    assert record.getMessage() == "login failed for someone from [address]"
    assert record.args == ()


def test_the_filter_keeps_a_message_that_names_no_address():
    record = make_record("cache warmed in %d ms", 12)
    PrivacyLogFilter().filter(record)
    assert record.getMessage() == "cache warmed in 12 ms"


@pytest.mark.parametrize(
    ("message", "logged"),
    [
        (
            '"GET /r/warn/v1/?q=what+someone+searched&utm_term=x HTTP/1.1" 200 5120',
            '"GET /r/warn/v1/?[query] HTTP/1.1" 200 5120',
        ),
        ("Bad Request: /centres/?language=klingon", "Bad Request: /centres/?[query]"),
        ('"GET /centres/ HTTP/1.1" 200 7848', '"GET /centres/ HTTP/1.1" 200 7848'),
    ],
)
def test_the_filter_cuts_query_strings_from_request_lines(message, logged):
    """``make demo`` runs Django's development server, which logs each request line."""
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, message, (), None)
    PrivacyLogFilter().filter(record)
    assert record.getMessage() == logged


def test_every_configured_handler_has_the_privacy_filter():
    handlers = _all_handlers()
    assert handlers
    for handler in handlers:
        if type(handler).__module__.startswith("_pytest"):
            continue  # pytest's own capture
        assert any(isinstance(f, PrivacyLogFilter) for f in handler.filters), handler


# --- end to end: requests with identifying headers ------------------------------


@pytest.fixture
def busy_site(client, centre_a, sign_in, manager_a):
    """Requests that make Django log: pages, 404s, 400s, 405s, a failed staff sign-in."""

    def _visit():
        for path in (
            "/",
            "/de/",
            "/centres/",
            "/centres/?language=klingon",
            f"/centres/{centre_a.slug}/",
            "/no-such-page/",
            f"/{ADDRESS}/",
            "/de/nothing-here/",
            "/healthz",
            "/staff/",
            "/staff/login/",
            "/staff/centres/",
        ):
            client.get(path, **HEADERS)
        client.post("/centres/", {"language": "de"}, **HEADERS)
        client.post(
            "/staff/login/",
            {
                "login_view-current_step": "auth",
                "auth-username": "manager_a",
                "auth-password": "wrong password",
            },
            **HEADERS,
        )
        staff = sign_in(manager_a)
        staff.get("/staff/centres/", **HEADERS)
        staff.get(f"/staff/centres/{centre_a.id}/edit/", **HEADERS)
        staff.get("/staff/centres/00000000-0000-0000-0000-000000000000/edit/", **HEADERS)
        # Code that logs an address by mistake is caught by the filter too.
        logging.getLogger("forestall.test").warning("client %s / %s", ADDRESS, ADDRESS_V6)

    return _visit


def test_no_log_line_contains_an_address_user_agent_or_referrer(busy_site):
    with captured_log_output() as output:
        busy_site()
    text = output.getvalue()
    # The requests did log (404s, 400, 405 and the test's own line) ...
    assert "Not Found: /no-such-page/" in text
    assert "Bad Request: /centres/" in text
    assert "Method Not Allowed" in text
    assert "client [address] / [address]" in text
    assert "Not Found: /[address]/" in text
    # ... and nothing identifying was in any of it.
    assert_nothing_identifying(text)


def test_no_table_contains_an_address_user_agent_or_referrer(busy_site):
    busy_site()
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump, verbosity=0)
    assert_nothing_identifying(dump.getvalue())


def test_views_never_see_the_address_user_agent_or_referrer(rf):
    from forestall.lib.privacy import SCRUBBED_ADDRESS, AddressScrubbingMiddleware

    seen = {}

    def view(request):
        seen.update(request.META)
        from django.http import HttpResponse

        return HttpResponse("ok")

    AddressScrubbingMiddleware(view)(rf.get("/", **HEADERS))
    assert seen["REMOTE_ADDR"] == SCRUBBED_ADDRESS
    assert_nothing_identifying(repr(seen))


def test_the_filter_drops_template_and_sql_debug_records_that_could_hold_content():
    from forestall.lib.privacy import PrivacyLogFilter

    log_filter = PrivacyLogFilter()
    for name in ("django.template", "django.db.backends"):
        record = logging.LogRecord(name, logging.DEBUG, __file__, 1, "context %s", ("x",), None)
        assert log_filter.filter(record) is False
    warning = logging.LogRecord(
        "django.template", logging.WARNING, __file__, 1, "broken template", (), None
    )
    assert log_filter.filter(warning) is True
