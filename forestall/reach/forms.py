"""Forms of the reach staff pages (every input goes through one)."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
