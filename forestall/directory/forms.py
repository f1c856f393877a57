"""Forms of the directory: the public finder's filters and the staff profile editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Centre, Channel, Language, Region, Service
from forestall.lib.forms import model_choice_field
from forestall.lib.stale_edits import GuardsStaleEdits

# What the "remote" filter accepts in the query string (checkbox value "1").
_YES = frozenset({"1", "true", "on", "yes"})
_NO = frozenset({"", "0", "false", "off", "no"})


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class FinderForm(forms.Form):
    """The finder's filters: every field optional, every value checked against a vocabulary."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), *Language.choices],
        error_messages={"invalid_choice": _("We do not know that language. Please pick one.")},
    )
    # Choices to tick, not a closed box: the kinds of help are long sentences
    # ("Worried about my own sexual thoughts about children"), which a select
    # cut off at phone width.
    service = forms.ChoiceField(
        label=_("Help for"),
        required=False,
        widget=forms.RadioSelect,
        choices=[("", _("Any kind of help")), *Service.choices],
        error_messages={
            "invalid_choice": _("We do not know that kind of help. Please pick one from the list.")
        },
    )
    region = _RegionChoiceField(
        label=_("Region"),
        required=False,
        queryset=Region.objects.none(),
        to_field_name="slug",
        empty_label=_("Any region"),
        error_messages={"invalid_choice": _("We do not know that region. Please pick one.")},
    )
    remote = forms.BooleanField(
        label=_("Only centres that can help by phone, video or secure messaging"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("service"):
            # No kind of help asked for: "Any kind of help" is the ticked one.
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
            data["service"] = ""
            self.data = data
        model_choice_field(self, "region").queryset = Region.objects.filter(  # type: ignore[attr-defined]
            centres__is_active=True
        ).distinct()

    def clean_remote(self) -> bool:
        raw = str(self.data.get("remote", "")).strip().lower()
        if raw in _YES:
            return True
        if raw in _NO:
            return False
        raise forms.ValidationError(
            _("The remote filter is either on or off."), code="invalid_choice"
        )

    def valid_filters(self) -> dict[str, Any]:
        """The filters that passed validation (after ``is_valid()``), for ``matching()``.

        Invalid ones are left out, so a bad value in one field still shows the
        results for the others, next to the error message.
        """
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "language": cleaned.get("language") or "",
            "service": cleaned.get("service") or "",
            "region": cleaned.get("region"),
            "remote": bool(cleaned.get("remote")),
        }


_PROFILE_FIELDS = [
    "description",
    "description_de",
    "accepts_new_clients",
    "typical_wait_weeks",
    "address",
    "latitude",
    "longitude",
    "opening_hours",
    "public_phone",
    "public_email",
    "public_website",
]


class CentreProfileForm(GuardsStaleEdits, forms.ModelForm):
    """What a centre manager keeps up to date about their own centre."""

    languages = forms.MultipleChoiceField(
        label=_("Languages in which help is offered"),
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    services = forms.MultipleChoiceField(
        label=_("Services offered"),
        choices=Service.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    channels = forms.MultipleChoiceField(
        label=_("Ways of reaching the centre"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    public_website = forms.URLField(
        label=_("Public website"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Centre
        fields = _PROFILE_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_de": forms.Textarea(attrs={"rows": 3, "lang": "de"}),
            "name_de": forms.TextInput(attrs={"lang": "de"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "opening_hours": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.NumberInput(attrs={"step": "0.00001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.00001"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial.setdefault("languages", self.instance.languages)
            self.initial.setdefault("services", self.instance.services)
            self.initial.setdefault("channels", self.instance.channels)

    def offers(self) -> dict[str, list[str]]:
        """The chosen languages, services and channels (after ``is_valid()``)."""
        return {
            "languages": list(self.cleaned_data["languages"]),
            "services": list(self.cleaned_data["services"]),
            "channels": list(self.cleaned_data["channels"]),
        }


class CentreAdminForm(CentreProfileForm):
    """Network admins also name, place, activate and deactivate centres."""

    class Meta(CentreProfileForm.Meta):
        fields = ["name", "name_de", "slug", "region", "is_active", *_PROFILE_FIELDS]
