"""One mailbox for one sending of a form that starts one, however often it arrives.

Threat model: a person double-clicks "Create my mailbox" (JavaScript off, so
nothing disables the button). The browser sends the same form twice, at the
same moment; both requests used to start a mailbox. The person saw one
codename, the other mailbox (with the self-help answers it was started to
keep) was unreachable, and the funnel counted two starts. The check for a
mailbox this browser already started (``started_here_unconfirmed``) cannot
see it: neither request has the codename cookie the other is about to set.

How: each rendering of the form carries a fresh random token (``FIELD``).
Starting the mailbox and recording a hash of that token
(``MailboxStartSending``, unique) are one transaction, so the second
sending of the same form waits for the first (PostgreSQL: on the unique
key; SQLite: every writer takes the lock at ``BEGIN``) and then finds its
record. Both answers give the browser the same codename cookie, derived
from the token: whichever answer the browser shows, the codename page shows
the one mailbox's codename. Nothing else is stored; a form without a token
(a page rendered before this existed) starts a mailbox as before.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from forestall.inbox import codename_view
from forestall.inbox.mailbox_session import idle_seconds
from forestall.inbox.models import Mailbox, MailboxStartSending

FIELD = "once"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """A fresh token for one rendering of a form that starts a mailbox."""
    return secrets.token_urlsafe(32)


def _derive(token: str, purpose: bytes) -> str:
    return hashlib.sha256(b"forestall.start-once." + purpose + b"\0" + token.encode()).hexdigest()


class _TurnedAway(Exception):
    """Leaves the transaction (and the record of the sending with it) for a refused start."""

    def __init__(self, answer: HttpResponse) -> None:
        super().__init__()
        self.answer = answer


def start_mailbox_once(
    request: HttpRequest,
    response: HttpResponse,
    start: Callable[[], tuple[Mailbox, str]],
    refused: Callable[[], HttpResponse | None],
) -> HttpResponse:
    """Run ``start`` unless this sending of the form already did; keep the codename for the browser.

    ``response`` (the redirect to the codename page) gets the codename
    cookie either way. ``start`` runs inside this transaction, so a
    mailbox and the record of the sending that started it exist together.
    ``refused`` counts one new mailbox against the limits and returns the
    answer (a 429) if over one: only for a sending that would start one, so
    that the second sending of a double click is neither counted nor
    refused (its browser shows that answer, not the first's).
    """
    token = str(request.POST.get(FIELD, ""))
    if not _TOKEN.fullmatch(token):
        turned_away = refused()
        if turned_away is not None:
            return turned_away
        _mailbox, codename = start()
        return codename_view.keep(response, codename)
    view_token = _derive(token, b"view")
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    MailboxStartSending.objects.create(key_hash=_derive(token, b"row"))
            except IntegrityError:
                # The same sending, arrived again: its mailbox is the one, and
                # its codename is kept under the same cookie.
                return codename_view.show_kept(response, view_token)
            turned_away = refused()
            if turned_away is not None:
                raise _TurnedAway(turned_away)
            # The record is needed only while a codename can still be shown.
            MailboxStartSending.objects.filter(
                sent_at__lt=timezone.now() - datetime.timedelta(seconds=idle_seconds())
            ).delete()
            _mailbox, codename = start()
            return codename_view.keep(response, codename, view_token)
    except _TurnedAway as refusal:
        return refusal.answer
