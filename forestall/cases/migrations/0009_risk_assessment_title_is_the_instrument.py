"""A risk-assessment task's title keeps only the instrument's name.

Until now the whole sentence ("Risk assessment today: PHQ-9 self-harm item
answered positively; …") was stored, translated once into the language of
whoever recorded the answers: often a help-seeker answering in their
mailbox, so a German clinician could find an English task on a German case.
From now on the sentence is translated for each reader
(``cases.Task.display_title``) and ``title`` holds only the instrument.

Risk-assessment tasks (``kind``, set by 0007 for exactly these sentences and
by ``ask_for_risk_assessment`` since) are rewritten here; the instrument is
the part of the sentence between the fixed words, in either language. A
title that is not one of the sentences is left as it is. Not reversible in
the data: migrating back leaves the instrument's name as the title.
"""

import re

from django.db import migrations

# The sentences as forestall wrote them (0007 recognised exactly these).
_TITLES = [
    "Risk assessment today: %(instrument)s self-harm item answered positively; "
    "raise a safeguarding concern if someone is at risk.",
    "Heute Risikoeinschätzung: %(instrument)s, Frage zur Selbstverletzung positiv "
    "beantwortet; bei Gefährdung ein Kinderschutzanliegen melden.",
]
_PATTERNS = [
    re.compile(re.escape(title).replace(re.escape("%(instrument)s"), "(.+)"), re.DOTALL)
    for title in _TITLES
]


def instrument_of(title):
    """The instrument's name in a generated risk-assessment sentence, else None."""
    for pattern in _PATTERNS:
        found = pattern.fullmatch(title or "")
        if found:
            return found.group(1)
    return None


def keep_only_the_instrument(apps, schema_editor):
    """Rewrite each risk-assessment task's title to its instrument's name; returns how many."""
    Task = apps.get_model("cases", "Task")
    changed = 0
    # Titles are encrypted: read and written through instances.
    for task in Task.objects.filter(kind="risk_assessment").only("pk", "title").iterator(
        chunk_size=500
    ):
        instrument = instrument_of(task.title)
        if instrument is not None:
            task.title = instrument
            task.save(update_fields=["title"])
            changed += 1
    return changed


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_one_open_risk_assessment_per_case"),
    ]

    operations = [
        migrations.RunPython(keep_only_the_instrument, migrations.RunPython.noop),
    ]
