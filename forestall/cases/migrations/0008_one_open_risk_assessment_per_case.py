"""At most one open risk-assessment task per case, kept by the database itself:
two questionnaires recorded at the same moment cannot both add one (0007
merged the duplicates an installed database already had)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_merge_open_risk_assessment_tasks"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="task",
            constraint=models.UniqueConstraint(
                condition=models.Q(("done_at__isnull", True), ("kind", "risk_assessment")),
                fields=("case",),
                name="cases_task_one_open_risk_assessment_per_case",
            ),
        ),
    ]
