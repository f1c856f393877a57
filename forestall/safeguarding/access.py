"""``access_concern``: the only way staff views fetch a concern."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from forestall.safeguarding.models import Concern

if TYPE_CHECKING:
    from forestall.accounts.models import User


def access_concern(user: User, concern_id: uuid.UUID) -> Concern:
    """A concern ``user`` may review (a responsible safeguarding lead), or 404."""
    return get_object_or_404(
        Concern.objects.visible_to(user).select_related(
            "centre", "case__client", "case__centre", "raised_by", "reviewer", "proposed_by"
        ),
        pk=concern_id,
    )
