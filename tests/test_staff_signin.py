"""Staff sign-in: password, then a second factor; enrolment; delays (no lockout); sessions."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from forestall.accounts.models import BackupCode, Role, TOTPAuthenticator, User, backup_code_hash
from tests import factories
from tests.database_dump import database_rows_text
from tests.factories_accounts import (
    LOGIN_URL,
    backup_codes,
    current_totp,
    go_to_backup_step,
    post_backup_code,
    post_enrolment_code,
    post_password,
    post_token,
    sign_in_through_form,
    start_enrolment,
    totp_from_secret,
)

PASSWORD = factories.PASSWORD

# Routes that a person who has not verified a second factor may see: the
# sign-in itself, sign-out, and (for someone without an authenticator yet) the
# enrolment and its QR code.
_OPEN_BEFORE_SECOND_FACTOR = {"/staff/login/", "/staff/logout/"}
_ENROLMENT = {"/staff/two-factor/setup/", "/staff/two-factor/qrcode/"}


def _staff_routes() -> list[str]:
    """Every URL under /staff/ that takes no parameters."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if "<" in route or route.startswith("^"):
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                found.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted({route for route in found if route.startswith("/staff/")})


@pytest.fixture
def clinician(clinician_a):
    factories.totp_device(clinician_a)
    return clinician_a


@pytest.fixture
def device(clinician):
    return TOTPAuthenticator.objects.get(user=clinician, name="default")


def _signed_in(client: Client) -> bool:
    return client.get("/staff/").status_code == 200


# --- The sign-in page -------------------------------------------------------


