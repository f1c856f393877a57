"""Operator commands that touch personal data are in the audit log, naming themselves.

The defect: ``forestall rotate-keys`` decrypted and rewrote every encrypted
value and wrote no audit entry; the entries of a retention purge, a
research export or a role granted on the command line named no actor at
all ("system"). Every command under ``forestall/**/management/commands/``
is now either an ``AuditedCommand`` (its entries name it, e.g. "forestall
rotate-keys", say what it did in counts, and sit in the hash chain) or
listed below with the reason it touches no personal data.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import io
import os
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command, get_commands, load_command_class

from forestall.audit import chain
from forestall.audit.actions import record_event
from forestall.audit.commands import AuditedCommand
from forestall.audit.models import AuditEntry
from forestall.cases.models import Client
from forestall.inbox.models import Conversation, Mailbox, Message
from forestall.reach.models import Partner
from tests import factories

ROOT = Path(__file__).resolve().parent.parent / "forestall"

# Commands that read, change, export or delete no personal data, each with why.
EXEMPT = {
    "codenames": "prints the codename word lists shipped with forestall; no database",
    "instruments": "lists and scores questionnaire definitions and answers typed on the "
    "command line; reads and writes nothing stored",
    "verify-audit": "reads only the audit log's hashes to check the chain; writing to the log "
    "it checks would change what it verifies, and it must also run on a read-only copy",
    "demo": "development mode only: migrates, runs seed-demo and serves",
    "seed-demo": "development mode only: creates invented demo data, no real person's",
}

# Django's and its add-ons' commands that the ``forestall`` command line also
# offers and that read, change, export or delete no personal data. Those that
# do are wrapped in forestall.audit.commandline.
EXEMPT_FROM_DJANGO = {
    "check": "checks the configuration and the code",
    "clearsessions": "deletes expired sign-in sessions, which hold no more than an account id",
    "collectstatic": "copies the static files",
    "compilemessages": "compiles the translation catalogues",
    "createcachetable": "creates an empty cache table",
    "findstatic": "finds a static file",
    "inspectdb": "prints the schema as models",
    "makemessages": "extracts translatable text from the code",
    "makemigrations": "writes migrations from the models",
    "optimizemigration": "rewrites a migration file",
    "runserver": "the development server",
    "sendtestemail": "sends a fixed test e-mail to the address given",
    "showmigrations": "lists migrations",
    "sqlflush": "prints SQL, runs nothing",
    "sqlmigrate": "prints SQL, runs nothing",
    "sqlsequencereset": "prints SQL, runs nothing",
    "squashmigrations": "writes a migration file",
    "startapp": "creates files from a template",
    "startproject": "creates files from a template",
    "test": "runs the tests against a throwaway test database",
    "testserver": "serves a throwaway test database filled from fixtures",
}


def _command_modules() -> dict[str, str]:
    found = {}
    for path in sorted(ROOT.glob("**/management/commands/*.py")):
        if path.name == "__init__.py":
            continue
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        found[path.stem] = module
    return found


def test_the_commands_are_found():
    assert {"rotate-keys", "purge-expired", "export-research", "grant-role"} <= set(
        _command_modules()
    )


def test_every_command_is_audited_or_exempted_with_a_reason():
    unaudited = []
    for name, module in _command_modules().items():
        command = importlib.import_module(module).Command
        audited = issubclass(command, AuditedCommand)
        if audited and name in EXEMPT:
            unaudited.append(f"{name}: audited and exempted at once")
        elif not audited and not EXEMPT.get(name, "").strip():
            unaudited.append(f"{name}: neither an AuditedCommand nor exempted with a reason")
    assert unaudited == []
    assert set(EXEMPT) <= set(_command_modules()), "an exemption names no command"


def test_every_command_the_command_line_offers_django_s_included_is_audited_or_exempted():
    offered = get_commands()
    unaudited = []
    for name, app in sorted(offered.items()):
        command = load_command_class(app, name)
        audited = isinstance(command, AuditedCommand)
        reason = EXEMPT.get(name, "") or EXEMPT_FROM_DJANGO.get(name, "")
        if audited and reason:
            unaudited.append(f"{name} ({app}): audited and exempted at once")
        elif not audited and not reason.strip():
            unaudited.append(f"{name} ({app}): neither an AuditedCommand nor exempted")
    assert unaudited == []
    assert set(EXEMPT_FROM_DJANGO) <= set(offered), "an exemption names no command"


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def _chain_holds() -> bool:
    return chain.verify().ok


# --- Key rotation ------------------------------------------------------------

OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def old_keys(db, settings):
    settings.FORESTALL_KEYS = f"old:{OLD}"
    mailbox = Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2, last_active_on=datetime.date.today()
    )
    conversation = Conversation.objects.create(mailbox=mailbox)
    for number in range(5):
        Message.objects.create(
            conversation=conversation, author_kind="seeker", body=f"secret words {number}"
        )
    Client.objects.create(contact_details={"phone": "0151 12345"})
    settings.FORESTALL_KEYS = f"old:{OLD},new:{NEW}"


def test_a_key_rotation_is_recorded_per_batch_in_counts_naming_the_command(old_keys):
    call_command("rotate-keys", "--batch-size", "2", stdout=io.StringIO(), stderr=io.StringIO())

    entries = _entries("keys.rotate")
    assert {entry.actor_username for entry in entries} == {"forestall rotate-keys"}
    assert all(entry.actor_uuid is None for entry in entries)
    reasons = [entry.reason for entry in entries]
    assert sorted(reasons) == [
        "cases.Client: 1 rows, 1 values re-encrypted under key new",
        "inbox.Message: 1 rows, 1 values re-encrypted under key new",
        "inbox.Message: 2 rows, 2 values re-encrypted under key new",
        "inbox.Message: 2 rows, 2 values re-encrypted under key new",
    ]
    assert not any("secret" in reason or "0151" in reason for reason in reasons)
    assert _chain_holds()


def test_a_dry_run_or_a_second_rotation_records_nothing(old_keys):
    call_command("rotate-keys", "--dry-run", stdout=io.StringIO(), stderr=io.StringIO())
    assert _entries("keys.rotate") == []
    call_command("rotate-keys", stdout=io.StringIO(), stderr=io.StringIO())
    recorded = len(_entries("keys.rotate"))
    call_command("rotate-keys", stdout=io.StringIO(), stderr=io.StringIO())
    assert len(_entries("keys.rotate")) == recorded


# --- Retention purge, research export, roles, partner keys ------------------


def test_a_retention_purge_names_the_command(db, settings):
    settings.FORESTALL_RETENTION_DAYS = {**settings.FORESTALL_RETENTION_DAYS, "mailbox": 30}
    Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2,
        last_active_on=datetime.date.today() - datetime.timedelta(days=100),
    )
    call_command("purge-expired", stdout=io.StringIO(), stderr=io.StringIO())
    assert _entries("retention.purge") == []  # a dry run only counts

    call_command("purge-expired", "--apply", stdout=io.StringIO(), stderr=io.StringIO())

    (entry,) = [e for e in _entries("retention.purge") if e.reason.startswith("mailbox:")]
    assert (entry.actor_username, entry.reason) == ("forestall purge-expired", "mailbox: 1")
    assert _chain_holds()


def test_a_research_export_names_the_command(centre_a, centre_b, tmp_path):
    from tests import research_network

    network = research_network.build(centre_a, centre_b)
    call_command(
        "export-research", "--study", network.study.slug, "--out", str(tmp_path / "out"),
        stdout=io.StringIO(),
    )  # fmt: skip
    (entry,) = _entries("research.export")
    assert entry.actor_username == "forestall export-research"
    assert "cases " in entry.reason


def test_a_role_granted_on_the_command_line_names_the_command(outsider):
    call_command("grant-role", "outsider", "analyst", stdout=io.StringIO())
    (entry,) = _entries("membership.grant")
    assert entry.actor_username == "forestall grant-role"


def test_a_partner_key_made_on_the_command_line_names_the_command(db):
    call_command("reach", "partner-key", "search-engine", stdout=io.StringIO())
    partner = Partner.objects.get(slug="search-engine")
    assert [e.actor_username for e in _entries("reach.partner.create")] == ["forestall reach"]
    (key,) = _entries("reach.key.create")
    assert key.actor_username == "forestall reach"
    assert partner.pk  # the partner exists; the key itself is never in the log
    assert not any(len(e.reason) > 40 for e in _entries("reach.key.create"))


# --- Reminders, statistics backfill, demo sign-in codes -----------------------


def test_reminders_sent_are_recorded_as_a_count(counsellor_a, settings):
    from forestall.inbox.models import Conversation as Thread

    settings.FORESTALL_NOTIFY_BY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    counsellor_a.email = "counsellor_a@example.org"
    counsellor_a.save()
    mailbox = Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2, last_active_on=datetime.date.today()
    )
    thread = Thread.objects.create(mailbox=mailbox, centre=counsellor_a.memberships.get().centre)
    Message.objects.create(conversation=thread, author_kind="seeker", body="help")

    call_command("notify-waiting", stdout=io.StringIO())

    (entry,) = _entries("staff.reminders_sent")
    assert entry.actor_username == "forestall notify-waiting"
    assert entry.reason == f"{len(mail.outbox)} reminders"
    assert "example.org" not in entry.reason


def test_no_reminder_run_is_recorded_when_e_mail_is_off(db):
    call_command("notify-waiting", stdout=io.StringIO())
    assert _entries("staff.reminders_sent") == []


def test_a_statistics_backfill_is_recorded_only_when_it_writes(db):
    call_command("backfill-stats", stdout=io.StringIO())
    assert _entries("statistics.backfill") == []
    call_command("backfill-stats", "--apply", stdout=io.StringIO())
    (entry,) = _entries("statistics.backfill")
    assert entry.actor_username == "forestall backfill-stats"
    assert entry.reason.startswith("before ") and entry.reason.endswith(" events")


def test_a_demo_sign_in_code_shown_is_recorded_on_the_account(db, settings):
    settings.DEBUG = True
    user = factories.make_user(username="demo_counsellor")
    factories.totp_device(user)
    call_command("totp", "demo_counsellor", stdout=io.StringIO())
    (entry,) = _entries("account.read_totp_code")
    assert (entry.actor_username, entry.target_id) == ("forestall totp", user.pk)


# --- Outside a command --------------------------------------------------------


def test_an_entry_without_a_staff_actor_outside_a_command_names_nobody(db):
    record_event(None, "retention.purge", reason="mailbox: 3")
    call_command("backfill-stats", "--apply", stdout=io.StringIO())
    record_event(None, "retention.purge", reason="mailbox: 4")
    assert [e.actor_username for e in _entries("retention.purge")] == ["", ""]


def test_a_command_name_cannot_be_a_staff_username(db):
    from django.core.exceptions import ValidationError

    user = factories.make_user()
    user.username = "forestall rotate-keys"
    with pytest.raises(ValidationError):
        user.full_clean()


class _MailServerDown:
    """An e-mail backend whose server refuses the connection (the network, mocked)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


def test_an_unreachable_mail_server_is_a_one_line_error_and_still_recorded(counsellor_a, settings):
    from django.core.management.base import CommandError

    settings.FORESTALL_NOTIFY_BY_EMAIL = True
    settings.EMAIL_BACKEND = f"{__name__}._MailServerDown"
    counsellor_a.email = "counsellor_a@example.org"
    counsellor_a.save()
    mailbox = Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2, last_active_on=datetime.date.today()
    )
    thread = Conversation.objects.create(
        mailbox=mailbox, centre=counsellor_a.memberships.get().centre
    )
    Message.objects.create(conversation=thread, author_kind="seeker", body="help")

    with pytest.raises(CommandError) as refused:
        call_command("notify-waiting", stdout=io.StringIO())

    assert "the mail server failed after 0 reminder(s) were sent" in str(refused.value)
    assert "ConnectionRefusedError Connection refused" in str(refused.value)
    assert "example.org" not in str(refused.value)
    (entry,) = _entries("staff.reminders_sent")
    assert entry.reason == "0 reminders"
