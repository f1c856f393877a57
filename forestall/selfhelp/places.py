"""Addresses of self-help places, for the pages that link into self-help.

Not views: the front door (pathway pages, self-check, mailbox sign-in) uses
these to send a reader to a programme or back to where they were.
"""

from __future__ import annotations

from django.urls import reverse

from forestall.selfhelp.content import catalogue


def place_url(place: str) -> str:
    """The page of a place (``programme/module`` or ``progress``), or "" if there is none.

    The mailbox sign-in carries a place through (``?selfhelp=…``) so that a
    reader who signs in or starts a mailbox from a module comes back to it.
    """
    if place == "progress":
        return reverse("selfhelp:progress")
    programme_slug, _slash, module_slug = place.partition("/")
    if catalogue().find(programme_slug, module_slug) is None:
        return ""
    return reverse("selfhelp:module", args=[programme_slug, module_slug])


# The programme each front-door pathway leads to.
PROGRAMME_FOR_PATHWAY = {"self": "self", "other": "family"}


def pathway_for_programme(programme_slug: str) -> str:
    """The front-door pathway a programme belongs to, or "" (one for everyone)."""
    return next((p for p, slug in PROGRAMME_FOR_PATHWAY.items() if slug == programme_slug), "")


def programme_url_for_pathway(pathway: str) -> str:
    """The self-help programme page for a pathway; all programmes for professionals."""
    programme_slug = PROGRAMME_FOR_PATHWAY.get(pathway)
    if programme_slug and catalogue().programme(programme_slug) is not None:
        return reverse("selfhelp:programme", args=[programme_slug])
    return reverse("selfhelp:index")
