"""Forms of the front door: start, confirm, sign in, write, and content editing."""

from __future__ import annotations

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Centre
from forestall.lib.codenames import contains_codename, looks_like_codename
from forestall.public.models import Mailbox, Pathway

MESSAGE_MAX_LENGTH = 5000
CODENAME_MAX_LENGTH = 400

# A self-check that recommended urgent help hands the mailbox start page a
# signed, short-lived "urgent" token: the flag travels, the answers never do.
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
    urgent = forms.CharField(required=False, widget=forms.HiddenInput, max_length=300)

    def is_urgent(self) -> bool:
        return is_urgent_token(self.cleaned_data.get("urgent", ""))


class ConfirmForm(forms.Form):
    """ "I have written it down": the codename comes back in a hidden field."""

    codename = forms.CharField(widget=forms.HiddenInput, max_length=CODENAME_MAX_LENGTH)
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

    def clean_codename(self) -> str:
        from forestall.public.actions import find_mailbox

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
    choices = [("", str(_("Any centre / the network")))]
    choices += [
        (str(pk), name)
        for pk, name in Centre.objects.filter(is_active=True).values_list("pk", "name")
    ]
    return choices


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        error_messages={
            "required": _("Please write something before sending. Your message is empty."),
            "max_length": _(
                "Your message is too long. Please keep it under %(limit_value)s characters "
                "(it has %(show_value)s), or send it in two parts."
            ),
        },
    )
    centre = forms.ChoiceField(
        label=_("Who should answer?"),
        required=False,
        error_messages={"invalid_choice": _("Please choose a centre from the list.")},
    )

    def __init__(self, *args: object, mailbox: Mailbox, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.mailbox = mailbox
        self.fields["centre"].choices = _centre_choices()

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
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
        return Centre.objects.filter(is_active=True, pk=value).first()


class PageContentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=20000,
        help_text=_(
            "Markdown: ## heading, - list item, **bold**, *italic*, [link](/centres/). "
            "Links may only be relative or https. HTML and images are not allowed."
        ),
    )
