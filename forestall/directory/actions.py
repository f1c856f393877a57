"""Changes to the centre directory, each audited in the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from forestall.audit.actions import record_event
from forestall.directory.models import Centre
from forestall.lib.pagecache import public_pages_changed

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
        centre.save()
        centre.set_offers(languages=languages, services=services, channels=channels)
        record_event(by, "centre.create", centre, centre=centre)
        transaction.on_commit(public_pages_changed)
    return centre


class CentreChangedMeanwhile(Exception):
    """The profile was saved by someone else after the editor opened it; nothing was saved."""


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

    ``edited_from`` is the profile's ``updated_at`` (ISO 8601) when the editor
    opened it: if it has been saved since (a manager and an admin, or a
    forgotten second tab), raises ``CentreChangedMeanwhile`` and saves
    nothing, so a stale page never silently undoes someone else's change.
    """
    with transaction.atomic():
        saved = (
            Centre.objects.select_for_update()
            .filter(pk=centre.pk)
            .values_list("updated_at", flat=True)
            .get()
        )
        if edited_from and saved.isoformat() != edited_from:
            raise CentreChangedMeanwhile
        centre.save()
        centre.set_offers(languages=languages, services=services, channels=channels)
        record_event(by, "centre.update", centre, centre=centre)
        transaction.on_commit(public_pages_changed)
    return centre
