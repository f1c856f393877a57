"""The signed catalogue partners fetch: built once per language, served from the cache.

The body is canonical JSON (sorted keys, no spaces) so that its bytes, its
ETag and its signature stay the same until something is published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from forestall.reach import signing
from forestall.reach.models import Variant, VariantText

_GENERATION_KEY = "reach-catalogue:generation"


@dataclass(frozen=True)
class SignedCatalogue:
    body: bytes
    etag: str
    key_id: str
    signature: str


def generation() -> int:
    """Changes whenever something is published: part of every cached signed document's key."""
    return int(cache.get(_GENERATION_KEY, 0))


def catalogue_changed() -> None:
    """Forget every cached catalogue (after a publish or a change of weights).

    The landing pages are kept like public pages (``reach.public_views``):
    they are dropped with them.
    """
    from forestall.lib.pagecache import public_pages_changed

    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 1, timeout=None)
    public_pages_changed()


def landing_path(variant_id: str, language: str, partner: str = "{partner}") -> str:
    with translation.override(language):
        return reverse(
            "reach:landing", kwargs={"partner": "PARTNER", "variant": variant_id}
        ).replace("PARTNER", partner)


def build(language: str, origin: str) -> bytes:
    """The catalogue body for ``language``: the newest text of every active variant in it."""
    onion = settings.FORESTALL_REACH_ONION_URL.rstrip("/")
    variants = []
    texts = VariantText.objects.filter(language=language, variant__active=True).select_related(
        "variant"
    )
    newest: dict[object, VariantText] = {}
    for text in texts.order_by("variant__slug", "version"):
        newest[text.variant_id] = text
    for text in newest.values():
        variant: Variant = text.variant
        path = landing_path(str(variant.pk), language)
        entry = {
            "id": str(variant.pk),
            "slug": variant.slug,
            "kind": variant.kind,
            "language": language,
            "text_version": text.version,
            "title": text.title,
            "body": text.body,
            "elements": {
                "crime": text.crime,
                "harm": text.harm,
                "consequences": text.consequences,
                "help": text.help,
            },
            "help_url": origin + path,
            "weight": variant.weight,
        }
        if onion:
            entry["onion_url"] = onion + path
        variants.append(entry)
    version = hashlib.sha256(
        json.dumps(
            [[v["id"], v["text_version"], v["weight"]] for v in variants], sort_keys=True
        ).encode()
    ).hexdigest()[:16]
    document = {"version": version, "language": language, "variants": variants}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed(language: str, origin: str) -> SignedCatalogue:
    """The signed catalogue, from the cache when nothing changed since it was built."""
    key_id = signing.current_key().key_id
    name = (
        "reach-catalogue:"
        + hashlib.sha256(f"{generation()}|{language}|{origin}|{key_id}".encode()).hexdigest()
    )
    found = cache.get(name)
    if found is not None:
        return found
    body = build(language, origin)
    key_id, signature = signing.sign(body)
    result = SignedCatalogue(
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        key_id=key_id,
        signature=signature,
    )
    cache.set(name, result, timeout=settings.FORESTALL_REACH_CATALOGUE_SECONDS)
    return result
