"""Filters of the statistics pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

PERIOD_CHOICES = [
    ("12", _("the last 12 months")),
    ("24", _("the last 24 months")),
    ("60", _("the last 5 years")),
    ("120", _("the last 10 years")),
]


class PeriodForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Period"), choices=PERIOD_CHOICES, coerce=int, required=False, empty_value=12
    )

    def months_or_default(self) -> int:
        if self.is_valid():
            return self.cleaned_data["months"] or 12
        return 12
