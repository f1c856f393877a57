"""A time typed in the hour the clocks skip or pass twice is taken, not refused.

The defect (found by running the suite from the night of a clock change,
``make test-clocks``): Django's date-time field refused every wall-clock time
from 02:00 to 02:59 on the two nights a year Berlin changes its clocks ("…
couldn't be interpreted in time zone Europe/Berlin; it may be ambiguous or it
may not exist"), so a counsellor on the night shift could not log a call
made at 02:30, and nobody could book that hour. ``MomentField`` reads such a
time as PEP 495's first reading (fold 0): in the skipped hour as if the
clocks had not changed yet, in the repeated hour as its first occurrence.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from forestall.inbox.models import OfflineContact
from forestall.lib.forms import MomentField
from tests.test_offline_contacts import _form

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("typed", "instant"),
    [
        # Spring: 02:00 CET jumps to 03:00 CEST, so 02:30 was never shown.
        ("2027-03-28T02:30", datetime.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        # Autumn: 03:00 CEST goes back to 02:00 CET, so 02:30 was shown twice.
        ("2027-10-31T02:30", datetime.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
        # Either side, as always.
        ("2027-03-28T01:59", datetime.datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
        ("2027-10-31T03:00", datetime.datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
    ],
)
def test_a_time_in_an_hour_the_clocks_skip_or_repeat_is_read_not_refused(typed, instant):
    field = MomentField(input_formats=["%Y-%m-%dT%H:%M"])
    with timezone.override("Europe/Berlin"):
        assert field.clean(typed) == instant


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_call_at_half_past_two_on_the_night_the_clocks_change_can_be_logged(
    counsellor_a, centre_a, sign_in, language
):
    client = sign_in(counsellor_a)
    with translation.override(language):
        response = client.post(
            reverse("inbox:contact_new"),
            _form(centre_a, happened_at="2026-10-25T02:30"),
            headers={"accept-language": language},
        )
    assert response.status_code == 302, response.content.decode()
    assert OfflineContact.objects.get().happened_at == datetime.datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_a_time_that_cannot_be_made_a_moment_is_still_a_clear_refusal():
    field = MomentField(input_formats=["%Y-%m-%dT%H:%M"])
    with timezone.override("Europe/Berlin"), pytest.raises(Exception) as refused:
        field.clean("0001-01-01T00:30")
    assert "1900" in str(refused.value)
