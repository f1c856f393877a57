"""Staff backup codes: stored only as keyed hashes, shown once, each usable once."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
import re
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from forestall.accounts.checks import check_no_clear_backup_codes
from forestall.accounts.models import (
    BackupCode,
    BackupCodeSet,
    User,
    backup_code_hash,
)
from forestall.audit.models import AuditEntry
from tests import factories
from tests.database_dump import database_rows_text, raw_database_text
from tests.factories_accounts import (
    backup_codes,
    go_to_backup_step,
    post_backup_code,
    post_enrolment_code,
    post_password,
    start_enrolment,
    totp_from_secret,
)

PASSWORD = factories.PASSWORD
PAGE = "/staff/two-factor/backup-codes/"
MIGRATION = "0005_backup_codes_hashed"
_CODE_ON_PAGE = re.compile(r"<li><code>([a-z2-7]{8})</code></li>")


def _signed_in(client: Client) -> bool:
    return client.get("/staff/").status_code == 200


def _codes_on(page) -> list[str]:
    return _CODE_ON_PAGE.findall(page.content.decode())


def _make_new_codes(client: Client) -> list[str]:
    """Press "Make new codes" and follow the redirect, as the browser does; the codes shown."""
    response = client.post(PAGE)
    assert response.status_code == 302
    assert response["Location"] == PAGE
    page = client.get(PAGE)
    assert page.status_code == 200
    return _codes_on(page)


def _sign_in_with_backup_code(user: User, code: str) -> tuple[Client, object]:
    client = Client()
    post_password(client, user.username, PASSWORD)
    go_to_backup_step(client)
    return client, post_backup_code(client, code)


def _spellings(code: str) -> list[str]:
    """Every way a dump could hold the code: as typed, upper case, unkeyed hashes of it."""
    return [
        code,
        code.upper(),
        hashlib.sha256(code.encode()).hexdigest(),
        hashlib.sha1(code.encode()).hexdigest(),  # noqa: S324 - looking for it, not using it
        hashlib.md5(code.encode()).hexdigest(),  # noqa: S324 - looking for it, not using it
    ]


# --- Shown once --------------------------------------------------------------------


def test_new_codes_are_shown_once_and_a_reload_shows_only_how_many_remain(sign_in, clinician_a):
    client = sign_in(clinician_a)
    codes = _make_new_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10

    reload = client.get(PAGE)
    assert reload.status_code == 200
    content = reload.content.decode()
    assert _codes_on(reload) == []
    for code in codes:
        assert code not in content
    assert "You have 10 unused backup codes." in content
    assert "Make new codes (the old ones stop working)" in content
    assert reload["Cache-Control"].count("no-store") == 1


def test_the_page_without_fresh_codes_never_lists_any(sign_in, clinician_a):
    old = backup_codes(clinician_a, count=3)
    page = sign_in(clinician_a).get(PAGE)
    assert page.status_code == 200
    assert _codes_on(page) == []
    assert not any(code in page.content.decode() for code in old)
    assert b"You have 3 unused backup codes." in page.content


def test_the_page_says_when_no_code_is_left(sign_in, clinician_a):
    page = sign_in(clinician_a).get(PAGE)
    assert page.status_code == 200
    assert b"You have no backup codes left." in page.content
    assert not BackupCodeSet.objects.filter(user=clinician_a).exists()  # a GET makes nothing


def test_enrolment_shows_the_codes_once_right_after_the_authenticator_is_set_up(clinician_a):
    client = Client()
    post_password(client, clinician_a.username, PASSWORD)
    enrolment = start_enrolment(client)
    done = post_enrolment_code(client, enrolment, totp_from_secret(enrolment.secret))
    assert done["Location"] == PAGE

    codes = _codes_on(client.get(PAGE))
    assert len(codes) == 10
    assert _codes_on(client.get(PAGE)) == []
    stored = set(BackupCode.objects.of(clinician_a).values_list("code_hash", flat=True))
    assert stored == {backup_code_hash(clinician_a.pk, code) for code in codes}


def test_while_carried_to_the_next_page_the_codes_are_not_in_the_session_in_clear(
    sign_in, clinician_a
):
    client = sign_in(clinician_a)
    client.post(PAGE)
    dump_between = raw_database_text()  # the session row, between the POST and the GET
    codes = _codes_on(client.get(PAGE))
    assert len(codes) == 10
    for code in codes:
        assert code not in dump_between
    assert "accounts.fresh_backup_codes" not in client.session


def test_fresh_codes_carried_in_another_person_s_session_show_nothing(
    sign_in, clinician_a, clinician_b
):
    own = sign_in(clinician_a)
    own.post(PAGE)
    carried = own.session["accounts.fresh_backup_codes"]
    other = sign_in(clinician_b)
    session = other.session
    session["accounts.fresh_backup_codes"] = carried
    session.save()
    page = other.get(PAGE)
    assert page.status_code == 200
    assert _codes_on(page) == []


def test_every_generation_is_audited_and_logs_no_code(sign_in, clinician_a, caplog):
    client = sign_in(clinician_a)
    with caplog.at_level(logging.DEBUG):
        first = _make_new_codes(client)
        second = _make_new_codes(client)
        _sign_in_with_backup_code(clinician_a, second[0])
    assert (
        AuditEntry.objects.filter(
            action="account.backup_codes.generate", target_id=str(clinician_a.pk)
        ).count()
        == 2
    )
    for code in first + second:
        assert code not in caplog.text


# --- Stored only as keyed hashes ----------------------------------------------------


def test_no_column_of_any_table_holds_a_code(sign_in, clinician_a):
    client = sign_in(clinician_a)
    codes = _make_new_codes(client)
    rows = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_backupcode")
        rows = cursor.fetchall()
    assert len(rows) == 10
    table = "\n".join(" | ".join(str(value) for value in row) for row in rows)
    dump = raw_database_text()
    for code in codes:
        for spelling in _spellings(code):
            assert spelling not in table
            assert spelling not in dump


def test_the_stored_hash_is_keyed_with_the_pepper(settings, clinician_a):
    code = backup_codes(clinician_a, count=1)[0]
    stored = BackupCode.objects.of(clinician_a).get().code_hash
    expected = hmac.new(
        settings.FORESTALL_PEPPER.encode(),
        b"forestall backup code:" + clinician_a.pk.bytes + b":" + code.encode(),
        hashlib.sha256,
    ).hexdigest()
    assert stored == expected
    settings.FORESTALL_PEPPER = "another pepper, another server"
    assert backup_code_hash(clinician_a.pk, code) != stored


def test_a_hash_copied_onto_another_person_s_codes_opens_nothing(clinician_a, clinician_b):
    factories.totp_device(clinician_b)
    code = backup_codes(clinician_a, count=1)[0]
    backup_codes(clinician_b, count=1)
    BackupCode.objects.filter(device__user=clinician_b).update(
        code_hash=BackupCode.objects.of(clinician_a).get().code_hash
    )
    client, response = _sign_in_with_backup_code(clinician_b, code)
    assert response.status_code == 400
    assert not _signed_in(client)


# --- Signing in with a code ------------------------------------------------------------


def test_a_code_from_the_page_signs_in_once_and_never_again(sign_in, clinician_a):
    codes = _make_new_codes(sign_in(clinician_a))

    client, response = _sign_in_with_backup_code(clinician_a, codes[3])
    assert response.status_code == 302
    assert _signed_in(client)
    assert BackupCode.objects.of(clinician_a).count() == 9
    device = BackupCodeSet.objects.get(user=clinician_a)
    assert client.session["otp_device_id"] == device.persistent_id
    assert device.last_used_at is not None

    again, response = _sign_in_with_backup_code(clinician_a, codes[3])
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not _signed_in(again)
    assert BackupCode.objects.of(clinician_a).count() == 9


def test_a_code_typed_in_capitals_with_a_space_still_signs_in(clinician_a):
    factories.totp_device(clinician_a)
    code = backup_codes(clinician_a, count=1)[0]
    client, response = _sign_in_with_backup_code(clinician_a, f" {code[:4].upper()} {code[4:]} ")
    assert response.status_code == 302
    assert _signed_in(client)


def test_codes_of_an_older_set_stop_working(sign_in, clinician_a):
    client = sign_in(clinician_a)
    old = _make_new_codes(client)
    _make_new_codes(client)
    again, response = _sign_in_with_backup_code(clinician_a, old[0])
    assert response.status_code == 400
    assert not _signed_in(again)


def test_of_two_simultaneous_uses_of_one_code_only_one_succeeds(clinician_a):
    factories.totp_device(clinician_a)
    code = backup_codes(clinician_a, count=2)[0]
    # Both requests loaded the set; the second one runs completely while the
    # first has read the stored hashes but not yet used the code (the race).
    first = BackupCodeSet.objects.get(user=clinician_a)
    second = BackupCodeSet.objects.get(user=clinician_a)
    results: list[tuple[str, bool]] = []
    compare = hmac.compare_digest
    raced = []

    def compare_then_let_the_other_request_in(a, b):
        if not raced:
            raced.append(True)
            results.append(("second", second.verify_token(code)))
        return compare(a, b)

    with mock.patch("forestall.accounts.models.hmac.compare_digest") as patched:
        patched.side_effect = compare_then_let_the_other_request_in
        results.append(("first", first.verify_token(code)))
    assert results == [("second", True), ("first", False)]
    assert BackupCode.objects.of(clinician_a).count() == 1


def test_wrong_codes_are_throttled(clinician_a):
    code = backup_codes(clinician_a, count=1)[0]
    device = BackupCodeSet.objects.get(user=clinician_a)
    assert not device.verify_token("zzzzzzzz")
    # Within the back-off, even a right code is refused (and stays unused).
    assert not BackupCodeSet.objects.get(pk=device.pk).verify_token(code)
    assert BackupCode.objects.of(clinician_a).count() == 1
    assert BackupCodeSet.objects.get(pk=device.pk).throttling_failure_count == 1


@pytest.mark.parametrize(
    "typed",
    ["", " ", "-", "\x00", "ü" * 3000, "' OR 1=1 --", "<script>alert(1)</script>", "%ff%fe"],
)
def test_bad_input_at_the_backup_step_gets_a_400_never_a_500(clinician_a, typed):
    factories.totp_device(clinician_a)
    backup_codes(clinician_a, count=1)
    client, response = _sign_in_with_backup_code(clinician_a, typed)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not _signed_in(client)


def test_a_wrong_code_is_refused_in_german(clinician_a):
    factories.totp_device(clinician_a)
    backup_codes(clinician_a, count=1)
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    post_password(client, clinician_a.username, PASSWORD)
    go_to_backup_step(client)
    response = post_backup_code(client, "abcdefgh")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Dieser Ersatzcode funktioniert nicht" in content
    assert "Geben Sie einen Ihrer Ersatzcodes ein" in content


# --- In German ------------------------------------------------------------------------


def test_the_backup_codes_page_speaks_german(sign_in, clinician_a):
    client = factories.signed_in_client(clinician_a, Client(HTTP_ACCEPT_LANGUAGE="de"))
    client.post(PAGE)
    fresh = client.get(PAGE).content.decode()
    assert "Ihre neuen Ersatzcodes" in fresh
    assert "Nur jetzt werden sie angezeigt" in fresh
    later = client.get(PAGE).content.decode()
    assert "Sie haben 10 unbenutzte Ersatzcodes." in later
    assert "Ersatzcodes werden nur einmal angezeigt" in later
    assert "Neue Codes erzeugen (die alten werden ungültig)" in later
    security = client.get("/staff/two-factor/").content.decode()
    assert "Neue Ersatzcodes erzeugen" in security


# --- Upgrading: clear codes from django-otp ------------------------------------------


def _migration():
    return importlib.import_module(f"forestall.accounts.migrations.{MIGRATION}")


def _historical_apps():
    return MigrationLoader(connection).project_state(("accounts", MIGRATION)).apps


def test_the_migration_hashes_clear_codes_and_deletes_them(clinician_a):
    factories.totp_device(clinician_a)
    clear = StaticDevice.objects.create(
        user=clinician_a, name="backup", confirmed=True, throttling_failure_count=0
    )
    clear.token_set.create(token="abcd2345")
    clear.token_set.create(token="Qrst6777")  # made by other code, in mixed case

    _migration().hash_clear_codes(_historical_apps(), SimpleNamespace(connection=connection))

    assert not StaticToken.objects.exists()
    assert not StaticDevice.objects.exists()
    assert check_no_clear_backup_codes() == []
    stored = set(BackupCode.objects.of(clinician_a).values_list("code_hash", flat=True))
    assert stored == {
        backup_code_hash(clinician_a.pk, "abcd2345"),
        backup_code_hash(clinician_a.pk, "qrst6777"),
    }
    assert "abcd2345" not in database_rows_text()

    # Both codes still work, once each.
    client, response = _sign_in_with_backup_code(clinician_a, "abcd2345")
    assert response.status_code == 302 and _signed_in(client)
    client, response = _sign_in_with_backup_code(clinician_a, "Qrst6777")
    assert response.status_code == 302 and _signed_in(client)
    client, response = _sign_in_with_backup_code(clinician_a, "abcd2345")
    assert response.status_code == 400 and not _signed_in(client)


def test_the_migration_joins_a_second_clear_device_to_the_person_s_one_set(clinician_a):
    for token in ("aaaa2222", "bbbb3333"):
        StaticDevice.objects.create(user=clinician_a, name="backup").token_set.create(token=token)
    _migration().hash_clear_codes(_historical_apps(), SimpleNamespace(connection=connection))
    assert BackupCodeSet.objects.filter(user=clinician_a).count() == 1
    assert BackupCode.objects.of(clinician_a).count() == 2


@pytest.mark.django_db(transaction=True)
def test_migrating_an_installation_keeps_its_clear_codes_working():
    from django.core.management import call_command

    # The account exists before (today's model has columns 0004 does not).
    user = factories.make_user(username="codes.printed.long.ago")
    call_command("migrate", "accounts", "0004", verbosity=0)
    try:
        StaticDevice.objects.create(user=user, name="backup", confirmed=True).token_set.create(
            token="wxyz4567"
        )
    finally:
        call_command("migrate", "accounts", verbosity=0)
    assert not StaticToken.objects.exists()
    assert "wxyz4567" not in raw_database_text()
    factories.totp_device(user)
    client, response = _sign_in_with_backup_code(user, "wxyz4567")
    assert response.status_code == 302 and _signed_in(client)


def test_the_deploy_check_reports_codes_left_in_the_clear_table(clinician_a):
    assert check_no_clear_backup_codes() == []
    StaticDevice.objects.create(user=clinician_a, name="backup").token_set.create(token="abcd2345")
    (error,) = check_no_clear_backup_codes()
    assert error.id == "accounts.E002"
    assert "1 backup code(s) stored in clear" in error.msg
    assert "abcd2345" not in error.msg + error.hint


def test_making_new_codes_removes_clear_codes_left_from_before(sign_in, clinician_a):
    StaticDevice.objects.create(user=clinician_a, name="backup").token_set.create(token="abcd2345")
    _make_new_codes(sign_in(clinician_a))
    assert not StaticToken.objects.exists()
