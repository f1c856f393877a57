"""Who may see which statistics on the staff side (the one gate for dashboards).

Analysts and network admins see the whole network and any region or centre;
centre managers see their own centres only; everyone else sees nothing. A
scope someone may not see answers 404, exactly like one that does not exist.
The counts are de-identified, but who looked at which centre's figures is
still recorded (``statistics.read``, at the centre), like every staff read.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from forestall.accounts.models import Role, User
from forestall.audit.actions import record_read
from forestall.directory.models import Centre, Region
from forestall.stats.figures import Scope

NETWORK_ROLES = (Role.ANALYST, Role.NETWORK_ADMIN)


@dataclass(frozen=True)
class StatisticsScope:
    """What a dashboard shows: the counts' scope and how to name it."""

    scope: Scope
    region: Region | None = None
    centre: Centre | None = None
    centres: tuple[Centre, ...] = ()
    network_wide: bool = False


def sees_network(user: User) -> bool:
    return user.has_network_role(*NETWORK_ROLES)


def visible_centres(user: User) -> QuerySet[Centre]:
    """Centres whose statistics ``user`` may see."""
    if sees_network(user):
        return Centre.objects.all()
    return Centre.objects.where_holds(user, Role.CENTRE_MANAGER)


def access_statistics(
    user: User, *, region_id: UUID | None = None, centre_id: UUID | None = None
) -> StatisticsScope:
    """The scope ``user`` asked for, or Http404 if it is missing or not theirs."""
    scope = _statistics_scope(user, region_id=region_id, centre_id=centre_id)
    record_read(user, "statistics.read", scope.centre or scope.region, centre=scope.centre)
    return scope


def _statistics_scope(
    user: User, *, region_id: UUID | None, centre_id: UUID | None
) -> StatisticsScope:
    if centre_id is not None:
        try:
            centre = visible_centres(user).select_related("region").get(pk=centre_id)
        except Centre.DoesNotExist:
            raise Http404 from None
        return StatisticsScope(Scope(centre_ids=(centre.pk,)), centre=centre)
    if region_id is not None:
        if not sees_network(user):
            raise Http404
        try:
            region = Region.objects.get(pk=region_id)
        except Region.DoesNotExist:
            raise Http404 from None
        return StatisticsScope(Scope(region_id=region.pk), region=region)
    if sees_network(user):
        return StatisticsScope(Scope(), network_wide=True)
    centres = tuple(visible_centres(user).order_by("name"))
    if not centres:
        raise Http404
    return StatisticsScope(Scope(centre_ids=tuple(c.pk for c in centres)), centres=centres)
