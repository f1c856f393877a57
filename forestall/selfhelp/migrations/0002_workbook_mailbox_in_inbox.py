"""The workbook's mailbox is now the inbox app's model (inbox 0005): state only.

The column and its foreign key to ``public_mailbox`` stay as they are.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0005_mailbox_moved_from_public"),
        ("selfhelp", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="workbook",
                    name="mailbox",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="workbook",
                        to="inbox.mailbox",
                    ),
                ),
            ],
        ),
    ]
