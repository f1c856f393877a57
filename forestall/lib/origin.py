"""Whether a POST was sent by a page of this site or by another site's page.

Threat model: a page elsewhere can make a visitor's browser POST anything to
forestall. The CSRF check refuses it, but pages that give back what a form
sent (an expired form, the language switch of a page that answered a form)
would hand another site's entries back in a form with a fresh token, one
press away from being sent as the visitor's own: a forger's codename would
sign the visitor in to the forger's mailbox, where everything they then
write could be read. Browsers say where a POST comes from (``Origin``, and
``Sec-Fetch-Site``); an expired form of this site fails on its cookie or
token, never on that.
"""

from __future__ import annotations

from django.http import HttpRequest

# Set on a request whose CSRF check failed on where it came from.
_MARK = "forestall_sent_from_another_site"


def mark_sent_from_another_site(request: HttpRequest, csrf_failure_reason: str) -> None:
    """Remember a CSRF failure on the request's origin or referer (Django's reasons)."""
    if csrf_failure_reason.startswith(("Origin checking failed", "Referer checking failed")):
        setattr(request, _MARK, True)


def sent_from_another_site(request: HttpRequest) -> bool:
    """True for a request that another site's page sent (as far as the browser says)."""
    if getattr(request, _MARK, False):
        return True
    if request.META.get("HTTP_SEC_FETCH_SITE", "") in ("cross-site", "same-site"):
        return True
    origin = request.META.get("HTTP_ORIGIN")
    return origin is not None and origin != f"{request.scheme}://{request.get_host()}"
