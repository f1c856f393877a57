"""Filters of the statistics pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from forestall.lib.forms import DayField, check_day_range

PERIOD_CHOICES = [
    ("12", _("the last 12 months")),
    ("24", _("the last 24 months")),
    ("60", _("the last 5 years")),
    ("120", _("the last 10 years")),
]
# The longest custom period (the longest of the fixed choices).
LONGEST_PERIOD = datetime.timedelta(days=3653)


class PeriodForm(forms.Form):
    # django-stubs types empty_value as str; with coerce=int it is an int.
    months = forms.TypedChoiceField(  # type: ignore[misc]
        label=_("Period"),
        choices=PERIOD_CHOICES,
        coerce=int,
        required=False,
        empty_value=12,  # type: ignore[arg-type]
    )
    # Days before 1900 or after 2999 are refused with the field's message.
    start = DayField(
        label=_("or from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = DayField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_day_range(self, data, longest=LONGEST_PERIOD)
        return data

    def months_or_default(self) -> int:
        if self.is_valid():
            return self.cleaned_data["months"] or 12
        return 12

    def custom_range(self) -> tuple[datetime.date, datetime.date] | None:
        """The custom first and last day, if valid ones were given."""
        if self.is_valid() and self.cleaned_data.get("start") and self.cleaned_data.get("end"):
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return None
