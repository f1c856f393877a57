"""Forms of the counsellors' inbox: every input is validated here."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forestall.cases.models import Programme
from forestall.directory.models import Centre, Language
from forestall.inbox.models import (
    ContactChannel,
    ConversationStatus,
    FollowUp,
    PresentingConcern,
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
        (ConversationStatus.CLOSED, _("Closed")),
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
    # The contacts of one person (the reference they were given on the phone).
    person = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)

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


class DraftForm(forms.Form):
    """The unsent reply that rides along with every form of the conversation page.

    Longer than a reply may be, so that nothing typed is cut off on the way
    (the reply form says so when it is sent).
    """

    body = forms.CharField(required=False, max_length=2 * REPLY_MAX_LENGTH, strip=False)


class DraftTokenForm(forms.Form):
    """``?draft=`` after a sign-in: the token of a reply kept through it."""

    draft = forms.CharField(max_length=64, min_length=20)


class TemplateInsertForm(DraftForm):
    template = forms.ModelChoiceField(
        queryset=ReplyTemplate.objects.none(),
        error_messages={"invalid_choice": _("That template is not available.")},
    )

    def __init__(self, *args: Any, templates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates


class KeepDraftForm(DraftForm):
    """ "Keep my draft", or keep it and go on to the referral or concern page."""

    then = forms.ChoiceField(
        required=False, choices=[("", ""), ("refer", "refer"), ("concern", "concern")]
    )


class ReferenceSearchForm(forms.Form):
    reference = forms.CharField(label=_("Find by reference"), max_length=20, required=False)


class ConversationNoteForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The reply on the same page (the same HTML form) is "body": the note
        # is "note-body".
        kwargs.setdefault("prefix", "note")
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
        label=_("Concern"),
        choices=[("", _("Not yet known")), *PresentingConcern.choices],
        required=False,
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


class ReferToCaseWorkForm(forms.Form):
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


class ConversationConcernForm(forms.Form):
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


class OfflineContactForm(forms.Form):
    """A contact that did not come through the mailbox; anonymous unless the person asks."""

    centre = forms.ChoiceField(label=_("Recorded for"))
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    happened_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Enter the date and time, for example 2026-05-04 14:30.")},
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration in minutes"), min_value=1, max_value=600
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    writer = forms.ChoiceField(label=_("Who was contacting"), choices=Writer.choices)
    concern = forms.ChoiceField(
        label=_("Concern"),
        choices=[("", _("Not yet known")), *PresentingConcern.choices],
        required=False,
    )
    risk_indicators = forms.MultipleChoiceField(
        label=_("Risk indicators"),
        choices=RiskIndicator.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    protective_actions = forms.MultipleChoiceField(
        label=_("Protective actions agreed"),
        choices=ProtectiveActionKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    follow_up = forms.ChoiceField(
        label=_("Follow-up planned"), choices=FollowUp.choices, initial=FollowUp.NONE
    )
    follow_up_on = forms.DateField(
        label=_("Follow-up on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    person_reference = forms.CharField(
        label=_("The person's reference from an earlier contact (optional)"),
        max_length=20,
        required=False,
    )
    contact_details = forms.CharField(
        label=_("Name or contact details: only if the person asked to be called back"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        required=False,
    )
    note = forms.CharField(
        label=_("Internal note (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_MAX_LENGTH,
        required=False,
    )

    def __init__(self, *args: Any, centres: list[Centre], network: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = []
        if network:
            choices.append(("network", _("The network (no centre)")))
        choices += [(str(centre.pk), centre.name) for centre in centres]
        self.fields["centre"].choices = choices
        self.centres = {str(centre.pk): centre for centre in centres}

    def clean_person_reference(self) -> str:
        from forestall.inbox.models import normalise_reference

        text = self.cleaned_data["person_reference"].strip()
        return normalise_reference(text) if text else ""

    def clean_happened_at(self) -> Any:
        value = self.cleaned_data["happened_at"]
        if value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("A contact that is logged has already happened."))
        return value

    def chosen_centre(self) -> Centre | None:
        return self.centres.get(self.cleaned_data["centre"])
