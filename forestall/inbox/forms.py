"""Forms of the counsellors' inbox: every input is validated here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from forestall.cases.models import Programme
from forestall.directory.models import Centre, Language
from forestall.inbox.models import (
    Concern,
    ConversationStatus,
    ProtectiveActionKind,
    ProtectiveActionState,
    ReplyTemplate,
    RiskIndicator,
    Writer,
)
from forestall.safeguarding.models import Level

REPLY_MAX_LENGTH = 10_000
NOTE_MAX_LENGTH = 5_000


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Unknown values are errors, shown calmly."""

    STATUS_CHOICES = [
        (ConversationStatus.AWAITING_REPLY, _("Awaiting a reply")),
        (ConversationStatus.ANSWERED, _("Answered")),
        ("all", _("All")),
    ]
    CLAIM_CHOICES = [
        ("", _("Anyone's")),
        ("unclaimed", _("Not claimed")),
        ("mine", _("Claimed by me")),
    ]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any language")), *Language.choices], required=False
    )
    addressed_to = forms.ChoiceField(label=_("Addressed to"), required=False)
    claim = forms.ChoiceField(label=_("Claimed"), choices=CLAIM_CHOICES, required=False)

    def __init__(self, *args: Any, centres: list[Centre], network: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Everything I answer"))]
        if network:
            choices.append(("network", _("The network (any centre)")))
        choices += [(str(centre.pk), centre.name) for centre in centres]
        self.fields["addressed_to"].choices = choices


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=REPLY_MAX_LENGTH,
        error_messages={
            "required": _("Write a reply before sending."),
            "max_length": _("A reply can be at most %(limit_value)d characters long."),
        },
    )


class NoteForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The reply form on the same page also has a "body": keep ids unique.
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)

    body = forms.CharField(
        label=_("Internal note (never shown to the person)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": _("Write the note before saving it."),
            "max_length": _("A note can be at most %(limit_value)d characters long."),
        },
    )


class FlagForm(forms.Form):
    urgent = forms.BooleanField(required=False)


class ContactSummaryForm(forms.Form):
    writer = forms.ChoiceField(label=_("Who is writing"), choices=Writer.choices)
    concern = forms.ChoiceField(
        label=_("Concern"), choices=[("", _("Not yet known")), *Concern.choices], required=False
    )
    risk_indicators = forms.MultipleChoiceField(
        label=_("Risk indicators"),
        choices=RiskIndicator.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ProtectiveActionForm(forms.Form):
    action = forms.ChoiceField(label=_("Protective action"), choices=ProtectiveActionKind.choices)
    state = forms.ChoiceField(
        label=_("State"),
        choices=ProtectiveActionState.choices,
        initial=ProtectiveActionState.AGREED,
    )


class ReferralForm(forms.Form):
    centre = forms.ModelChoiceField(
        label=_("Refer to the case work of"),
        queryset=Centre.objects.filter(is_active=True),
        empty_label=_("Choose a centre"),
        error_messages={"required": _("Choose the centre to refer to.")},
    )
    consent = forms.BooleanField(
        label=_("The person has agreed to this referral"),
        error_messages={"required": _("A referral needs the person's consent.")},
    )
    consent_note = forms.CharField(
        label=_("How and when consent was given"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": _("Record how the person gave consent.")},
    )
    programme = forms.ChoiceField(
        label=_("Referred for"),
        choices=Programme.choices,
        # Left empty, the usual programme of the person's front-door pathway.
        required=False,
    )
    share_summary = forms.BooleanField(
        label=_(
            "The person agreed that the contact summary (who is writing, concern, risk "
            "indicators) goes to the centre"
        ),
        required=False,
    )


# What a person writing on each front-door pathway is usually referred for.
PATHWAY_PROGRAMME = {
    "self": Programme.INDIVIDUAL,
    "other": Programme.FAMILY_SUPPORT,
    "professional": Programme.FAMILY_SUPPORT,
}


class ConcernForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    description = forms.CharField(
        label=_("What gives rise to the concern"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={"required": _("Describe the concern.")},
    )


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["language", "title", "body", "is_active"]
        widgets = {
            "language": forms.Select(choices=Language.choices),
            "body": forms.Textarea(attrs={"rows": 10}),
        }
