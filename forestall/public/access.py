"""The ``access_*`` helper of the staff pages that edit the front door's texts.

Versions come through ``PageContent.objects.visible_to`` (the editors):
missing and forbidden are the same 404, and reading one is audited
(``content.read``) here, not in the view.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from forestall.audit.actions import read_or_404
from forestall.public.models import PageContent

if TYPE_CHECKING:
    from forestall.accounts.models import User


def access_content_version(user: User, version_id: uuid.UUID) -> PageContent:
    """One saved version of a front-door text, or 404; audited as ``content.read``."""
    gated = PageContent.objects.visible_to(user)
    return read_or_404(user, gated, version_id, "content.read", centre=None)
