"""Risk-assessment tasks get their kind, and the duplicates of an installed
database are merged: one open risk assessment per case.

Before 0006 a task did not know its kind, and every positive answer to a
questionnaire's self-harm item added another identical task "Risk assessment
today: …" to each open case of the client. Such tasks are recognised here,
once, by their title: the exact text forestall wrote (in English or German,
the languages it has been given in), matched in full, so that a task a
clinician wrote in their own words is never touched. From now on the kind
says it (``cases.actions.ask_for_risk_assessment``).

Of a case's open risk-assessment tasks the earliest is kept: it is due on the
latest due date among them (the day of the latest positive answer), counts
them all (``times_raised``, "3 positive answers since …") and has the time of
the latest (``last_raised_at``); it keeps its assignee, or takes the first one
among the others when it had none. The others are deleted, not marked done:
"done" on a risk assessment says that someone assessed the risk, and nobody
did; struck-through copies would also bury the one task that matters on the
case page. Nothing is lost by deleting them: their titles are the text
forestall generated (no one's free text, which is why only exact matches are
merged), and their number and latest time live on in the kept task. Done
risk-assessment tasks get their kind and are otherwise left as they are.

Not reversible in the data (the deleted copies cannot be brought back, and
are not needed); migrating back only drops the new columns (0006).
"""

import re
from collections import defaultdict

from django.db import migrations

# The titles as forestall wrote them, up to this migration.
_TITLES = [
    "Risk assessment today: %(instrument)s self-harm item answered positively; "
    "raise a safeguarding concern if someone is at risk.",
    "Heute Risikoeinschätzung: %(instrument)s, Frage zur Selbstverletzung positiv "
    "beantwortet; bei Gefährdung ein Kinderschutzanliegen melden.",
]
_PATTERNS = [
    re.compile(re.escape(title).replace(re.escape("%(instrument)s"), ".+"), re.DOTALL)
    for title in _TITLES
]


def is_generated_risk_title(title):
    """Whether ``title`` is the text forestall wrote for a risk-assessment task."""
    return any(pattern.fullmatch(title or "") for pattern in _PATTERNS)


def merge_open_risk_assessment_tasks(apps, schema_editor):
    """Give risk-assessment tasks their kind and merge each case's open ones into one.

    Returns how many duplicate tasks were deleted (for the tests).
    """
    Task = apps.get_model("cases", "Task")
    # Titles are encrypted: read through instances (which decrypt), one chunk at a time.
    candidates = Task.objects.filter(kind="free").only(
        "pk", "case_id", "title", "created_at", "done_at", "due_on", "assignee_id", "times_raised"
    )
    done_ids = []
    open_by_case = defaultdict(list)
    for task in candidates.iterator(chunk_size=500):
        if not is_generated_risk_title(task.title):
            continue
        if task.done_at is None:
            open_by_case[task.case_id].append(task)
        else:
            done_ids.append(task.pk)
    for start in range(0, len(done_ids), 500):
        Task.objects.filter(pk__in=done_ids[start : start + 500]).update(kind="risk_assessment")
    deleted = 0
    for tasks in open_by_case.values():
        tasks.sort(key=lambda task: (task.created_at, str(task.pk)))
        kept, others = tasks[0], tasks[1:]
        # Deleted first: the constraint of 0008 (and of the models, when the
        # tests call this) allows only one open risk assessment per case.
        Task.objects.filter(pk__in=[task.pk for task in others]).delete()
        deleted += len(others)
        due_dates = [task.due_on for task in tasks if task.due_on is not None]
        assignees = [task.assignee_id for task in tasks if task.assignee_id is not None]
        Task.objects.filter(pk=kept.pk).update(
            kind="risk_assessment",
            times_raised=sum(task.times_raised for task in tasks),
            last_raised_at=max(task.created_at for task in others) if others else None,
            due_on=max(due_dates) if due_dates else None,
            assignee_id=kept.assignee_id or (assignees[0] if assignees else None),
        )
    return deleted


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_task_kind_and_times_raised"),
    ]

    operations = [
        migrations.RunPython(merge_open_risk_assessment_tasks, migrations.RunPython.noop),
    ]
