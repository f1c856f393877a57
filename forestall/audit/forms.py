"""The audit log search form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from forestall.audit.models import read_actions
from forestall.directory.models import Centre
from forestall.lib.forms import DayField, NamedChoiceField


class AuditSearchForm(forms.Form):
    """Filters for the staff audit page; every field is optional."""

    KIND_CHOICES = [("", _("Reads and changes")), ("read", _("Reads")), ("write", _("Changes"))]

    user = forms.CharField(label=_("User name"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=64,
        required=False,
        help_text=_('An action or its beginning, for example "case." or "case.read".'),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, required=False)
    target = forms.UUIDField(
        label=_("Object id"),
        required=False,
        error_messages={"invalid": _("Enter an object id like 0f8c2e0a-…, as shown in its URL.")},
    )
    centre = NamedChoiceField(label=_("Centre"), queryset=Centre.objects.none(), required=False)
    date_from = DayField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DayField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, centres: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        centre_field = self.fields["centre"]
        assert isinstance(centre_field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        centre_field.queryset = centres
        centre_field.empty_label = _("All centres you may see")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    def apply(self, entries: Any) -> Any:
        """Narrow an already access-scoped queryset by the cleaned filters."""
        data = self.cleaned_data
        if data.get("user"):
            entries = entries.filter(actor_username__iexact=data["user"].strip())
        if data.get("action"):
            entries = entries.filter(action__startswith=data["action"].strip())
        if data.get("kind") == "read":
            entries = entries.filter(read_actions())
        elif data.get("kind") == "write":
            entries = entries.exclude(read_actions())
        if data.get("target"):
            entries = entries.filter(target_id=data["target"])
        if data.get("centre"):
            entries = entries.filter(centre_uuid=data["centre"].pk)
        if data.get("date_from"):
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to"):
            entries = entries.filter(created_at__date__lte=data["date_to"])
        return entries
