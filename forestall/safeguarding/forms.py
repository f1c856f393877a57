"""Safeguarding forms. None of them names who approves: that is always the signed-in lead."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from forestall.lib.forms import DayField
from forestall.safeguarding.models import Decision, Level

TEXT_MAX = 10_000


class CaseConcernForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("What happened, what was said (stored encrypted)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class StepNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class OptionalNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class _ProposalAnswer(forms.Form):
    # The proposal the page showed (``Concern.proposal_key``). Optional, so
    # that an answer from no page of forestall's is judged as before; every
    # page that offers an answer sends it.
    proposal = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)


class ApprovalForm(_ProposalAnswer, OptionalNoteForm):
    pass


class RejectionForm(_ProposalAnswer, StepNoteForm):
    pass


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Reasons"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # Set by the confirmation page: the lead has read what the decision will do.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DisclosureMadeForm(forms.Form):
    agency = forms.CharField(
        label=_("Agency the disclosure was made to (stored encrypted)"), max_length=200
    )
    disclosed_on = DayField(
        label=_("Day of the disclosure"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=_("The agency's reference, if they gave one (stored encrypted)"),
        max_length=120,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
