"""Staff TOTP secrets under the key ring: enrolment, sign-in, replay, dump, migration, rotation."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from forestall.accounts.models import TOTPAuthenticator
from forestall.lib.crypto import DecryptionError, envelope_key_id
from tests import factories
from tests.database_dump import raw_database_text
from tests.factories_accounts import (
    current_totp,
    post_enrolment_code,
    post_password,
    post_token,
    start_enrolment,
    totp_from_secret,
)

PASSWORD = factories.PASSWORD
OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()


def _signed_in(client: Client) -> bool:
    return client.get("/staff/").status_code == 200


def _enrol(client: Client) -> tuple[str, str]:
    """Walk the setup wizard as the person would; returns the base32 secret and the code used."""
    enrolment = start_enrolment(client)
    code = totp_from_secret(enrolment.secret)
    done = post_enrolment_code(client, enrolment, code)
    assert done["Location"] == "/staff/two-factor/backup-codes/"
    return enrolment.secret, code


def _secret_spellings(secret: bytes) -> dict[str, str]:
    """Every way a dump could show the secret: hex and base32, either case, padded or not."""
    hexed = secret.hex()
    b32 = base64.b32encode(secret).decode()
    return {
        "hex": hexed,
        "HEX": hexed.upper(),
        "base32": b32.rstrip("="),
        "base32 lower": b32.rstrip("=").lower(),
    }


def _assert_secret_nowhere(secret: bytes) -> None:
    dump = raw_database_text()
    for spelling, text in _secret_spellings(secret).items():
        assert text not in dump, f"the TOTP secret is in the database as {spelling}"
    if connection.vendor == "sqlite":
        assert secret not in connection.connection.serialize()


def _next_code(device: TOTPAuthenticator) -> str:
    """The code of the time step after the current one (accepted within the tolerance)."""
    return current_totp(device, steps_ahead=1)


# --- Enrolment and sign-in ----------------------------------------------------


def test_a_new_staff_member_enrols_and_signs_in_with_the_code(clinician_a):
    enrolling = Client()
    post_password(enrolling, clinician_a.username, PASSWORD)
    secret, _code = _enrol(enrolling)
    assert _signed_in(enrolling)

    device = TOTPAuthenticator.objects.get(user=clinician_a)
    assert device.name == "default" and device.confirmed
    assert device.bin_key == base64.b32decode(secret)
    assert not TOTPDevice.objects.exists()  # nothing in django-otp's clear table

    later = Client()
    page = post_password(later, clinician_a.username, PASSWORD)
    assert b'name="token-otp_token"' in page.content
    assert not _signed_in(later)
    response = post_token(later, _next_code(device))
    assert response.status_code == 302
    assert _signed_in(later)
    assert later.session["otp_device_id"] == f"accounts.totpauthenticator/{device.pk}"


def test_a_wrong_code_at_enrolment_answers_400_and_enrols_nothing(clinician_a):
    enrolling = Client()
    post_password(enrolling, clinician_a.username, PASSWORD)
    enrolment = start_enrolment(enrolling)
    right = totp_from_secret(enrolment.secret)
    for wrong in [f"{(int(right) + 1) % 1_000_000:06d}", "", "abcdef", "9" * 5000]:
        response = post_enrolment_code(enrolling, enrolment, wrong)
        assert response.status_code == 400, wrong[:20]
        assert b"errorlist" in response.content
        assert b'id="totp-secret"' in response.content  # the same step again, to try once more
    assert not TOTPAuthenticator.objects.filter(user=clinician_a).exists()


def test_the_enrolled_secret_is_stored_only_encrypted(clinician_a):
    client = Client()
    post_password(client, clinician_a.username, PASSWORD)
    secret, _code = _enrol(client)
    _assert_secret_nowhere(base64.b32decode(secret))
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpauthenticator")
        (stored,) = cursor.fetchone()
    assert bytes(stored).startswith(b"fe2")


def test_the_code_that_confirmed_enrolment_cannot_sign_in_again(clinician_a):
    enrolling = Client()
    post_password(enrolling, clinician_a.username, PASSWORD)
    _secret, code = _enrol(enrolling)
    other = Client()
    post_password(other, clinician_a.username, PASSWORD)
    response = post_token(other, code)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not _signed_in(other)


# --- Replay -------------------------------------------------------------------


def test_a_replayed_code_is_refused(clinician_a):
    device = factories.totp_device(clinician_a)
    code = current_totp(device)
    first = Client()
    post_password(first, clinician_a.username, PASSWORD)
    post_token(first, code)
    assert _signed_in(first)
    replay = Client()
    post_password(replay, clinician_a.username, PASSWORD)
    response = post_token(replay, code)
    assert b"errorlist" in response.content
    assert not _signed_in(replay)


def test_of_two_simultaneous_uses_of_one_code_only_one_succeeds(clinician_a):
    factories.totp_device(clinician_a)
    # Both requests loaded the device before either verified (the race).
    first = TOTPAuthenticator.objects.get(user=clinician_a)
    second = TOTPAuthenticator.objects.get(user=clinician_a)
    code = current_totp(first)
    assert first.verify_token(code)
    assert not second.verify_token(code)
    # The failure counted for throttling, and did not move last_t back.
    stored = TOTPAuthenticator.objects.get(pk=first.pk)
    assert stored.last_t == first.last_t
    assert stored.throttling_failure_count == 1
    assert not TOTPAuthenticator.objects.get(pk=first.pk).verify_token(code)


def test_a_later_code_still_works_after_one_was_used(clinician_a):
    device = factories.totp_device(clinician_a)
    assert device.verify_token(current_totp(device))
    assert device.verify_token(_next_code(device))
    assert TOTPAuthenticator.objects.get(pk=device.pk).throttling_failure_count == 0


def test_wrong_codes_are_throttled(clinician_a):
    device = factories.totp_device(clinician_a)
    right = current_totp(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert not device.verify_token(wrong)
    # Within the back-off, even the right code is refused (django-otp's throttling).
    assert not TOTPAuthenticator.objects.get(pk=device.pk).verify_token(right)


# --- At rest ------------------------------------------------------------------


def test_no_dump_holds_any_secret_in_hex_or_base32(sign_in, clinician_a, clinician_b, tmp_path):
    devices = [factories.totp_device(clinician_a), factories.totp_device(clinician_b)]
    sign_in(clinician_a)
    for device in devices:
        _assert_secret_nowhere(device.bin_key)


def test_the_dump_check_would_find_a_clear_secret(clinician_a):
    clear = TOTPDevice.objects.create(user=clinician_a, name="default", confirmed=True)
    secret = bytes.fromhex(clear.key)
    with pytest.raises(AssertionError, match="as hex"):
        _assert_secret_nowhere(secret)


def test_a_secret_moved_to_another_row_fails_to_decrypt(clinician_a, clinician_b):
    victim = factories.totp_device(clinician_a)
    attacker = factories.totp_device(clinician_b)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpauthenticator WHERE id = %s", [attacker.pk])
        (envelope,) = cursor.fetchone()
    TOTPAuthenticator.objects.filter(pk=victim.pk).update(key=bytes(envelope))
    with pytest.raises(DecryptionError, match=r"accounts\.TOTPAuthenticator\.key"):
        _ = TOTPAuthenticator.objects.get(pk=victim.pk).key


def test_the_totp_command_reads_the_encrypted_secret(settings, clinician_a):
    device = factories.totp_device(clinician_a)
    settings.DEBUG = True
    out = io.StringIO()
    call_command("totp", clinician_a.username, stdout=out)
    assert out.getvalue().strip() == current_totp(device)


def test_two_factor_enrols_and_finds_only_the_encrypted_authenticator():
    from two_factor.plugins.registry import registry

    from forestall.accounts.forms import AuthenticatorEnrolmentForm
    from forestall.accounts.two_factor_method import EncryptedAuthenticatorMethod

    (method,) = registry.get_methods()
    assert isinstance(method, EncryptedAuthenticatorMethod)
    assert method.code == "generator"
    assert method.get_setup_forms() == {"generator": AuthenticatorEnrolmentForm}


def test_the_deploy_check_reports_secrets_left_in_the_clear_table(clinician_a):
    from forestall.accounts.checks import check_no_clear_totp_secrets

    assert check_no_clear_totp_secrets() == []
    TOTPDevice.objects.create(user=clinician_a, name="default", confirmed=True)
    (error,) = check_no_clear_totp_secrets()
    assert error.id == "accounts.E001"
    assert "1 TOTP secret(s) stored in clear" in error.msg


# --- Key rotation -------------------------------------------------------------


def test_rotate_keys_re_encrypts_the_secrets_and_the_old_key_can_go(settings, clinician_a):
    settings.FORESTALL_KEYS = f"old:{OLD}"
    device = factories.totp_device(clinician_a)
    secret = device.bin_key
    settings.FORESTALL_KEYS = f"old:{OLD},new:{NEW}"
    out = io.StringIO()
    call_command("rotate-keys", "--no-progress", stdout=out)
    assert "accounts.TOTPAuthenticator: re-encrypted 1 of 1 rows" in out.getvalue()
    (stored,) = TOTPAuthenticator.objects.values_list("key", flat=True)
    assert envelope_key_id(stored) == "new"
    settings.FORESTALL_KEYS = f"new:{NEW}"
    rotated = TOTPAuthenticator.objects.get(pk=device.pk)
    assert rotated.bin_key == secret
    client = Client()
    post_password(client, clinician_a.username, PASSWORD)
    post_token(client, current_totp(rotated))
    assert _signed_in(client)


# --- The migration from django-otp's clear table --------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_clear_secrets_and_deletes_them():
    # The account exists before (today's model has columns 0003 does not).
    user = factories.make_user(username="enrolled.long.ago")
    call_command("migrate", "accounts", "0003", verbosity=0)
    try:
        clear = TOTPDevice.objects.create(
            user=user, name="default", confirmed=True, drift=1, throttling_failure_count=2
        )
        secret = bytes.fromhex(clear.key)
        generator = TOTP(secret, clear.step, clear.t0, clear.digits, clear.drift)
        used_step = generator.t()
        TOTPDevice.objects.filter(pk=clear.pk).update(last_t=used_step)
        used_code = f"{generator.token():06d}"
    finally:
        call_command("migrate", "accounts", verbosity=0)

    assert not TOTPDevice.objects.exists()
    _assert_secret_nowhere(secret)
    device = TOTPAuthenticator.objects.get(user=user)
    assert (device.name, device.confirmed, device.drift, device.last_t) == (
        "default",
        True,
        1,
        used_step,
    )
    assert device.throttling_failure_count == 2
    assert device.bin_key == secret
    # The code used before the migration stays used; the next one signs in.
    TOTPAuthenticator.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    client = Client()
    post_password(client, user.username, PASSWORD)
    assert b"errorlist" in post_token(client, used_code).content
    TOTPAuthenticator.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    post_token(client, _next_code(device))
    assert _signed_in(client)


@pytest.mark.django_db(transaction=True)
def test_the_migration_can_be_reversed_for_a_rollback():
    user = factories.make_user(username="rolled.back")
    device = factories.totp_device(user)
    secret = device.bin_key
    call_command("migrate", "accounts", "0003", verbosity=0)
    try:
        clear = TOTPDevice.objects.get(user=user)
        assert bytes.fromhex(clear.key) == secret
    finally:
        call_command("migrate", "accounts", verbosity=0)
    assert TOTPAuthenticator.objects.get(user=user).bin_key == secret
    assert not TOTPDevice.objects.exists()
