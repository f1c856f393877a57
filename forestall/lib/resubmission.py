"""A staff form sent twice is acted on once.

Staff pages work without JavaScript, so nothing disables a button once it is
pressed: a double click, a second press while a slow connection still turns,
or a reload of the page a POST is answering sends the same form again. Each
arrived as a new request and did its work again: the help-seeker got the same
reply twice, a questionnaire was recorded twice (and counted twice in the
outcomes), a note, a task or a concern appeared twice.

"The same form" is recognised by what the browser sends: the masked CSRF
token Django put into that one rendering of the page, the address, and every
field. A page rendered anew carries a new token, so a person who means to do
the same thing again (the same note text a minute later, from a fresh page)
is never stopped. A request without the token (not from one of forestall's
pages) is never matched.

The first request claims the form (an atomic ``cache.add``); a copy that
arrives meanwhile waits for it. When the first ended in a redirect (the form
did its work), the copy is sent to the same place, with a word that it was
sent twice; when it ended in anything else (the form had errors), the copy is
handled as if it were the first. Nothing of the form is stored: the cache key
is a keyed hash (the pepper), the value the redirect's address, for a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from forestall.lib.privacy import keyed_hash

# How long a form's outcome is remembered, and how long a copy waits for the
# first request to finish before it gives up with a 409.
REMEMBER_SECONDS = 60
WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.1
_PENDING = "pending"

_GUARDED_PREFIX = "/staff/"
# The sign-in wizard refuses replayed codes itself, and its steps post the
# same token with the same fields on purpose (a wrong code, then the right one).
_UNGUARDED_PREFIXES = ("/staff/login/", "/staff/two-factor/", "/staff/admin/login/")


def form_key(session_key: str, path: str, fields: list[tuple[str, list[str]]]) -> str:
    """The cache key of one rendering of a form, sent to ``path`` with ``fields``."""
    body = urlencode(sorted(fields), doseq=True)
    return "resubmission:" + keyed_hash(f"{session_key}\x1f{path}\x1f{body}")


def _guarded_key(request: HttpRequest) -> str | None:
    if request.method != "POST":
        return None
    path = request.path
    if not path.startswith(_GUARDED_PREFIX) or path.startswith(_UNGUARDED_PREFIXES):
        return None
    session = getattr(request, "session", None)
    session_key = session.session_key if session is not None else None
    if not session_key or not request.POST.get("csrfmiddlewaretoken"):
        return None
    return form_key(session_key, path, list(request.POST.lists()))


class ResubmissionMiddleware:
    """Answers a second copy of a staff form with the first one's outcome (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        key = getattr(request, "_resubmission_key", None)
        if key is not None:
            location = response.get("Location") if 300 <= response.status_code < 400 else None
            if location:
                cache.set(key, location, REMEMBER_SECONDS)
            else:
                cache.delete(key)
        return response

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # After the CSRF check (it runs earlier in MIDDLEWARE): only a form
        # that would have been accepted is ever answered from the cache.
        key = _guarded_key(request)
        if key is None:
            return None
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if cache.add(key, _PENDING, REMEMBER_SECONDS):
                request._resubmission_key = key  # type: ignore[attr-defined]
                return None
            outcome = cache.get(key)
            if outcome not in (None, _PENDING):
                messages.info(request, _("This form was sent twice. It was acted on once."))
                return HttpResponseRedirect(outcome)
            if time.monotonic() >= deadline:
                from forestall.errors import still_in_progress

                return still_in_progress(request)
            time.sleep(_POLL_SECONDS)
