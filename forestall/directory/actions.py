"""Changes to the centre directory, each audited in the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from forestall.audit.actions import record_event
from forestall.directory.models import Centre
from forestall.lib.pagecache import public_pages_changed
from forestall.lib.stale_edits import check_unchanged

if TYPE_CHECKING:
    from forestall.accounts.models import User


def create_centre(
    centre: Centre,
    *,
    by: User,
    languages: list[str],
    services: list[str],
    channels: list[str],
) -> Centre:
    """Save a new centre (an unsaved, validated instance) with what it offers.

    Only network admins create centres; the view checks that before calling.
    """
    with transaction.atomic():
        centre.updated_by = by
        centre.save()
        centre.set_offers(languages=languages, services=services, channels=channels)
        record_event(by, "centre.create", centre, centre=centre)
        transaction.on_commit(public_pages_changed)
    return centre


def update_centre_profile(
    centre: Centre,
    *,
    by: User,
    languages: list[str],
    services: list[str],
    channels: list[str],
    edited_from: str | None = None,
) -> Centre:
    """Save the changed profile of a centre fetched through ``Centre.objects.editable_by(by)``.

    ``edited_from`` is the profile's version when the editor opened it
    (``lib.stale_edits``): if it has been saved since (a manager and an
    admin, or a forgotten second tab), raises ``ChangedMeanwhile`` naming who
    and when, and saves nothing, so a stale page never silently undoes
    someone else's change.
    """
    with transaction.atomic():
        check_unchanged(Centre, centre.pk, edited_from)
        centre.updated_by = by
        centre.save()
        centre.set_offers(languages=languages, services=services, channels=channels)
        record_event(by, "centre.update", centre, centre=centre)
        transaction.on_commit(public_pages_changed)
    return centre
