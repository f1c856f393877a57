"""The ``access_*`` helpers of the staff centre pages.

Centres are changed only through ``Centre.objects.editable_by`` (network
admins every centre, centre managers their own): a centre someone may not
edit answers 404, exactly like one that does not exist. Opening a centre's
form is audited as ``centre.read`` at that centre.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from forestall.audit.actions import read_or_404
from forestall.directory.models import Centre, CentreQuerySet

if TYPE_CHECKING:
    from forestall.accounts.models import User


def list_editable_centres(user: User) -> CentreQuerySet:
    """The centres whose profile ``user`` may change, with their offers."""
    return Centre.objects.editable_by(user).with_offers()


def access_centre_for_editing(user: User, centre_id: uuid.UUID) -> Centre:
    """A centre whose profile ``user`` may change, or 404; audited as ``centre.read``."""
    return read_or_404(
        user, Centre.objects.editable_by(user), centre_id, "centre.read", centre="pk"
    )
