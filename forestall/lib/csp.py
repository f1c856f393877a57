"""The Content-Security-Policy header, built once instead of on every response.

django-csp builds the header text from ``CONTENT_SECURITY_POLICY`` on every
response (about a tenth of a cached public page's time). forestall's policy
is one constant set in settings, with no nonces and no per-view changes, so
a response that asks for nothing special gets the same text every time: it
is built once per process (and again after a test changes the setting).
Anything that does ask for more (a nonce, ``@csp_update`` and friends, an
exemption, the debug pages) goes through django-csp's own code, unchanged.
"""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# Attributes through which a view or decorator changes the policy of one response.
_CHANGES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_built: dict[str, tuple[str, str]] = {}


def _forget(*, setting: str, **_kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _built.clear()


setting_changed.connect(_forget)


def _plain_headers() -> tuple[str, str]:
    """(policy, report-only policy) as configured, nothing added ("" for none)."""
    headers = _built.get("plain")
    if headers is None:
        headers = (build_policy(), build_policy(report_only=True))
        _built["plain"] = headers
    return headers


def _excluded(policy: dict[str, Any] | None, request: HttpRequest) -> bool:
    prefixes = (policy or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return bool(prefixes) and request.path_info.startswith(tuple(prefixes))


class ConstantPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the header text of the plain policy kept."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        plain = (
            not settings.DEBUG
            and getattr(request, "_csp_nonce", None) is None
            and not any(getattr(response, name, None) for name in _CHANGES)
        )
        if not plain:
            return super().process_response(request, response)
        policy, report_only = _plain_headers()
        if (
            policy
            and HEADER not in response
            and not _excluded(settings.CONTENT_SECURITY_POLICY, request)
        ):
            response[HEADER] = policy
        if (
            report_only
            and HEADER_REPORT_ONLY not in response
            and not _excluded(settings.CONTENT_SECURITY_POLICY_REPORT_ONLY, request)
        ):
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
