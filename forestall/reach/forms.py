"""Forms of the reach staff pages (every input goes through one)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from forestall.lib.forms import DayField, check_day_range
from forestall.lib.stale_edits import GuardsStaleEdits
from forestall.reach.models import Partner, Variant, VariantText

_LANGUAGE_LIST = re.compile(r"^\s*([a-z]{2,3}\s*(,\s*[a-z]{2,3}\s*)*)?$")


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "slug", "kind", "languages", "contact"]
        widgets = {"contact": forms.TextInput()}

    def clean_contact(self) -> str:
        contact = self.cleaned_data["contact"]
        if len(contact) > 300:
            raise forms.ValidationError(_("At most 300 characters."))
        return str(contact)

    def clean_languages(self) -> str:
        value = self.cleaned_data["languages"].lower()
        if not _LANGUAGE_LIST.match(value):
            raise forms.ValidationError(_("Language codes such as 'en, de', separated by commas."))
        return ", ".join(code.strip() for code in value.split(",") if code.strip())


class KeyForm(forms.Form):
    name = forms.CharField(label=_("What the key is for"), max_length=100, required=False)


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = ["slug", "kind", "weight", "active"]


class VariantSettingsForm(GuardsStaleEdits, forms.ModelForm):
    class Meta:
        model = Variant
        fields = ["kind", "weight", "active"]


class VariantTextForm(GuardsStaleEdits, forms.ModelForm):
    """The four elements, each required: a message without one of them is not published.

    ``edited_from`` is the number of the newest version when the page was opened.
    """

    TEXT_FIELDS = ("title", "crime", "harm", "consequences", "help")

    def texts(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.TEXT_FIELDS}

    class Meta:
        model = VariantText
        fields = ["title", "crime", "harm", "consequences", "help"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("crime", "harm", "consequences", "help")
        }


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


# The periods the results page offers, in days; the last 90 days unless chosen.
RESULTS_PERIODS = [
    ("30", _("the last 30 days")),
    ("90", _("the last 90 days")),
    ("365", _("the last 365 days")),
]
DEFAULT_RESULTS_DAYS = 90
# The longest period from one day to another, about ten years: at most
# 3,660 days from the first to the last, both counted.
LONGEST_RESULTS_PERIOD = datetime.timedelta(days=3659)


class ResultsPeriodForm(forms.Form):
    """The period of the reach results: the last N days, or from one day to another."""

    # django-stubs types empty_value as str; with coerce=int it is an int.
    days = forms.TypedChoiceField(  # type: ignore[misc]
        label=_("Period"),
        choices=RESULTS_PERIODS,
        coerce=int,
        required=False,
        empty_value=DEFAULT_RESULTS_DAYS,  # type: ignore[arg-type]
        initial=DEFAULT_RESULTS_DAYS,
    )
    start = DayField(
        label=_("or from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = DayField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_day_range(self, data, longest=LONGEST_RESULTS_PERIOD)
        return data

    def period(self, today: datetime.date) -> tuple[datetime.date, datetime.date]:
        """The first and last day chosen; the default (the last 90 days) if the choice is bad."""
        days = DEFAULT_RESULTS_DAYS
        if self.is_valid():
            if self.cleaned_data.get("start") and self.cleaned_data.get("end"):
                return self.cleaned_data["start"], self.cleaned_data["end"]
            days = self.cleaned_data["days"] or DEFAULT_RESULTS_DAYS
        return today - datetime.timedelta(days=days - 1), today
