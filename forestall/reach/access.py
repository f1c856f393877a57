"""The one gate of the reach staff pages (see docs/development.md, "The access layer").

Partners, their keys and the message variants are network admins' objects:
everyone else gets 404, exactly as for one that does not exist. The results
page is for network admins and analysts. Reads are recorded here, so a view
cannot show a partner or the results without an audit entry.
"""

from __future__ import annotations

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404

from forestall.accounts.models import User
from forestall.audit.actions import read_or_404, record_read
from forestall.reach.models import Partner, PartnerKey, Variant
from forestall.stats.access import sees_network


def access_reach_admin(user: User) -> None:
    """The gate of the reach pages that change partners, keys or variants."""
    if not getattr(user, "is_network_admin", False):
        raise Http404


def access_partner(user: User, partner_id: uuid.UUID) -> Partner:
    """A partner ``user`` may manage, its read recorded; or 404."""
    return read_or_404(
        user, Partner.objects.visible_to(user), partner_id, "reach.partner.read", centre=None
    )


def access_partner_key(user: User, key_id: uuid.UUID) -> PartnerKey:
    """A partner key ``user`` may revoke; or 404 (the revocation itself is audited)."""
    return get_object_or_404(PartnerKey.objects.visible_to(user), pk=key_id)


def access_variant(user: User, variant_id: uuid.UUID) -> Variant:
    """A message variant ``user`` may edit; or 404 (its changes are audited by the actions)."""
    return get_object_or_404(Variant.objects.visible_to(user), pk=variant_id)


def access_results(user: User) -> None:
    """The gate of the reach results (network admins and analysts), its read recorded."""
    if not sees_network(user):
        raise Http404
    record_read(user, "reach.results.read")
