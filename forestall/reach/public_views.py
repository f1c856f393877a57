"""The reach landing page: where a warning on a partner platform leads.

Whatever the link says, the page shows help: an unknown partner or variant
gets the network's default message and is counted as unknown, never an error
page. It needs no JavaScript and stores nothing about the visitor; the
landing is one more in a daily count by partner, variant and language
(counted in memory and written in batches, ``forestall.reach.landings``).

Speed: a warning can send many people at once, so the page does no database
work per visit. The partners and variants it recognises, and the page itself
per language and variant, are kept like cached public pages
(``remember_for_public_pages``: the same lifetime, dropped at once when the
catalogue or a partner changes). The only part of the page that depends on
the address is the language switch, which links to this same address in the
other language: the page is kept with a stand-in for the address, replaced
on the way out.
"""

from __future__ import annotations

import copy
import uuid

from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.views.decorators.http import require_safe

from forestall.lib.i18n import path_in_language
from forestall.lib.pagecache import remember_for_public_pages
from forestall.reach.arrival import arrived_through_reach, remember_arrival
from forestall.reach.landings import count_landing
from forestall.reach.models import Partner, Variant, VariantText

# Stands in for "<partner>/<variant>/" in the kept page (only URL-safe
# characters that escaping leaves alone, and never a partner's slug).
_ADDRESS = "@@reach-landing-address@@/"


def _partners() -> dict[str, uuid.UUID]:
    return dict(Partner.objects.values_list("slug", "pk"))


def _variants() -> frozenset[uuid.UUID]:
    return frozenset(Variant.objects.values_list("pk", flat=True))


def _known_variant(value: str) -> uuid.UUID | None:
    try:
        variant_id = uuid.UUID(value)
    except ValueError:
        return None
    known = remember_for_public_pages("reach-landing-variants", _variants)
    return variant_id if variant_id in known else None


def _text(variant_id: uuid.UUID | None, language: str) -> VariantText | None:
    text = None
    if variant_id is not None:
        text = (
            VariantText.objects.filter(variant_id=variant_id, language=language)
            .order_by("-version")
            .first()
        )
    if text is None:
        # The network's first therapeutic message, in the page's language.
        text = (
            VariantText.objects.filter(language=language, variant__active=True)
            .order_by("variant__slug", "-version")
            .first()
        )
    return text


def _page(request: HttpRequest, variant_id: uuid.UUID | None, language: str) -> str:
    """The page for ``variant_id`` in ``language``, with the stand-in for its address."""
    stand_in = copy.copy(request)
    stand_in.path = path_in_language("/r/" + _ADDRESS, language)
    stand_in.GET = QueryDict()
    return render_to_string(
        "reach/landing.html", {"text": _text(variant_id, language)}, request=stand_in
    )


@require_safe
def landing(request: HttpRequest, partner: str, variant: str) -> HttpResponse:
    language = translation.get_language() or "en"
    partner_id = remember_for_public_pages("reach-landing-partners", _partners).get(partner[:50])
    variant_id = _known_variant(variant)
    page = remember_for_public_pages(
        f"reach-landing:{language}:{variant_id or 'default'}",
        lambda: _page(request, variant_id, language),
    )
    # The query string is left out of the language switch: the page reads
    # nothing from it, and what a link carries there (a partner's tracking,
    # at worst the search itself) should not travel on into the next address
    # and the browser's history.
    address = f"{partner}/{variant}/"
    response = HttpResponse(page.replace(escape(_ADDRESS), escape(address)))
    if request.method == "GET":  # a HEAD request (a link checker, a preview) is nobody's arrival
        if not arrived_through_reach(request):
            count_landing(partner_id, variant_id, language)
        remember_arrival(response)
    return response
