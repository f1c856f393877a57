"""Who a staff session belongs to, and Django permissions that follow forestall's roles.

``StaffModelBackend`` is Django's ``ModelBackend`` (passwords, active
accounts) with one change: the user of a session is read with a statement
compiled once (``forestall.lib.prepared``), not built by the ORM on every
staff request. The same row, the same checks (``is_active``), and Django
still compares the session's password hash with the user's on every request.

The Django admin asks ``user.has_perm(...)`` for every model. In forestall the
authority is the network admin role (a :class:`~forestall.accounts.models.Membership`),
not Django's ``is_superuser`` flag, so this backend grants model permissions
to active network admins and nothing to anyone else. It never authenticates
anyone; who may open the admin at all (2FA verified, network admin) is decided
by :class:`forestall.accounts.admin_site.StaffAdminSite`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from forestall.lib.prepared import PreparedLookup

_USER_BY_ID: PreparedLookup[Any] = PreparedLookup("accounts.User", where=["id"])


class StaffModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            found = _USER_BY_ID.instances(user_id)
        except (ValidationError, ValueError, TypeError):  # not a user id at all
            return None
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None


class NetworkAdminPermissionBackend:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> None:
        return None

    def _is_network_admin(self, user_obj: Any) -> bool:
        if user_obj is None or not user_obj.is_authenticated or not user_obj.is_active:
            return False
        # One admin page asks for dozens of permissions: ask the database once.
        if not hasattr(user_obj, "_network_admin_cache"):
            user_obj._network_admin_cache = user_obj.is_network_admin
        return bool(user_obj._network_admin_cache)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return self._is_network_admin(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return self._is_network_admin(user_obj)
