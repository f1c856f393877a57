"""The two discharge questionnaires that finish a course, recorded at the same moment.

A course (a PHQ-9 and a GAD-7 at discharge, with earlier measurements of
both) is counted in the outcome statistics by whichever discharge measure
completes the pair, so each looks for the other. Recorded at the same moment
(two clinicians, two tabs), neither would see the other and the course would
never be counted. It is safe, and this test keeps it so: the audit entry is
written first (``record_event`` takes the audit chain's head row until
commit), so the second waits there for the first to commit and then sees
its questionnaire. Moving the count before the audit entry would break it.
"""

from __future__ import annotations

import pytest

from forestall.instruments import actions
from forestall.instruments.models import Administration
from forestall.stats.models import DailyCount
from tests.concurrency import at_the_same_moment
from tests.factories_cases import make_case


def _items(total: int, items: int) -> list[int]:
    values = []
    for _ in range(items):
        step = min(3, total)
        values.append(step)
        total -= step
    return values


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_two_discharge_measures_recorded_at_once_count_the_course_once(
    centre_a, clinician_a, manager_a
):
    client = make_case(centre_a).client
    for instrument, items in (("phq9", 9), ("gad7", 7)):
        actions.record_administration(
            client,
            instrument,
            _items(15, items),
            occasion="intake",
            by=clinician_a,
            centre=centre_a,
        )

    def discharge(instrument, items, by):
        return lambda: actions.record_administration(
            client, instrument, _items(3, items), occasion="discharge", by=by, centre=centre_a
        )

    results = at_the_same_moment(discharge("phq9", 9, clinician_a), discharge("gad7", 7, manager_a))

    assert [type(result) for result in results] == [Administration, Administration], results
    finished = DailyCount.objects.filter(event="course_finished")
    assert sum(finished.values_list("count", flat=True)) == 1
