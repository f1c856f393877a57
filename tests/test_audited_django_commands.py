"""Django's own commands that touch personal data are in the audit log, naming themselves.

The defect: ``forestall dumpdata`` wrote every message, note and contact
detail out in clear text (the serialiser reads the decrypted values), and
``forestall shell``, ``changepassword`` or ``two_factor_disable`` left no
trace: only forestall's own commands were audited. Each of them is now
wrapped (``forestall.audit.commandline``) and names itself as the actor of
its entry, in the hash chain, saying what it did in counts or labels and
never anything about a person.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice

from forestall.audit import chain
from forestall.audit.commandline.management.commands import changepassword, flush
from forestall.audit.models import AuditEntry
from forestall.directory.models import Centre
from forestall.inbox.models import Conversation, Mailbox, Message
from tests import factories


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def a_message(db):
    mailbox = Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2, last_active_on=timezone.localdate()
    )
    conversation = Conversation.objects.create(mailbox=mailbox)
    return Message.objects.create(
        conversation=conversation, author_kind="seeker", body="words nobody else may read"
    )


def test_a_dump_is_recorded_before_it_writes_anything_naming_what_was_asked_for(a_message):
    out = io.StringIO()
    call_command("dumpdata", "inbox", exclude=["inbox.Mailbox"], stdout=out)

    assert "words nobody else may read" in out.getvalue()  # why it must be recorded
    [entry] = _entries("data.dump")
    assert entry.actor_username == "forestall dumpdata"
    assert entry.actor_uuid is None
    assert entry.reason == ("inbox (excluding inbox.Mailbox), encrypted fields in clear text")
    assert chain.verify().ok


def test_a_dump_of_everything_says_so(db):
    call_command("dumpdata", stdout=io.StringIO())
    assert [entry.reason for entry in _entries("data.dump")] == [
        "every app (excluding nothing), encrypted fields in clear text"
    ]


def test_a_dump_is_recorded_as_asked_for_even_when_it_then_fails(db):
    with pytest.raises(CommandError):
        call_command("dumpdata", "no_such_app", stdout=io.StringIO())
    assert [entry.reason for entry in _entries("data.dump")] == [
        "no_such_app (excluding nothing), encrypted fields in clear text"
    ]


def test_a_load_is_recorded_in_counts_after_it_committed(db, tmp_path):
    factories.make_centre("Centre to load")
    fixture = tmp_path / "centres.json"
    call_command("dumpdata", "directory.Centre", output=str(fixture), stdout=io.StringIO())
    Centre.objects.all().delete()

    call_command("loaddata", str(fixture), stdout=io.StringIO())

    [entry] = _entries("data.load")
    assert entry.actor_username == "forestall loaddata"
    assert entry.reason == "1 of 1 objects from 1 fixtures"
    assert json.loads(fixture.read_text())[0]["fields"]["name"] == "Centre to load"


def test_a_python_shell_is_recorded_as_it_opens(db):
    call_command("shell", command="pass", stdout=io.StringIO())

    [entry] = _entries("operator.shell")
    assert entry.actor_username == "forestall shell"
    assert entry.reason == (
        "a command run through the Python shell: what it reads or changes is not "
        "recorded one by one"
    )


def test_a_database_shell_is_recorded_as_it_opens(db):
    # The database's own client, told to print its version and leave.
    arguments = ["--", "-version"] if connection.vendor == "sqlite" else ["--", "--version"]
    # A missing client program is a CommandError: the entry was written before.
    with contextlib.suppress(CommandError):
        call_command("dbshell", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    [entry] = _entries("operator.dbshell")
    assert entry.actor_username == "forestall dbshell"


# A real flush: PostgreSQL empties tables only outside a test's transaction,
# and the command line closes the connections when it is done.
@pytest.mark.django_db(transaction=True)
def test_a_flush_on_the_command_line_begins_the_audit_log_again_with_its_entry(db, a_message):
    factories.make_user(username="someone")  # something in the log before
    command = flush.Command(stdout=io.StringIO())

    command.run_from_argv(["forestall", "flush", "--no-input"])

    assert not Message.objects.exists()
    assert [(entry.action, entry.actor_username) for entry in AuditEntry.objects.all()] == [
        ("data.flush", "forestall flush")
    ]
    # An emptied log is what verify-audit exists to report, even one emptied this way.
    result = chain.verify()
    assert not result.ok
    assert result.first_break is not None
    assert "not authenticated" in result.first_break.detail


# A real flush: PostgreSQL empties tables only outside a test's transaction,
# and the command line closes the connections when it is done.
@pytest.mark.django_db(transaction=True)
def test_a_cancelled_flush_empties_nothing_and_records_nothing(db, a_message, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "no")
    command = flush.Command(stdout=io.StringIO())

    command.run_from_argv(["forestall", "flush"])

    assert Message.objects.exists()
    assert _entries("data.flush") == []


# A real flush: PostgreSQL empties tables only outside a test's transaction,
# and the command line closes the connections when it is done.
@pytest.mark.django_db(transaction=True)
def test_the_test_framework_s_flush_leaves_no_entry_behind(db, a_message):
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()


def test_a_password_changed_on_the_command_line_is_recorded_on_the_account(db):
    user = factories.make_user(username="forgetful")
    command = changepassword.Command(stdout=io.StringIO())
    command._get_pass = lambda prompt="": "a long and new passphrase 4711"  # type: ignore[method-assign]

    call_command(command, "forgetful")

    user.refresh_from_db()
    assert user.check_password("a long and new passphrase 4711")
    [entry] = _entries("account.password_change")
    assert (entry.actor_username, entry.target_id, entry.reason) == (
        "forestall changepassword",
        user.pk,
        "on the command line",
    )


def test_a_superuser_created_on_the_command_line_is_recorded_on_the_account(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long and new passphrase 4711")
    call_command(
        "createsuperuser",
        interactive=False,
        username="root_on_call",
        email="",
        stdout=io.StringIO(),
    )
    [entry] = _entries("account.create")
    assert entry.actor_username == "forestall createsuperuser"
    assert entry.reason == "a superuser account created on the command line"
    from forestall.accounts.models import User

    assert entry.target_id == User.objects.get(username="root_on_call").pk


def test_a_one_time_code_added_on_the_command_line_is_recorded_on_the_account(db):
    user = factories.make_user(username="locked_out")
    call_command("addstatictoken", "locked_out", stdout=io.StringIO())

    assert StaticDevice.objects.filter(user=user).exists()
    [entry] = _entries("account.two_factor.static_token")
    assert (entry.actor_username, entry.target_id) == ("forestall addstatictoken", user.pk)


def test_a_second_factor_removed_on_the_command_line_is_recorded_on_each_account(db):
    first = factories.make_user(username="first")
    second = factories.make_user(username="second")
    factories.totp_device(first)
    factories.totp_device(second)

    with pytest.raises(CommandError, match="nobody_by_this_name"):
        call_command("two_factor_disable", "first", "nobody_by_this_name", "second")

    entries = _entries("account.two_factor.reset")
    assert [(entry.actor_username, entry.target_id) for entry in entries] == [
        ("forestall two_factor_disable", first.pk)
    ]


def test_reading_whether_accounts_have_a_second_factor_is_recorded(db):
    user = factories.make_user(username="curious")
    call_command("two_factor_status", "curious", stdout=io.StringIO())

    [entry] = _entries("account.read_two_factor_status")
    assert (entry.actor_username, entry.target_id) == ("forestall two_factor_status", user.pk)


def test_removing_stale_content_types_is_recorded(db):
    call_command("remove_stale_contenttypes", interactive=False, stdout=io.StringIO())
    [entry] = _entries("data.remove_stale_contenttypes")
    assert entry.actor_username == "forestall remove_stale_contenttypes"


@pytest.mark.django_db(transaction=True)
def test_migrating_backwards_is_recorded_before_anything_is_dropped():
    """``forestall migrate inbox zero`` dropped every mailbox, message and case, unrecorded.

    Unapplying the latest inbox migration drops the reply drafts' kept
    entries (what a counsellor chose and typed); forward again afterwards,
    so the test database stays whole.
    """
    try:
        call_command("migrate", "inbox", "0006", verbosity=0)
        [entry] = _entries("data.migrate_backwards")
        assert entry.actor_username == "forestall migrate"
        assert entry.reason.startswith("migrations unapplied (to inbox 0006, from inbox.0007")
    finally:
        call_command("migrate", "inbox", verbosity=0)
    # Forward again, and a fake or a plan: nothing more recorded.
    call_command("migrate", "inbox", "0006", fake=True, verbosity=0)
    call_command("migrate", "inbox", fake=True, verbosity=0)
    call_command("migrate", "inbox", "0006", plan=True, stdout=io.StringIO())
    assert len(_entries("data.migrate_backwards")) == 1


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "a command run through the Python shell: what it reads or changes"),
        ("de", "ein Befehl über die Python-Shell ausgeführt: Was damit gelesen"),
    ],
)
def test_the_audit_log_shows_a_command_s_reason_in_the_reader_s_language(
    sign_in, network_admin, language, said
):
    """The wrappers' reasons were stored and shown in English to every reader,
    while grant-role's was shown in German to a German one."""
    call_command("shell", command="pass", stdout=io.StringIO())
    page = sign_in(network_admin).get(
        "/staff/audit/?action=operator.shell", HTTP_ACCEPT_LANGUAGE=language
    )
    assert said in page.content.decode()


def test_every_reason_a_wrapper_records_is_declared_and_translated():
    """Declared where the web process imports it, and in the German catalogue."""
    from django.utils import translation

    from forestall.audit.commandline import reasons
    from forestall.lib.recorded_texts import shown

    texts = [value for name, value in vars(reasons).items() if name.isupper()]
    assert len(texts) == 10
    with translation.override("de"):
        untranslated = [text for text in texts if shown(text) == text]
    assert untranslated == []


def test_printing_the_settings_with_every_key_is_recorded(db, settings):
    """``forestall diffsettings`` printed the encryption keys, the audit log's
    key and the pepper, and nothing recorded it."""
    out = io.StringIO()
    call_command("diffsettings", stdout=out)
    assert settings.FORESTALL_KEYS in out.getvalue()  # why it must be recorded
    [entry] = _entries("operator.diffsettings")
    assert entry.actor_username == "forestall diffsettings"
    assert entry.reason == "the configuration printed, with the keys that open the encrypted data"
    assert chain.verify().ok
