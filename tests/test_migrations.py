"""Migrations: the models and the migrations agree, and the mailbox's move from
the public app to the inbox app (inbox 0005, cases 0005, selfhelp 0002,
public 0005) touches no table and keeps every row.

A new database is migrated from zero for every test run (the test database is
made by ``migrate``), on SQLite and on PostgreSQL alike; the tests below check
what that cannot: the order of the move, that it writes no SQL, and an
existing database at the state before the move.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The move, in the order a new database applies it.
MOVE = [
    ("inbox", "0005_mailbox_moved_from_public"),
    ("cases", "0005_client_mailbox_in_inbox"),
    ("selfhelp", "0002_workbook_mailbox_in_inbox"),
    ("public", "0005_mailbox_moved_to_inbox"),
]
# Each app's migration just before the move (main before the inbox owned the mailbox).
BEFORE_MOVE = [
    ("inbox", "0004_day_drafts_references_offline_contacts"),
    ("cases", "0004_referral_withdrawn_inbox_summary_family_programme"),
    ("selfhelp", "0001_initial"),
    ("public", "0004_mailbox_through_reach"),
]


def test_every_model_change_has_a_migration(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_new_database_creates_the_mailbox_tables_before_moving_them(db):
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    plan = [
        m.app_label + "." + m.name
        for m, _ in executor.migration_plan(graph.leaf_nodes(), clean_start=True)
    ]
    position = {name: index for index, name in enumerate(plan)}
    created = position["public.0004_mailbox_through_reach"]
    moved = [position[f"{app}.{name}"] for app, name in MOVE]
    assert created < moved[0] < moved[1] and moved[0] < moved[2] < moved[3] and moved[1] < moved[3]


@pytest.mark.parametrize("app, name", MOVE, ids=[f"{app}-{name[:4]}" for app, name in MOVE])
def test_the_move_writes_no_sql(transactional_db, app, name):
    out = StringIO()
    call_command("sqlmigrate", app, name, stdout=out)
    statements = [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line.strip() not in ("BEGIN;", "COMMIT;")
    ]
    assert statements == []


def test_an_existing_database_keeps_its_mailboxes_through_the_move(transactional_db):
    from forestall.cases.models import Client
    from forestall.inbox.models import Conversation, Mailbox, MailboxSession

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_MOVE)
    try:
        old = executor.loader.project_state(BEFORE_MOVE).apps
        assert old.get_model("public", "Mailbox")._meta.db_table == "public_mailbox"
        mailbox = old.get_model("public", "Mailbox").objects.create(
            codename_hash="a" * 64, language="de", last_active_on="2026-11-01", urgent=True
        )
        old.get_model("public", "MailboxSession").objects.create(
            token_hash="b" * 64, mailbox=mailbox
        )
        conversation = old.get_model("inbox", "Conversation").objects.create(
            reference="M-TEST-0001", mailbox=mailbox, language="de"
        )
        client = old.get_model("cases", "Client").objects.create(mailbox=mailbox)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Mailbox.objects.get(pk=mailbox.pk)
    assert (moved.codename_hash, moved.language, moved.urgent) == ("a" * 64, "de", True)
    assert list(moved.conversations.values_list("pk", flat=True)) == [conversation.pk]
    assert Conversation.objects.get(pk=conversation.pk).mailbox == moved
    assert MailboxSession.objects.get(token_hash="b" * 64).mailbox == moved
    assert Client.objects.get(pk=client.pk).mailbox == moved
