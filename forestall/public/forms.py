"""Forms of the front door: start, confirm, sign in, write, and content editing."""

from __future__ import annotations

from django import forms
from django.core import signing
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Centre
from forestall.lib.codenames import contains_codename, looks_like_codename
from forestall.lib.pagecache import remember_for_public_pages
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

    if isinstance(slug, str) and slug and Centre.objects.public().filter(slug=slug).exists():
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
    """The choices of "Who should answer?" in the page's language.

    The same for every help-seeker, so kept like cached public pages (a change
    to a centre drops them with ``public_pages_changed``); a copy, because a
    form may change its own.
    """

    def compute() -> list[tuple[str, str]]:
        choices = [("", str(_("Any centre / the network")))]
        choices += [
            (str(centre.pk), centre.display_name)
            for centre in Centre.objects.filter(is_active=True).only("pk", "name", "name_de")
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

    def __init__(self, *args: object, mailbox: Mailbox, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.mailbox = mailbox
        centre_field = self.fields["centre"]
        if isinstance(centre_field, forms.ChoiceField):
            centre_field.choices = _centre_choices()

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
        return Centre.objects.filter(is_active=True, pk=value).first()


class UnsentMessageForm(SignInForm):
    """A message that arrived after the session ended, with the codename to send it.

    ``body`` and ``centre`` are only carried back into the page here; the
    mailbox's ``MessageForm`` checks them once the codename has opened it.
    """

    body = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 8}))
    centre = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def kept(self) -> dict[str, str]:
        """What the person wrote, exactly as it came (for a page that shows it again)."""
        return {
            "body": str(self.data.get("body", "")),
            "centre": str(self.data.get("centre", ""))[:64],
        }


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
