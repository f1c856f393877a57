"""The authenticator-app method of django-two-factor-auth, with forestall's encrypted device.

two_factor's built-in "generator" method finds and creates django-otp's
``TOTPDevice``, which keeps the TOTP secret in clear. This method has the
same code (so the wizard, templates and URLs are unchanged) but finds,
recognises and creates :class:`~forestall.accounts.models.TOTPAuthenticator`,
whose secret is encrypted with the key ring. ``AccountsConfig.ready``
registers it in place of the built-in one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from two_factor.plugins.registry import GeneratorMethod, registry


class EncryptedAuthenticatorMethod(GeneratorMethod):
    def get_devices(self, user: Any) -> QuerySet[Any]:
        from forestall.accounts.models import TOTPAuthenticator

        return TOTPAuthenticator.objects.filter(user=user)

    def recognize_device(self, device: Any) -> bool:
        from forestall.accounts.models import TOTPAuthenticator

        return isinstance(device, TOTPAuthenticator)

    def get_setup_forms(self, *args: Any) -> dict[str, Any]:
        from forestall.accounts.forms import AuthenticatorEnrolmentForm

        return {"generator": AuthenticatorEnrolmentForm}


def register() -> None:
    """Put the encrypted method in place of two_factor's built-in ``generator``."""
    registry.unregister(GeneratorMethod.code)
    registry.register(EncryptedAuthenticatorMethod())
