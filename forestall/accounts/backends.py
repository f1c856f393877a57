"""Django permissions that follow forestall's roles.

The Django admin asks ``user.has_perm(...)`` for every model. In forestall the
authority is the network admin role (a :class:`~forestall.accounts.models.Membership`),
not Django's ``is_superuser`` flag, so this backend grants model permissions
to active network admins and nothing to anyone else. It never authenticates
anyone; who may open the admin at all (2FA verified, network admin) is decided
by :class:`forestall.accounts.admin_site.StaffAdminSite`.
"""

from __future__ import annotations

from typing import Any


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
