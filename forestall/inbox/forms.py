"""Forms of the inbox, both sides: the counsellors' queue and conversation pages,
then (at the end) the help-seeker's mailbox: start, confirm, sign in, write.
Every input is validated here."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from forestall.cases.models import Programme
from forestall.directory.models import Centre, Language
from forestall.inbox.models import (
    ANY_CENTRE,
    ContactChannel,
    ConversationStatus,
    FollowUp,
    Mailbox,
    PresentingConcern,
    ProtectiveActionKind,
    ProtectiveActionState,
    ReplyTemplate,
    RiskIndicator,
    Writer,
)
from forestall.lib.codenames import contains_codename, looks_like_codename
from forestall.lib.forms import (
    DayField,
    MomentField,
    NamedChoiceField,
    choice_field,
    model_choice_field,
)
from forestall.lib.pagecache import remember_for_public_pages
from forestall.lib.stale_edits import GuardsStaleEdits
from forestall.public.models import Pathway
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

    def __init__(
        self, *args: Any, centres: list[tuple[Any, str]], network: bool, **kwargs: Any
    ) -> None:
        """``centres``: ``(id, name)`` of the centres whose conversations the reader answers."""
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Everything I answer"))]
        if network:
            choices.append(("network", ANY_CENTRE))
        choices += [(str(pk), name) for pk, name in centres]
        choice_field(self, "addressed_to").choices = choices


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
        model_choice_field(self, "template").queryset = templates


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


class CloseForm(forms.Form):
    # ``Conversation.last_message_key`` as the page showed it; optional, so a
    # close from no page of forestall's is judged as before.
    seen_last_message = forms.CharField(required=False, max_length=64)


class FlagForm(forms.Form):
    urgent = forms.BooleanField(required=False)


class ContactSummaryForm(GuardsStaleEdits, forms.Form):
    """``edited_from`` is the summary's version when the page was opened (``NOT_SAVED_YET``)."""

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
    centre = NamedChoiceField(
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


class ReplyTemplateForm(GuardsStaleEdits, forms.ModelForm):
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
    happened_at = MomentField(
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
    follow_up_on = DayField(
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
            choices.append(("network", ANY_CENTRE))
        choices += [(str(centre.pk), centre.display_name) for centre in centres]
        choice_field(self, "centre").choices = choices
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


# --- the help-seeker's side: the mailbox --------------------------------------

MESSAGE_MAX_LENGTH = 5000
CODENAME_MAX_LENGTH = 400

# A self-check that recommended urgent help hands the mailbox start page a
# signed, short-lived "urgent" token: the flag travels, the answers never do.
# (The value from when this was the public app's: tokens already handed out stay valid.)
_URGENT_SALT = "forestall.public.self-check-urgent"
URGENT_TOKEN_SECONDS = 60 * 60


def urgent_token() -> str:
    """A signed token saying "a self-check just recommended urgent help"."""
    return signing.dumps("urgent", salt=_URGENT_SALT)


def is_urgent_token(value: str) -> bool:
    if not value:
        return False
    try:
        return signing.loads(value, salt=_URGENT_SALT, max_age=URGENT_TOKEN_SECONDS) == "urgent"
    except signing.BadSignature:
        return False


class StartForm(forms.Form):
    pathway = forms.ChoiceField(
        label=_("What brings you here?"),
        choices=Pathway.choices,
        initial=Pathway.SELF,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose what brings you here."),
            "invalid_choice": _("Please choose one of the options."),
        },
    )
    # A signed token, not something the person typed: a damaged or overlong one
    # simply does not count as urgent, it never blocks creating the mailbox.
    urgent = forms.CharField(required=False, widget=forms.HiddenInput)
    centre = forms.SlugField(required=False, widget=forms.HiddenInput, max_length=60)
    # A self-help place (``programme/module``) to come back to after signing in.
    selfhelp = forms.CharField(required=False, widget=forms.HiddenInput, max_length=120)

    def clean_urgent(self) -> str:
        return str(self.cleaned_data.get("urgent", ""))[:300]

    def is_urgent(self) -> bool:
        return is_urgent_token(self.cleaned_data.get("urgent", ""))


def chosen_centre_query(slug: object) -> str:
    """``?centre=<slug>`` for an active centre chosen on its page ("write to this centre")."""
    from urllib.parse import urlencode

    if (
        isinstance(slug, str)
        and slug
        and Centre.objects.answering_messages().filter(slug=slug).exists()
    ):
        return "?" + urlencode({"centre": slug})
    return ""


def selfhelp_place_query(query: str, place: object) -> str:
    """``query`` with ``selfhelp=<place>`` added, for a self-help place that exists."""
    from urllib.parse import urlencode

    from forestall.selfhelp.places import place_url

    if not isinstance(place, str) or not place or not place_url(place):
        return query
    return query + ("&" if query else "?") + urlencode({"selfhelp": place})


class ConfirmForm(forms.Form):
    """ "I have written it down": the codename comes back in a hidden field."""

    codename = forms.CharField(
        widget=forms.HiddenInput,
        max_length=CODENAME_MAX_LENGTH,
        error_messages={
            "required": _("Your codename was lost on the way. Please create your mailbox again."),
            "max_length": _(
                "Your codename was changed on the way. Please create your mailbox again."
            ),
        },
    )
    centre = forms.SlugField(required=False, widget=forms.HiddenInput, max_length=60)
    # A self-help place (``programme/module``) to come back to after signing in.
    selfhelp = forms.CharField(required=False, widget=forms.HiddenInput, max_length=120)
    confirmed = forms.BooleanField(
        label=_("I have written down my codename or stored it somewhere safe."),
        error_messages={
            "required": _(
                "Please confirm that you have written down your codename. "
                "Without it, nobody can open your mailbox, not even us."
            )
        },
    )


class SignInForm(forms.Form):
    codename = forms.CharField(
        label=_("Your codename"),
        help_text=_("The seven words you were given. Capital letters and spaces do not matter."),
        max_length=CODENAME_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={
            "required": _("Please enter your codename."),
            "max_length": _("That is too long for a codename. A codename has seven words."),
        },
    )
    # Set when an urgent self-check sent someone who already has a mailbox.
    urgent = forms.CharField(required=False, widget=forms.HiddenInput, max_length=300)
    # Set when someone chose "write to this centre" on a centre's page.
    centre_choice = forms.SlugField(required=False, widget=forms.HiddenInput, max_length=60)
    # A self-help place (``programme/module``) to come back to after signing in.
    selfhelp = forms.CharField(required=False, widget=forms.HiddenInput, max_length=120)

    def is_urgent(self) -> bool:
        return is_urgent_token(self.cleaned_data.get("urgent", ""))

    def clean_codename(self) -> str:
        from forestall.inbox.actions import find_mailbox

        codename: str = self.cleaned_data["codename"]
        mailbox = find_mailbox(codename) if looks_like_codename(codename) else None
        if mailbox is None:
            raise forms.ValidationError(
                _(
                    "No mailbox opens with this codename. Check each of the seven words "
                    "and try again. If the mailbox was deleted, the codename no longer works."
                ),
                code="unknown",
            )
        self.mailbox = mailbox
        return codename


def _centre_choices() -> list[tuple[str, str]]:
    """The choices of "Who should answer?" in the page's language.

    The same for every help-seeker, so kept like cached public pages (a change
    to a centre drops them with ``public_pages_changed``); a copy, because a
    form may change its own.
    """

    def compute() -> list[tuple[str, str]]:
        choices = [("", str(ANY_CENTRE))]
        choices += [
            (str(centre.pk), centre.display_name)
            for centre in Centre.objects.answering_messages().only("pk", "name", "name_de")
        ]
        return choices

    language = translation.get_language() or "en"
    return list(remember_for_public_pages(f"mailbox-centre-choices:{language}", compute))


def message_limit() -> str:
    """The limit in the words the check and the help text both use."""
    return str(
        _("%(limit)s characters or fewer")
        % {"limit": number_format(MESSAGE_MAX_LENGTH, force_grouping=True)}
    )


class MessageForm(forms.Form):
    # No max_length here and no maxlength in the page: a browser would cut a
    # long paste silently and send the cut version. clean_body refuses it
    # instead, and the page keeps every character.
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=True,
        error_messages={
            "required": _("Please write something before sending. Your message is empty."),
        },
    )
    centre = forms.ChoiceField(
        label=_("Who should answer?"),
        required=False,
        error_messages={"invalid_choice": _("Please choose a centre from the list.")},
    )
    # The person's own word that it cannot wait (the self-check's urgent
    # answer, for someone who writes straight away): the conversation goes
    # first in the queue and the page shows the help reachable right now.
    urgent_now = forms.BooleanField(
        label=_("It cannot wait: a child may be harmed soon, or I might hurt myself."),
        required=False,
    )

    def __init__(self, *args: object, mailbox: Mailbox, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.mailbox = mailbox
        centre_field = self.fields["centre"]
        if isinstance(centre_field, forms.ChoiceField):
            # A callable: worked out when the choices are first read (the
            # select is shown, or a choice is checked), not for every page
            # that only shows a conversation already addressed.
            centre_field.choices = _centre_choices

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if len(body) > MESSAGE_MAX_LENGTH:
            raise forms.ValidationError(
                _(
                    "Your message is too long: it has %(length)s characters. Please keep it to "
                    "%(limit)s, or send it in two parts. All of your text is still below."
                ),
                code="max_length",
                params={
                    "length": number_format(len(body), force_grouping=True),
                    "limit": message_limit(),
                },
            )
        if contains_codename(body, self.mailbox.codename_hash):
            raise forms.ValidationError(
                _(
                    "Your message contains your codename. Please remove it before sending: "
                    "your codename is the key to your mailbox and nobody, not even a "
                    "counsellor, should ever see it."
                ),
                code="codename",
            )
        return body

    def clean_centre(self) -> Centre | None:
        value = self.cleaned_data.get("centre")
        if not value:
            return None
        return Centre.objects.answering_messages().filter(pk=value).first()


class UnsentMessageForm(SignInForm):
    """A message that arrived after the session ended, with the codename to send it.

    ``body`` and ``centre`` are only carried back into the page here; the
    mailbox's ``MessageForm`` checks them once the codename has opened it.
    """

    body = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 8}))
    centre = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    urgent_now = forms.CharField(required=False, max_length=8, widget=forms.HiddenInput)

    def kept(self) -> dict[str, str]:
        """What the person wrote, exactly as it came (for a page that shows it again)."""
        return {
            "body": str(self.data.get("body", "")),
            "centre": str(self.data.get("centre", ""))[:64],
            "urgent_now": "on" if self.data.get("urgent_now") else "",
        }
