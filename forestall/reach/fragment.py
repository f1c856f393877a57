"""The ready-made HTML fragment partners embed: one variant, one language, one partner.

Threat model: the fragment is pasted into a partner's page next to a search
someone just made. It must not run anything there, load anything from
anywhere (no request may tell anyone that this person saw a warning), or
carry the search onwards. So it is plain markup with prefixed classes and
no ``style``, ``script``, image or form; its only links are the landing page
(and the onion address where configured), built from ``FORESTALL_SITE_URL``
rather than a request's Host header, with ``rel="noreferrer"`` so the
partner's address (which often holds the query) is not sent when the person
follows it. The body is signed like the catalogue, so a partner that caches
it or fetches it through a proxy can check it is what the network published.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from forestall.reach import signing
from forestall.reach.catalogue import SignedCatalogue, generation, landing_path
from forestall.reach.models import Partner, Variant, VariantText

CSS_PREFIX = "forestall-reach"


class UnknownVariant(LookupError):
    """No active variant with that id has a text in that language."""


class UnknownPartner(LookupError):
    """No partner has that short name."""


def build(variant_id: uuid.UUID, language: str, partner_slug: str) -> bytes:
    """The fragment's bytes (UTF-8); raises UnknownVariant or UnknownPartner."""
    variant = Variant.objects.filter(pk=variant_id, active=True).first()
    text = VariantText.objects.current(variant, language) if variant is not None else None
    if variant is None or text is None:
        raise UnknownVariant(str(variant_id))
    if not Partner.objects.filter(slug=partner_slug).exists():
        raise UnknownPartner(partner_slug)
    path = landing_path(str(variant.pk), language, partner_slug)
    onion = settings.FORESTALL_REACH_ONION_URL.rstrip("/")
    with translation.override(language):
        html = render_to_string(
            "reach/fragment.html",
            {
                "prefix": CSS_PREFIX,
                "language": language,
                "variant": variant,
                "text": text,
                "help_url": settings.FORESTALL_SITE_URL + path,
                "onion_url": onion + path if onion else "",
            },
        )
    return html.strip().encode() + b"\n"


def signed(variant_id: uuid.UUID, language: str, partner_slug: str) -> SignedCatalogue:
    """The signed fragment, from the cache until something is published or it expires."""
    key_id = signing.current_key().key_id
    name = (
        "reach-fragment:"
        + hashlib.sha256(
            f"{generation()}|{variant_id}|{language}|{partner_slug}|"
            f"{settings.FORESTALL_SITE_URL}|{key_id}".encode()
        ).hexdigest()
    )
    found = cache.get(name)
    if found is not None:
        return found
    body = build(variant_id, language, partner_slug)
    key_id, signature = signing.sign(body)
    result = SignedCatalogue(
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        key_id=key_id,
        signature=signature,
    )
    cache.set(name, result, timeout=settings.FORESTALL_REACH_CATALOGUE_SECONDS)
    return result
