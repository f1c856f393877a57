"""Tasks know their kind (a free task, or a risk assessment asked for by a
questionnaire) and how often their reason arose while they were open."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_client_mailbox_in_inbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="kind",
            field=models.CharField(
                choices=[("free", "Task or reminder"), ("risk_assessment", "Risk assessment")],
                default="free",
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="last_raised_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="task",
            name="times_raised",
            field=models.PositiveIntegerField(default=1),
        ),
    ]
