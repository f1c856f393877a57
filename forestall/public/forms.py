"""Forms of the front door's staff side: editing a public page's text.

The mailbox's forms (start, confirm, sign in, write) are in
``forestall.inbox.forms``, with the mailbox.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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
