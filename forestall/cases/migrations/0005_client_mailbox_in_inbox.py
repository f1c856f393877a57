"""The client's mailbox is now the inbox app's model (inbox 0005): state only.

The column and its foreign key to ``public_mailbox`` stay as they are.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_referral_withdrawn_inbox_summary_family_programme"),
        ("inbox", "0005_mailbox_moved_from_public"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="client",
                    name="mailbox",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="clients",
                        to="inbox.mailbox",
                    ),
                ),
            ],
        ),
    ]
