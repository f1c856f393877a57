"""The ``access_*`` helpers of the staff pages that edit the self-help programmes.

Only network admins edit the programmes. Everyone else gets the same 404 as
for a module that does not exist, so the pages do not even reveal that
editing is possible. Published versions come through
``ModuleVersion.objects.visible_to``; reading one is audited
(``selfhelp_module.read``) here, not in the view.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.http import Http404

from forestall.audit.actions import read_or_404
from forestall.selfhelp.content import Catalogue, Module, Programme, catalogue
from forestall.selfhelp.models import ModuleVersion, ModuleVersionQuerySet

if TYPE_CHECKING:
    from forestall.accounts.models import User


def access_programmes(user: User) -> Catalogue:
    """The programmes as the public pages show them now, for an editor; else 404."""
    if not _is_editor(user):
        raise Http404
    return catalogue()


def access_module(user: User, programme_slug: str, module_slug: str) -> tuple[Programme, Module]:
    """One module at its current version, for an editor; 404 if missing or not an editor."""
    found = access_programmes(user).find(programme_slug, module_slug)
    if found is None:
        raise Http404
    return found


def access_module_versions(user: User, module: Module) -> ModuleVersionQuerySet:
    """The published versions of ``module`` (newest first), for an editor."""
    if not _is_editor(user):
        raise Http404
    gated = ModuleVersion.objects.visible_to(user)
    return gated.of(module.programme, module.slug).order_by("-version")


def access_module_version(user: User, version_id: uuid.UUID) -> ModuleVersion:
    """One published version of a module, or 404; audited as ``selfhelp_module.read``."""
    gated = ModuleVersion.objects.visible_to(user)
    return read_or_404(user, gated, version_id, "selfhelp_module.read", centre=None)


def _is_editor(user: User) -> bool:
    # The same rule as the gate: an active, signed-in network admin.
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.is_network_admin
    )
