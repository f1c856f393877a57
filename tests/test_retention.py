"""Retention: what is due is erased, exactly, and only counts reach the audit log."""

from __future__ import annotations

import datetime
import io
import re
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from forestall.audit.models import AuditEntry
from forestall.cases.models import Client
from forestall.inbox.models import Conversation, Mailbox, Message
from forestall.lib import retention
from forestall.lib.retention import RetentionPolicy


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _mailbox(last_active_days_ago: int, messages: int = 2) -> Mailbox:
    mailbox = Mailbox.objects.create(
        codename_hash=uuid.uuid4().hex * 2, last_active_on=_days_ago(last_active_days_ago)
    )
    conversation = Conversation.objects.create(mailbox=mailbox)
    for number in range(messages):
        Message.objects.create(conversation=conversation, author_kind="seeker", body=f"m{number}")
    return mailbox


def _purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge-expired", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_cutoff_in_minutes_is_shown_in_local_time_to_the_minute(db, settings):
    # Not "2026-12-01T17:47:30.215374+00:00" beside whole days.
    settings.TIME_ZONE = "Europe/Berlin"
    line = next(x for x in _purge().splitlines() if x.startswith("reply_draft:"))
    assert re.search(r"inactive before \d{4}-\d\d-\d\d \d\d:\d\d CES?T, kept 60 minutes", line)
    mailbox = next(x for x in _purge().splitlines() if x.startswith("mailbox:"))
    assert re.search(r"inactive before \d{4}-\d\d-\d\d, kept 180 days", mailbox)


@pytest.fixture
def mailboxes(db, settings):
    """Around the 180-day boundary: 0, 179 and 180 days quiet are kept; 181 and 400 are due."""
    settings.FORESTALL_RETENTION_DAYS = {**settings.FORESTALL_RETENTION_DAYS, "mailbox": 180}
    return {days: _mailbox(days) for days in (0, 179, 180, 181, 400)}


def test_the_mailbox_policy_is_discovered_from_the_inbox_app():
    names = [policy.name for policy in retention.policies()]
    assert "mailbox" in names
    assert retention.get_policy("mailbox").model == "inbox.Mailbox"


def test_the_period_comes_from_the_settings(settings):
    settings.FORESTALL_RETENTION_DAYS = {"mailbox": 30}
    assert retention.retention_days("mailbox") == 30
    today = datetime.date(2026, 3, 31)
    assert retention.get_policy("mailbox").cutoff(today) == datetime.date(2026, 3, 1)


def test_a_missing_or_silly_period_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FORESTALL_RETENTION_DAYS = {}
    with pytest.raises(ImproperlyConfigured, match="no period for retention policy 'mailbox'"):
        retention.get_policy("mailbox").cutoff()
    settings.FORESTALL_RETENTION_DAYS = {"mailbox": 0}
    with pytest.raises(ImproperlyConfigured, match="at least one day"):
        retention.get_policy("mailbox").cutoff()


def test_a_dry_run_counts_what_is_due_and_erases_nothing(mailboxes):
    out = _purge()
    assert "mailbox: 2 due" in out
    assert "kept 180 days" in out
    assert "Dry run: nothing erased" in out
    assert Mailbox.objects.count() == 5
    assert not AuditEntry.objects.exists()


def test_purge_deletes_exactly_what_is_due_and_nothing_else(mailboxes):
    out = _purge("--apply")
    assert "mailbox: erased 2" in out
    remaining = set(Mailbox.objects.values_list("pk", flat=True))
    assert remaining == {mailboxes[days].pk for days in (0, 179, 180)}
    # The cascade took the conversations and messages of the erased mailboxes only.
    assert Conversation.objects.count() == 3
    assert Message.objects.count() == 6
    assert not Conversation.objects.filter(mailbox_id=mailboxes[181].pk).exists()


def test_the_boundary_day_is_kept_and_goes_the_day_after(mailboxes):
    policy = retention.get_policy("mailbox")
    today = timezone.localdate()
    retention.purge(policy, apply=True, today=today)
    assert Mailbox.objects.filter(pk=mailboxes[180].pk).exists()
    retention.purge(policy, apply=True, today=today + datetime.timedelta(days=1))
    assert not Mailbox.objects.filter(pk=mailboxes[180].pk).exists()
    assert Mailbox.objects.filter(pk=mailboxes[179].pk).exists()


def test_purging_records_only_the_count_in_the_audit_log(mailboxes):
    _purge("--apply")
    entry = AuditEntry.objects.get()
    assert entry.action == "retention.purge"
    assert entry.actor is None
    assert entry.reason == "mailbox: 2"
    assert entry.target_id is None
    assert str(mailboxes[181].pk) not in entry.reason


def test_purging_again_finds_nothing_and_writes_nothing(mailboxes):
    _purge("--apply")
    out = _purge("--apply")
    assert "mailbox: erased 0" in out
    assert AuditEntry.objects.count() == 1
    assert Mailbox.objects.count() == 3


