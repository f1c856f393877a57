"""Forms of the front door's staff side: editing a public page's text.

The mailbox's forms (start, confirm, sign in, write) are in
``forestall.inbox.forms``, with the mailbox.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from forestall.public.content import refused_links, refused_links_message


class PageContentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=20000,
        help_text=_(
            "Markdown: ## heading, - list item, **bold**, *italic*, [link](/centres/). "
            "Links may point to this site's pages, or with https to the websites your "
            "network has allowed; any other link is refused on save. HTML and images "
            "are not allowed."
        ),
    )
    # The version the editor started from (0: the shipped text), so that a
    # save from a stale tab cannot silently replace someone else's newer edit.
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def refuse_foreign_links(self) -> bool:
        """Mark the text wrong if it links where the public page may not; True if it does.

        Not part of ``clean``: a preview still shows what the sanitiser makes
        of such a link (plain words), alongside the error.
        """
        refused = refused_links(self.cleaned_data.get("body", ""))
        if refused:
            self.add_error("body", refused_links_message(refused))
        return bool(refused)
