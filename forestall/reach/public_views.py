"""The reach landing page: where a warning on a partner platform leads.

Whatever the link says, the page shows help: an unknown partner or variant
gets the network's default message and is counted as unknown, never an error
page. It needs no JavaScript and stores nothing about the visitor; the
landing is one more in a daily count by partner, variant and language.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

from forestall.reach import actions
from forestall.reach.arrival import arrived_through_reach, remember_arrival
from forestall.reach.models import Partner, Variant, VariantText


def _variant(value: str) -> Variant | None:
    try:
        variant_id = uuid.UUID(value)
    except ValueError:
        return None
    return Variant.objects.filter(pk=variant_id).first()


@require_safe
def landing(request: HttpRequest, partner: str, variant: str) -> HttpResponse:
    language = translation.get_language() or "en"
    known_partner = Partner.objects.filter(slug=partner[:50]).first()
    known_variant = _variant(variant)
    text = None
    if known_variant is not None:
        text = VariantText.objects.current(known_variant, language)
    if text is None:
        # The network's first therapeutic message, in the page's language.
        text = (
            VariantText.objects.filter(language=language, variant__active=True)
            .order_by("variant__slug", "-version")
            .first()
        )
    if request.method == "GET" and not arrived_through_reach(request):
        actions.count_click_through(known_partner, known_variant, language)
    response = render(
        request,
        "reach/landing.html",
        {"text": text, "partner_path": partner, "variant_path": variant},
    )
    remember_arrival(response)
    return response
