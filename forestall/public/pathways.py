"""The front door's pathways in addresses: ``/help/<slug>/`` and the page each one shows."""

from __future__ import annotations

from forestall.public.models import Page, Pathway

# URL slug → the pathway (and editable page) it shows.
PATHWAY_SLUGS = {
    "self": Pathway.SELF,
    "someone-else": Pathway.OTHER,
    "professionals": Pathway.PROFESSIONAL,
}
PATHWAY_PAGES = {
    Pathway.SELF: Page.SELF,
    Pathway.OTHER: Page.OTHER,
    Pathway.PROFESSIONAL: Page.PROFESSIONAL,
}


def pathway_slug(pathway_value: str) -> str:
    for slug, value in PATHWAY_SLUGS.items():
        if value == pathway_value:
            return slug
    return "self"
