# A conversation can be deleted with its mailbox (retention, or by its owner);
# the concern raised from it stays with the safeguarding leads.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("safeguarding", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="concern",
            name="concern_from_a_case_or_a_conversation",
        ),
    ]
