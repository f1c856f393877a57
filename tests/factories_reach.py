"""Reach factories: partners and their keys, the shipped variants."""

from __future__ import annotations

import pytest

from forestall.reach import actions
from forestall.reach.models import Partner, PartnerKind, Variant

DETERRENT_ID = "6f0b8a1e-2c3d-4e5f-8a9b-0c1d2e3f4a51"
THERAPEUTIC_ID = "6f0b8a1e-2c3d-4e5f-8a9b-0c1d2e3f4a52"


def make_partner(slug: str = "search-one", **fields: object) -> Partner:
    return actions.create_partner(
        slug,
        fields.pop("name", slug.title()),
        fields.pop("kind", PartnerKind.SEARCH_ENGINE),
        by=None,
        **fields,  # type: ignore[arg-type]
    )


def make_key(partner: Partner) -> str:
    _row, key = actions.issue_key(partner, by=None)
    return key


def shipped_variant(variant_id: str = DETERRENT_ID) -> Variant:
    return Variant.objects.get(pk=variant_id)


@pytest.fixture(autouse=True)
def reach_defaults(db):
    """The shipped catalogue, as the first migration made it (again after a flush)."""
    from django.apps import apps

    from forestall.reach.defaults import load_defaults

    load_defaults(apps, None)