def test_the_sign_in_page_is_at_staff_login_in_the_staff_look(client, db):
    response = client.get("/staff/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "staff/staff.css" in content
    assert 'name="auth-username"' in content
    assert 'name="auth-password"' in content
    assert "<script" not in content
    assert "style=" not in content
    assert "cdnjs" not in content


def test_the_sign_in_page_speaks_german_to_a_german_browser(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="de").get("/staff/login/")
    content = response.content.decode()
    assert 'lang="de"' in content
    assert "Bei forestall anmelden" in content
    assert "Benutzername" in content


def test_a_wrong_password_is_refused_with_a_message(client, clinician):
    response = post_password(client, clinician.username, "not the password")
    assert response.status_code == 400
    assert b"correct username and password" in response.content
    assert not _signed_in(client)


# --- The second factor ------------------------------------------------------


def test_the_password_alone_asks_for_the_code_and_opens_nothing(client, clinician):
    response = post_password(client, clinician.username, PASSWORD)
    assert response.status_code == 200
    assert b'name="token-otp_token"' in response.content
    assert response.wsgi_request.user.is_anonymous
    assert not _signed_in(client)


def test_no_staff_route_opens_after_the_password_alone(client, clinician):
    post_password(client, clinician.username, PASSWORD)
    routes = _staff_routes()
    assert "/staff/" in routes and "/staff/admin/" in routes
    for route in routes:
        if route in _OPEN_BEFORE_SECOND_FACTOR:
            continue
        _assert_ends_outside_staff(client, route, LOGIN_URL)


def _assert_ends_outside_staff(client: Client, route: str, landing: str) -> None:
    """Following every redirect from ``route`` ends on ``landing`` (or nothing is there)."""
    response = client.get(route, follow=True)
    if response.status_code in (404, 405):
        return
    assert response.status_code == 200, route
    assert response.request["PATH_INFO"] == landing, (route, response.redirect_chain)


def test_a_wrong_code_is_refused_and_opens_nothing(client, clinician, device):
    post_password(client, clinician.username, PASSWORD)
    wrong = f"{(int(current_totp(device)) + 1) % 1_000_000:06d}"
    response = post_token(client, wrong)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not _signed_in(client)


def test_an_old_code_from_a_minute_ago_is_refused(client, clinician, device):
    post_password(client, clinician.username, PASSWORD)
    response = post_token(client, current_totp(device, steps_ahead=-3))
    assert response.status_code == 400
    assert not _signed_in(client)


def test_the_code_without_the_password_step_opens_nothing(client, clinician, device):
    response = post_token(client, current_totp(device))
    assert not response.wsgi_request.user.is_authenticated
    assert not _signed_in(client)


def test_the_password_and_a_valid_code_open_the_staff_home(client, clinician, device):
    response = sign_in_through_form(client, clinician, PASSWORD, device)
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert b"Clinician" in home.content
    assert b"Centre A" in home.content


def test_the_sign_in_returns_to_the_page_asked_for(client, clinician, device):
    post_password(client, clinician.username, PASSWORD, next_url="/staff/two-factor/")
    response = post_token(client, current_totp(device), next_url="/staff/two-factor/")
    assert response["Location"] == "/staff/two-factor/"


def test_a_code_cannot_be_used_twice(client, clinician, device):
    code = current_totp(device)
    post_password(client, clinician.username, PASSWORD)
    post_token(client, code)
    assert _signed_in(client)
    other = Client()
    post_password(other, clinician.username, PASSWORD)
    post_token(other, code)
    assert not _signed_in(other)


# --- Backup codes -----------------------------------------------------------


def test_a_backup_code_signs_in_exactly_once(clinician):
    code = backup_codes(clinician)[0]

    first = Client()
    post_password(first, clinician.username, PASSWORD)
    step = go_to_backup_step(first)
    assert b'name="backup-otp_token"' in step.content
    response = post_backup_code(first, code)
    assert response.status_code == 302
    assert _signed_in(first)
    assert not BackupCode.objects.filter(code_hash=backup_code_hash(clinician.pk, code)).exists()

    second = Client()
    post_password(second, clinician.username, PASSWORD)
    go_to_backup_step(second)
    response = post_backup_code(second, code)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not _signed_in(second)


def test_a_made_up_backup_code_opens_nothing(client, clinician):
    backup_codes(clinician)
    post_password(client, clinician.username, PASSWORD)
    go_to_backup_step(client)
    post_backup_code(client, "abcdefgh")
    assert not _signed_in(client)


def test_the_code_step_offers_backup_codes_only_to_people_who_have_them(client, clinician):
    page = post_password(client, clinician.username, PASSWORD)
    assert b'value="backup"' not in page.content
    backup_codes(clinician)
    page = post_password(Client(), clinician.username, PASSWORD)
    assert b'value="backup"' in page.content


# --- Enrolment ----------------------------------------------------------------


def _enrol(client: Client, user) -> str:
    """Walk through the enrolment wizard; returns the final response's location."""
    enrolment = start_enrolment(client)
    assert b'name="generator-token"' in enrolment.page
    done = post_enrolment_code(client, enrolment, totp_from_secret(enrolment.secret))
    return done["Location"]


def test_someone_without_an_authenticator_is_sent_to_enrolment(client, clinician_a):
    response = post_password(client, clinician_a.username, PASSWORD)
    assert response.status_code == 302
    home = client.get("/staff/")
    assert home.status_code == 302
    assert home["Location"] == "/staff/two-factor/setup/"
    for route in _staff_routes():
        if route in _OPEN_BEFORE_SECOND_FACTOR | _ENROLMENT:
            continue
        # Either straight to enrolment, or (pages that need a verified
        # session) to the sign-in, which cannot complete without a device.
        response = client.get(route, follow=True)
        if response.status_code in (404, 405):
            continue
        assert response.request["PATH_INFO"] in ("/staff/two-factor/setup/", LOGIN_URL), route


def test_enrolment_shows_a_qr_code_from_our_own_origin(client, clinician_a):
    post_password(client, clinician_a.username, PASSWORD)
    welcome = client.get("/staff/two-factor/setup/")
    step_field = re.search(rb'name="([\w-]+-current_step)"', welcome.content).group(1).decode()
    page = client.post("/staff/two-factor/setup/", {step_field: "welcome"})
    content = page.content.decode()
    assert '<img class="qr" src="/staff/two-factor/qrcode/"' in content
    assert "<script" not in content and "style=" not in content
    image = client.get("/staff/two-factor/qrcode/")
    assert image.status_code == 200
    assert image["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in image.content
    assert b"<script" not in image.content
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
    assert "otpauth://totp/forestall" in content


def test_enrolment_ends_with_backup_codes_and_a_verified_session(client, clinician_a):
    post_password(client, clinician_a.username, PASSWORD)
    location = _enrol(client, clinician_a)
    assert location == "/staff/two-factor/backup-codes/"
    page = client.get(location)
    assert page.status_code == 200
    codes = re.findall(rb"<li><code>(\w+)</code></li>", page.content)
    assert len(codes) == 10
    assert TOTPAuthenticator.objects.filter(
        user=clinician_a, name="default", confirmed=True
    ).exists()
    assert _signed_in(client)


def test_after_enrolment_the_next_sign_in_asks_for_the_code(clinician_a):
    enrolling = Client()
    post_password(enrolling, clinician_a.username, PASSWORD)
    _enrol(enrolling, clinician_a)
    later = Client()
    response = post_password(later, clinician_a.username, PASSWORD)
    assert b'name="token-otp_token"' in response.content
    assert not _signed_in(later)


def test_a_password_alone_cannot_replace_an_existing_authenticator(client, clinician):
    client.force_login(clinician)  # signed in without the second factor
    response = client.get("/staff/two-factor/setup/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert TOTPAuthenticator.objects.filter(user=clinician).count() == 1


def test_someone_with_an_authenticator_cannot_add_a_second_one(sign_in, clinician_a):
    client = sign_in(clinician_a)
    response = client.get("/staff/two-factor/setup/")
    assert response["Location"] == "/staff/two-factor/"
    response = client.post("/staff/two-factor/setup/", {"setup_view-current_step": "welcome"})
    assert response["Location"] == "/staff/two-factor/"
    assert TOTPAuthenticator.objects.filter(user=clinician_a).count() == 1


def test_new_backup_codes_replace_the_old_ones(sign_in, clinician_a):
    old = backup_codes(clinician_a)
    client = sign_in(clinician_a)
    response = client.post("/staff/two-factor/backup-codes/")
    assert response.status_code == 302
    page = client.get("/staff/two-factor/backup-codes/")
    new = [code.decode() for code in re.findall(rb"<li><code>(\w+)</code></li>", page.content)]
    assert len(new) == 10
    assert not set(old) & set(new)
    stored = set(BackupCode.objects.of(clinician_a).values_list("code_hash", flat=True))
    assert stored == {backup_code_hash(clinician_a.pk, code) for code in new}


def test_account_security_shows_how_many_backup_codes_remain(sign_in, clinician_a):
    backup_codes(clinician_a, count=3)
    page = sign_in(clinician_a).get("/staff/two-factor/")
    assert page.status_code == 200
    assert b"You have 3 unused backup codes." in page.content
    assert b"disable" not in page.content.lower()


# --- Passwords ------------------------------------------------------------------


def test_new_passwords_are_hashed_with_argon2id(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    assert make_password("a long enough staff password").startswith("argon2$argon2id$")


def test_the_configured_first_hasher_is_argon2():
    from forestall import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


# --- No lockout: progressive delays per source ------------------------------

ADDRESS = "203.0.113.77"
ATTACKER = "198.51.100.66"


def _fail(client: Client, username: str, times: int) -> None:
    """Fail ``times`` passwords, waiting out each delay (as a patient guesser would)."""
    from forestall.accounts import signin_throttle

    for number in range(times):
        later = time.time() + signin_throttle.MAX_DELAY_SECONDS * (number + 1) + 1
        if number >= signin_throttle.FREE_FAILURES:
            with mock.patch("time.time", return_value=later):
                post_password(client, username, "wrong password")
        else:
            post_password(client, username, "wrong password")


@pytest.fixture
def visitor():
    return Client(
        REMOTE_ADDR=ADDRESS,
        HTTP_X_FORWARDED_FOR=ADDRESS,
        HTTP_USER_AGENT="Mozilla/5.0 (forestall-test-agent)",
    )


def _hammer(client: Client, username: str, times: int) -> None:
    for _attempt in range(times):
        post_password(client, username, "wrong password")


def test_repeated_failures_hold_the_next_attempt_back_with_the_wait(visitor, clinician, device):
    from forestall.accounts import signin_throttle

    _hammer(visitor, clinician.username, signin_throttle.FREE_FAILURES)
    response = post_password(visitor, clinician.username, PASSWORD)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= signin_throttle.MAX_DELAY_SECONDS
    assert f"{wait} second" in response.content.decode()
    assert b'name="token-otp_token"' not in response.content
    assert not _signed_in(visitor)


def test_the_delay_grows_with_every_failure_up_to_its_ceiling():
    from forestall.accounts.signin_throttle import FREE_FAILURES, MAX_DELAY_SECONDS, delay_after

    delays = [delay_after(failures) for failures in range(FREE_FAILURES + 12)]
    assert delays[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert delays[FREE_FAILURES : FREE_FAILURES + 3] == [1, 2, 4]
    assert delays == sorted(delays)
    assert max(delays) == MAX_DELAY_SECONDS


def test_the_held_back_page_is_translated(clinician):
    from forestall.accounts import signin_throttle

    german = Client(HTTP_ACCEPT_LANGUAGE="de")
    _hammer(german, clinician.username, signin_throttle.FREE_FAILURES)
    response = post_password(german, clinician.username, PASSWORD)
    assert response.status_code == 429
    assert "Bitte warten Sie" in response.content.decode()


def test_after_the_wait_the_right_password_still_works(visitor, clinician, device):
    from forestall.accounts import signin_throttle

    _hammer(visitor, clinician.username, signin_throttle.FREE_FAILURES + 1)
    later = time.time() + signin_throttle.MAX_DELAY_SECONDS + 1
    with mock.patch("time.time", return_value=later):
        response = post_password(visitor, clinician.username, PASSWORD)
    assert b'name="token-otp_token"' in response.content


def test_an_attacker_cannot_lock_a_colleague_out(clinician, device):
    """The ASVS 2.2.1 attack: hammer a username from elsewhere, then the owner signs in."""
    attacker = Client(REMOTE_ADDR=ATTACKER)
    _fail(attacker, clinician.username, 40)
    assert post_password(attacker, clinician.username, PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR=ADDRESS)
    assert sign_in_through_form(owner, clinician, PASSWORD, device).status_code == 302
    assert _signed_in(owner)


# --- No lockout through wrong codes either: the wait after them is capped ------------


def _clock(at):
    """The server's clock (throttling, sessions) at ``at``; the codes still follow real time."""
    return mock.patch("django.utils.timezone.now", return_value=at)


def _a_wrong_code(device: TOTPAuthenticator) -> str:
    right = {current_totp(device, steps_ahead=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "After 20 wrong codes, wait 60 seconds before you try again."),
        ("de", "Nach 20 falschen Codes warten Sie bitte 60 Sekunden, bevor Sie es noch"),
    ],
)
def test_wrong_codes_typed_by_someone_with_the_password_keep_the_owner_out_five_minutes_at_most(
    clinician, device, language, told
):
    """The attack: the password is known (phished, reused); wrong codes, typed patiently,
    should keep the owner out. django-otp's own back-off doubles without a ceiling: after
    these 20 wrong codes the owner would wait six days."""
    attacker = Client(REMOTE_ADDR=ATTACKER)
    assert (
        b'name="token-otp_token"' in post_password(attacker, clinician.username, PASSWORD).content
    )
    wrong = _a_wrong_code(device)
    at = timezone.now()
    for _attempt in range(20):
        at += timedelta(minutes=10)  # past every wait, as a patient attacker would be
        with _clock(at):
            assert post_token(attacker, wrong).status_code == 400
    assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 20

    owner = Client(REMOTE_ADDR=ADDRESS, HTTP_ACCEPT_LANGUAGE=language)
    with _clock(at + timedelta(minutes=4)):
        post_password(owner, clinician.username, PASSWORD)
        held = post_token(owner, current_totp(device))
    assert held.status_code == 400
    assert told in re.sub(r"\s+", " ", held.content.decode())
    # Checked neither as a right code nor as a wrong one: it still works, and counts nothing.
    assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 20

    with _clock(at + timedelta(minutes=5, seconds=1)):
        assert post_token(owner, current_totp(device)).status_code == 302
        assert _signed_in(owner)
    assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 0


def _owner_with_a_known_browser(clinician, device, **extra) -> Client:
    """The owner's browser after one complete sign-in (it holds the device cookie)."""
    owner = Client(REMOTE_ADDR=ADDRESS, **extra)
    assert sign_in_through_form(owner, clinician, PASSWORD, device).status_code == 302
    owner.post("/staff/logout/")
    return owner


def test_wrong_codes_typed_elsewhere_never_hold_back_the_owners_known_browser(clinician, device):
    """The same attack as above, against the browser the owner always uses: no wait at all."""
    owner = _owner_with_a_known_browser(clinician, device)
    attacker = Client(REMOTE_ADDR=ATTACKER)
    post_password(attacker, clinician.username, PASSWORD)
    wrong = _a_wrong_code(device)
    at = timezone.now()
    for _attempt in range(20):
        at += timedelta(minutes=10)
        with _clock(at):
            assert post_token(attacker, wrong).status_code == 400

    with _clock(at + timedelta(seconds=1)):
        post_password(owner, clinician.username, PASSWORD)
        assert post_token(owner, current_totp(device, steps_ahead=1)).status_code == 302
        assert _signed_in(owner)
        # The guesser gets no fresh short waits from the owner signing in.
        assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 20
        assert post_token(attacker, wrong).status_code == 400
    assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 20


def test_a_known_browser_waits_after_its_own_wrong_codes(clinician, device):
    owner = _owner_with_a_known_browser(clinician, device, HTTP_ACCEPT_LANGUAGE="de")
    post_password(owner, clinician.username, PASSWORD)
    wrong = _a_wrong_code(device)
    at = timezone.now()
    with _clock(at):
        assert post_token(owner, wrong).status_code == 400
    with _clock(at + timedelta(seconds=2)):  # past the first wait (1 s)
        assert post_token(owner, wrong).status_code == 400
        held = post_token(owner, current_totp(device, steps_ahead=1))
    assert held.status_code == 400
    assert "Nach 2 falschen Codes warten Sie bitte" in re.sub(r"\s+", " ", held.content.decode())
    # Counted for that browser, not on the authenticator: nobody else waits for them.
    assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 0
    with _clock(at + timedelta(seconds=2)):
        assert TOTPAuthenticator.objects.get(pk=device.pk).verify_is_allowed()[0]

    with _clock(at + timedelta(seconds=5)):  # past the second wait (2 s)
        post_password(owner, clinician.username, PASSWORD)
        assert post_token(owner, current_totp(device, steps_ahead=1)).status_code == 302


def test_the_wait_after_wrong_codes_doubles_up_to_five_minutes():
    from forestall.accounts.models import MAX_CODE_DELAY_SECONDS, code_delay

    delays = [code_delay(failures) for failures in range(40)]
    assert delays[:5] == [0, 1, 2, 4, 8]
    assert delays == sorted(delays)
    assert MAX_CODE_DELAY_SECONDS == 300 and max(delays) == 300
    assert code_delay(10**9) == 300


def test_behind_one_shared_address_a_known_device_is_never_held_back(clinician, device):
    """Onion service: every client arrives from 127.0.0.1, so the device cookie decides."""
    owner = Client()
    sign_in_through_form(owner, clinician, PASSWORD, device)
    assert _signed_in(owner)
    owner.post("/staff/logout/")
    attacker = Client()
    _fail(attacker, clinician.username, 40)
    assert post_password(attacker, clinician.username, PASSWORD).status_code == 429
    # The second factor is still asked for: a known device skips only the delay.
    response = post_password(owner, clinician.username, PASSWORD)
    assert response.status_code == 200
    assert b'name="token-otp_token"' in response.content


def test_a_device_cookie_for_another_account_counts_for_nothing(clinician, clinician_b, device):
    from forestall.accounts import signin_throttle

    factories.totp_device(clinician_b)
    browser = Client()
    sign_in_through_form(
        browser,
        clinician_b,
        PASSWORD,
        TOTPAuthenticator.objects.get(user=clinician_b, name="default"),
    )
    browser.post("/staff/logout/")
    _hammer(Client(), clinician.username, signin_throttle.FREE_FAILURES)
    assert post_password(browser, clinician.username, PASSWORD).status_code == 429


def test_the_device_cookie_is_strict_signed_and_names_nobody(clinician, device):
    client = Client()
    sign_in_through_form(client, clinician, PASSWORD, device)
    cookie = client.cookies["forestall_staff_device"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/staff/"
    assert clinician.username not in cookie.value
    assert str(clinician.pk) not in cookie.value


def test_failures_on_one_account_do_not_slow_another(visitor, clinician, clinician_b):
    from forestall.accounts import signin_throttle

    _hammer(visitor, clinician.username, signin_throttle.FREE_FAILURES + 2)
    factories.totp_device(clinician_b)
    response = post_password(visitor, clinician_b.username, PASSWORD)
    assert response.status_code == 200
    assert b'name="token-otp_token"' in response.content


def test_fewer_failures_than_the_free_ones_do_not_slow_down(client, clinician, device):
    from forestall.accounts import signin_throttle

    _hammer(client, clinician.username, signin_throttle.FREE_FAILURES - 1)
    assert sign_in_through_form(client, clinician, PASSWORD, device).status_code == 302
    assert _signed_in(client)


def test_a_right_password_resets_the_count_for_that_source(client, clinician, device):
    from forestall.accounts import signin_throttle

    _hammer(client, clinician.username, signin_throttle.FREE_FAILURES - 1)
    assert b'name="token-otp_token"' in post_password(client, clinician.username, PASSWORD).content
    fresh = Client()
    _hammer(fresh, clinician.username, signin_throttle.FREE_FAILURES - 1)
    assert post_password(fresh, clinician.username, PASSWORD).status_code == 200


def test_rotating_x_forwarded_for_does_not_escape_the_delay(clinician, device):
    from forestall.accounts import signin_throttle

    guesser = Client(REMOTE_ADDR=ATTACKER)
    for number in range(signin_throttle.FREE_FAILURES):
        guesser.defaults["HTTP_X_FORWARDED_FOR"] = f"10.0.{number}.1"
        post_password(guesser, clinician.username, "wrong password")
    guesser.defaults["HTTP_X_FORWARDED_FOR"] = "10.9.9.9"
    assert post_password(guesser, clinician.username, PASSWORD).status_code == 429


def test_no_table_and_no_cache_entry_holds_the_address_or_user_agent(visitor, clinician, device):
    _hammer(visitor, clinician.username, 6)
    fresh = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="Mozilla/5.0 (forestall-test-agent)")
    cache.clear()
    sign_in_through_form(fresh, clinician, PASSWORD, device)
    fresh.get("/staff/")
    dump = _database_text()
    for needle in (ADDRESS, "127.0.0.1", "forestall-test-agent"):
        assert needle not in dump, needle
    _hammer(visitor, clinician.username, 6)
    text = _cache_text()
    for needle in (ADDRESS, clinician.username):
        assert needle not in text, needle


def _database_text() -> str:
    parts = [database_rows_text()]
    for session in Session.objects.all():
        parts.append(json.dumps(session.get_decoded(), default=str))
    return "\n".join(parts)


def _cache_text() -> str:
    store = getattr(cache, "_cache", {})
    return repr(list(store.keys())) + repr(list(store.values()))


def test_one_address_guessing_across_many_accounts_is_slowed_down(visitor, clinician, device):
    from forestall.accounts.staff_views import SIGN_IN_ATTEMPTS_PER_ADDRESS

    for number in range(SIGN_IN_ATTEMPTS_PER_ADDRESS):
        post_password(visitor, f"guess{number}", "wrong password")
    response = post_password(visitor, clinician.username, PASSWORD)
    assert response.status_code == 429
    assert b"too many attempts" in response.content
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert (
        b'name="token-otp_token"' in post_password(elsewhere, clinician.username, PASSWORD).content
    )


# --- Sessions and sign-out ------------------------------------------------------


def test_the_session_ends_after_inactivity(sign_in, clinician_a):
    client = sign_in(clinician_a)
    assert _signed_in(client)
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + idle):
        response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_activity_keeps_the_session_alive(sign_in, clinician_a):
    client = sign_in(clinician_a)
    step = timedelta(seconds=settings.SESSION_COOKIE_AGE * 2 // 3)
    start = timezone.now()
    for number in (1, 2, 3):
        with mock.patch("django.utils.timezone.now", return_value=start + step * number):
            assert client.get("/staff/").status_code == 200


def _expiry(client: Client) -> object:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key).expire_date


def test_a_page_within_a_minute_of_the_last_write_does_not_rewrite_the_session(
    sign_in, clinician_a
):
    client = sign_in(clinician_a)
    start = timezone.now() + timedelta(minutes=2)  # the sign-in wrote the session just now
    with mock.patch("django.utils.timezone.now", return_value=start):
        assert client.get("/staff/").status_code == 200
    assert _expiry(client) == start + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(seconds=50)):
        assert client.get("/staff/").status_code == 200
    assert _expiry(client) == start + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    later = start + timedelta(seconds=70)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get("/staff/").status_code == 200
    assert _expiry(client) == later + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_a_head_request_does_not_keep_the_staff_session_alive(sign_in, clinician_a):
    """A link checker or a preview fetching a staff page is not someone at work."""
    client = sign_in(clinician_a)
    signed_in_until = _expiry(client)
    later = timezone.now() + timedelta(minutes=10)
    with mock.patch("django.utils.timezone.now", return_value=later):
        head = client.head("/staff/")
    assert head.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in head.cookies
    assert "Cookie" in head["Vary"]
    assert _expiry(client) == signed_in_until
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get("/staff/").status_code == 200
    assert _expiry(client) == later + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_a_page_every_fifty_seconds_keeps_the_session_past_its_age(sign_in, clinician_a):
    client = sign_in(clinician_a)
    start = timezone.now()
    step = timedelta(seconds=50)
    steps = settings.SESSION_COOKIE_AGE // 50 + 3
    for number in range(1, steps + 1):
        with mock.patch("django.utils.timezone.now", return_value=start + step * number):
            assert client.get("/staff/").status_code == 200


def test_a_changed_session_is_saved_at_once(sign_in, clinician_a):
    from forestall.accounts.sessions import SessionStore

    client = sign_in(clinician_a)
    assert client.get("/staff/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = SessionStore(key)
    session["seen"] = "yes"
    session.save()
    assert SessionStore(key)["seen"] == "yes"


def test_the_staff_session_cookie_is_strict_and_only_for_staff_pages(client, clinician, device):
    response = sign_in_through_form(client, clinician, PASSWORD, device)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["path"] == "/staff/"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"


def test_sign_out_ends_the_session_so_the_old_cookie_opens_nothing(client, clinician, device):
    sign_in_through_form(client, clinician, PASSWORD, device)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _signed_in(client)
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not Session.objects.filter(session_key=old_cookie).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    answer = replay.get("/staff/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(LOGIN_URL)


def test_sign_out_needs_a_post(sign_in, clinician_a):
    client = sign_in(clinician_a)
    assert client.get("/staff/logout/").status_code == 405
    assert _signed_in(client)


def test_every_staff_page_offers_sign_out(sign_in, clinician_a):
    page = sign_in(clinician_a).get("/staff/")
    assert b'action="/staff/logout/"' in page.content


def test_sign_in_and_sign_out_are_in_the_audit_log(client, clinician, device):
    from forestall.audit.models import AuditEntry

    sign_in_through_form(client, clinician, PASSWORD, device)
    client.post("/staff/logout/")
    actions = list(
        AuditEntry.objects.filter(actor_username=clinician.username)
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["account.sign_in", "account.sign_out"]


def test_the_sign_in_page_tells_a_signed_in_person_so(sign_in, clinician_a):
    page = sign_in(clinician_a).get(LOGIN_URL)
    assert b"You are already signed in as clinician_a." in page.content


# --- Language -------------------------------------------------------------------


def test_a_person_can_choose_german_for_the_staff_pages(sign_in, clinician_a):
    client = sign_in(clinician_a)
    response = client.post("/staff/language/", {"language": "de"})
    assert response.status_code == 302
    clinician_a.refresh_from_db()
    assert clinician_a.language == "de"
    assert "Ihre Zentren und Rollen" in client.get("/staff/").content.decode()
    client.post("/staff/language/", {"language": ""})
    assert "Your centres and roles" in client.get("/staff/").content.decode()


def test_a_language_that_is_not_offered_is_refused_with_a_message(sign_in, clinician_a):
    client = sign_in(clinician_a)
    response = client.post("/staff/language/", {"language": "xx"}, follow=True)
    assert b"Please choose one of the languages offered." in response.content
    clinician_a.refresh_from_db()
    assert clinician_a.language == ""


def test_the_accounts_catalogue_translates_every_message_into_german():
    from pathlib import Path

    import forestall.accounts

    po = Path(forestall.accounts.__file__).parent / "locale/de/LC_MESSAGES/django.po"
    entries = [block for block in po.read_text().split("\n\n") if "\nmsgid " in "\n" + block]
    untranslated = [
        block
        for block in entries[1:]  # the first entry is the header
        if "#, fuzzy" in block or re.search(r'^msgstr(\[\d\])? ""$(?!\n")', block, re.M)
    ]
    assert len(entries) > 90
    assert not untranslated, untranslated[:3]


def test_enrolment_speaks_german_to_a_german_browser(clinician_a):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    post_password(client, clinician_a.username, PASSWORD)
    page = client.get("/staff/two-factor/setup/").content.decode()
    assert "Zwei-Faktor-Anmeldung einrichten" in page


# --- Staff home -----------------------------------------------------------------


def test_a_clinician_at_a_sees_centre_a_and_not_centre_b(sign_in, clinician_a, centre_b):
    page = sign_in(clinician_a).get("/staff/")
    assert page.status_code == 200
    assert b"Centre A" in page.content
    assert b"Centre B" not in page.content
    assert b"North" in page.content


def test_the_home_lists_every_role_at_every_centre(sign_in, manager_a, centre_b):
    factories.add_role(manager_a, Role.CLINICIAN, centre_b)
    content = sign_in(manager_a).get("/staff/").content.decode()
    assert "Centre A" in content and "Centre manager" in content
    assert "Centre B" in content and "Clinician" in content


def test_network_roles_are_shown_as_the_whole_network(sign_in, analyst):
    content = sign_in(analyst).get("/staff/").content.decode()
    assert "Whole network" in content
    assert "Analyst" in content
    assert "/staff/admin/" not in content


def test_network_admins_find_the_administration_from_home(sign_in, network_admin):
    content = sign_in(network_admin).get("/staff/").content.decode()
    assert "/staff/admin/" in content


def test_someone_without_roles_is_told_to_ask_a_network_admin(sign_in, outsider):
    content = sign_in(outsider).get("/staff/").content.decode()
    assert "You hold no roles yet" in content


def test_the_home_is_german_for_a_german_browser(clinician_a):
    client = factories.signed_in_client(clinician_a, Client(HTTP_ACCEPT_LANGUAGE="de"))
    content = client.get("/staff/").content.decode()
    assert "Ihre Zentren und Rollen" in content
    assert "Abmelden" in content


# --- Demo logins -----------------------------------------------------------------


@pytest.fixture
def short_demo_history(monkeypatch):
    """The demo's statistics history: four weeks instead of two years.

    The seed-demo tests here check accounts (the logins, their second factor,
    an existing account left alone); every seeder still runs. Two years of
    daily counts were half of their time; the whole history is seeded (and
    checked) in test_stats_record and test_demo_consistency.
    """
    from forestall.stats import demo

    monkeypatch.setattr(demo, "DAYS", 28)


def test_seed_demo_writes_logins_that_sign_in_with_their_totp_secret(
    db, tmp_path, settings, short_demo_history
):
    settings.DEBUG = True
    path = tmp_path / "logins.json"
    call_command("seed-demo", credentials=path, stdout=open("/dev/null", "w"))  # noqa: SIM115
    logins = json.loads(path.read_text())
    assert {"username", "password", "role", "centre", "totp_secret"} <= set(logins[0])
    assert {login["role"] for login in logins} >= {role.value for role in Role}
    clinician = next(login for login in logins if login["role"] == Role.CLINICIAN)
    client = Client()
    post_password(client, clinician["username"], clinician["password"])
    response = post_token(client, totp_from_secret(clinician["totp_secret"]))
    assert response.status_code == 302
    home = client.get("/staff/")
    assert home.status_code == 200
    assert b"Clinician" in home.content


# --- The totp command -------------------------------------------------------------


def test_the_totp_command_prints_the_current_code_in_debug_mode(settings, clinician, device):
    settings.DEBUG = True
    out = StringIO()
    call_command("totp", clinician.username, stdout=out)
    assert out.getvalue().strip() == current_totp(device)


def test_the_totp_command_refuses_without_debug(settings, clinician):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="FORESTALL_DEBUG=1"):
        call_command("totp", clinician.username)


def test_the_totp_command_names_an_unknown_user(settings, db):
    from django.core.management.base import CommandError

    settings.DEBUG = True
    with pytest.raises(CommandError, match="nobody"):
        call_command("totp", "nobody")


def test_seed_demo_is_refused_in_production_mode(db, settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError) as raised:
        call_command("seed-demo", credentials=tmp_path / "logins.json")
    assert "debug mode" in str(raised.value)
    assert not User.objects.exists()
    assert not (tmp_path / "logins.json").exists()


def test_seed_demo_never_changes_an_existing_account(db, settings, tmp_path, short_demo_history):
    """The review's attack: seeding replaced a real admin's password with the public one."""
    settings.DEBUG = True
    real = factories.make_user(
        Role.NETWORK_ADMIN, None, username="admin", password="a real secret 1"
    )
    before = (real.password, real.is_superuser, list(real.memberships.values_list("role")))
    path = tmp_path / "logins.json"
    call_command("seed-demo", credentials=path, stdout=StringIO())
    real.refresh_from_db()
    assert (real.password, real.is_superuser, list(real.memberships.values_list("role"))) == before
    assert real.check_password("a real secret 1")
    assert not TOTPAuthenticator.objects.filter(user=real).exists()
    assert "admin" not in {login["username"] for login in json.loads(path.read_text())}
    # A second run finds its own demo accounts again and changes nothing either.
    clinician = User.objects.get(username="clinician.berlin")
    password_hash = clinician.password
    call_command("seed-demo", credentials=path, stdout=StringIO())
    clinician.refresh_from_db()
    assert clinician.password == password_hash
    assert "clinician.berlin" in {login["username"] for login in json.loads(path.read_text())}