def test_a_client_linked_to_an_erased_mailbox_stays_without_the_link(mailboxes):
    client = Client.objects.create(mailbox=mailboxes[400], contact_details=None)
    _purge("--apply")
    client.refresh_from_db()
    assert client.mailbox_id is None


def test_a_longer_configured_period_keeps_more(mailboxes, settings):
    settings.FORESTALL_RETENTION_DAYS = {**settings.FORESTALL_RETENTION_DAYS, "mailbox": 365}
    assert "mailbox: erased 1" in _purge("--apply")
    assert Mailbox.objects.count() == 4


def test_one_policy_can_be_chosen_and_an_unknown_one_is_refused(mailboxes):
    assert "mailbox: 2 due" in _purge("--policy", "mailbox")
    with pytest.raises(CommandError, match="no retention policy called 'nonsense'"):
        _purge("--policy", "nonsense")


def test_many_due_records_are_erased_in_rounds(db, settings, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    settings.FORESTALL_RETENTION_DAYS = {**settings.FORESTALL_RETENTION_DAYS, "mailbox": 10}
    for _number in range(8):
        _mailbox(11, messages=1)
    _mailbox(2, messages=1)
    result = retention.purge(retention.get_policy("mailbox"), apply=True)
    assert (result.due, result.erased) == (8, 8)
    assert Mailbox.objects.count() == 1
    assert AuditEntry.objects.get().reason == "mailbox: 8"


def test_a_custom_erase_function_keeps_de_identified_remains(db, settings):
    """A policy may keep a row but erase its personal content (as closed cases will)."""
    settings.FORESTALL_RETENTION_DAYS = {**settings.FORESTALL_RETENTION_DAYS, "test-client": 5}
    old = Client.objects.create(contact_details={"phone": "0151"})
    Client.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    recent = Client.objects.create(contact_details={"phone": "0170"})

    def still_identifying(cutoff):
        return Client.objects.filter(created_at__date__lt=cutoff, contact_details__isnull=False)

    def erase_contact_details(queryset) -> int:
        count = 0
        for client in queryset:
            client.contact_details = None
            client.save(update_fields=["contact_details"])
            count += 1
        return count

    policy = RetentionPolicy(
        name="test-client",
        model="cases.Client",
        inactive_since=still_identifying,
        erase=erase_contact_details,
    )
    result = retention.purge(policy, apply=True)
    assert result.erased == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.contact_details is None
    assert recent.contact_details == {"phone": "0170"}
    assert retention.purge(policy, apply=True).erased == 0


def test_a_policy_returning_rows_of_another_model_is_refused(db, settings):
    settings.FORESTALL_RETENTION_DAYS = {"wrong": 5}
    policy = RetentionPolicy(
        name="wrong", model="inbox.Mailbox", inactive_since=lambda cutoff: Client.objects.all()
    )
    with pytest.raises(retention.RetentionError, match=r"returned cases\.Client rows"):
        retention.purge(policy, apply=False)


def test_nothing_is_erased_while_no_recorder_can_account_for_it(mailboxes, monkeypatch):
    # lib/ knows no app: the audit app registers the recorder when it is ready.
    monkeypatch.setattr(retention, "_erasure_recorders", [])
    with pytest.raises(retention.RetentionError, match="no erasure recorder"):
        retention.purge(retention.get_policy("mailbox"), apply=True)
    assert Mailbox.objects.count() == 5
    assert not AuditEntry.objects.exists()


def test_expired_reply_drafts_are_purged_by_their_own_rule(db, counsellor_a):
    from forestall.inbox.models import ReplyDraft

    conversation = Conversation.objects.create(mailbox=_mailbox(0, messages=1))
    now = timezone.now()
    for minutes, owner_conversation in ((-1, conversation), (30, None)):
        ReplyDraft.objects.create(
            conversation=owner_conversation or Conversation.objects.create(mailbox=_mailbox(0)),
            owner=counsellor_a,
            body="half a reply",
            expires_at=now + datetime.timedelta(minutes=minutes),
        )
    assert retention.get_policy("reply_draft").setting == "FORESTALL_REPLY_DRAFT_MINUTES"
    assert "reply_draft: 1 due" in _purge()
    assert "reply_draft: erased 1" in _purge("--apply", "--policy", "reply_draft")
    assert ReplyDraft.objects.get().expires_at > now


def test_the_confidentiality_page_states_the_configured_periods(client, db, settings):
    settings.FORESTALL_RETENTION_DAYS = {
        **settings.FORESTALL_RETENTION_DAYS,
        "case": 5 * 365,
        "concern": 2 * 365,
    }
    html = client.get("/confidentiality/").content.decode()
    assert "The centre keeps it for 5 years after your case is closed" in html
    assert "is kept for 2 years and then deleted" in html
    german = client.get("/de/confidentiality/").content.decode()
    assert "5 Jahre" in german
