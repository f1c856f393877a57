"""Forms of the staff account pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the staff pages"),
        choices=[
            ("", _("As my browser asks")),
            ("en", "English"),
            ("de", "Deutsch"),
        ],
        required=False,
    )
