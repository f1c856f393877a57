"""The mailbox now belongs to the inbox app (inbox 0005): state only.

``Mailbox`` and ``MailboxSession`` leave the public app's migration state
once every foreign key to them points at the inbox app's models (inbox 0005,
cases 0005, selfhelp 0002). Their tables, ``public_mailbox`` and
``public_mailboxsession``, stay where they are with all their rows: the inbox
app's models use them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_client_mailbox_in_inbox"),
        ("inbox", "0005_mailbox_moved_from_public"),
        ("public", "0004_mailbox_through_reach"),
        ("selfhelp", "0002_workbook_mailbox_in_inbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="MailboxSession"),
                migrations.DeleteModel(name="Mailbox"),
            ],
        ),
    ]
