"""Forms of the research pages: recording consent, asking for an export."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Centre
from forestall.lib.forms import DayField, NamedMultipleChoiceField, model_choice_field
from forestall.research.export import parse_month
from forestall.research.models import Study


class ConsentForm(forms.Form):
    study = forms.ModelChoiceField(label=_("Study"), queryset=Study.objects.none())
    given_on = DayField(label=_("Consent given on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, studies: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "study").queryset = (
            studies if studies is not None else Study.objects.all()
        )

    def clean_given_on(self) -> datetime.date:
        given_on: datetime.date = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError(_("Consent cannot be given in the future."))
        return given_on


class WithdrawForm(forms.Form):
    withdrawn_on = DayField(label=_("Withdrawn on"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_withdrawn_on(self) -> datetime.date:
        withdrawn_on: datetime.date = self.cleaned_data["withdrawn_on"]
        if withdrawn_on > timezone.localdate():
            raise forms.ValidationError(_("A withdrawal cannot be in the future."))
        return withdrawn_on


class _MonthField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=7, required=False, **kwargs)
        self.widget = forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric"})

    def clean(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a month as YYYY-MM, for example 2025-03.")
            ) from None


class ExportForm(forms.Form):
    study = forms.ModelChoiceField(label=_("Study"), queryset=Study.objects.all())
    from_month = _MonthField(label=_("From (month the case opened)"))
    to_month = _MonthField(label=_("To (month the case opened)"))
    centres = NamedMultipleChoiceField(
        label=_("Only these centres"),
        queryset=Centre.objects.order_by("name"),
        required=False,
        help_text=_("None chosen: the whole network."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from_month"), data.get("to_month")
        if start and end and end < start:
            self.add_error("to_month", _("The period ends before it starts."))
        return data
