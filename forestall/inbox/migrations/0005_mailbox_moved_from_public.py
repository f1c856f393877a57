"""The mailbox moves from the public app to the inbox app, without touching data.

``Mailbox`` and ``MailboxSession`` become the inbox app's models in Django's
migration state only: their tables keep the names the public app gave them
(``public_mailbox``, ``public_mailboxsession``, with their indexes and
constraints), so nothing in the database changes. Every foreign key to the
mailbox is repointed the same way, state only: the conversation's here,
the client's in cases 0005 and the workbook's in selfhelp 0002; public 0005
then removes the old models from the public app's state.

The content types of the two models are relabelled from ``public`` to
``inbox`` (so their permissions follow); on a new database there are none yet.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("mailbox", "mailboxsession")


def _relabel(apps, from_label: str, to_label: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label=to_label, model=model).exists():
            content_type.objects.filter(app_label=from_label, model=model).update(
                app_label=to_label
            )


def to_inbox(apps, schema_editor) -> None:
    _relabel(apps, "public", "inbox")


def to_public(apps, schema_editor) -> None:
    _relabel(apps, "inbox", "public")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inbox", "0004_day_drafts_references_offline_contacts"),
        ("public", "0004_mailbox_through_reach"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Mailbox",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("codename_hash", models.CharField(max_length=64, unique=True)),
                        ("language", models.CharField(default="en", max_length=8)),
                        (
                            "pathway",
                            models.CharField(
                                choices=[
                                    ("self", "Worried about my own sexual thoughts or behaviour"),
                                    ("other", "Worried about someone else"),
                                    ("professional", "A professional"),
                                ],
                                default="self",
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_active_on", models.DateField()),
                        ("urgent", models.BooleanField(default=False)),
                        ("through_reach", models.BooleanField(default=False)),
                    ],
                    options={
                        "verbose_name_plural": "mailboxes",
                        "db_table": "public_mailbox",
                    },
                ),
                migrations.CreateModel(
                    name="MailboxSession",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "mailbox",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sessions",
                                to="inbox.mailbox",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "public_mailboxsession",
                    },
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="mailbox",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conversations",
                        to="inbox.mailbox",
                    ),
                ),
            ],
        ),
        migrations.RunPython(to_inbox, to_public),
    ]
