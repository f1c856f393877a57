"""Texts the code itself records (a reason in the audit log, a case step), shown translated.

A reason a person types is stored and shown as typed. A reason the code
supplies ("command line" for a role granted with ``forestall grant-role``,
"referral accepted" for a case moved on by an accepted referral) was stored
as English and shown as English to every reader, a German one too. Such a
text is now declared here when the module that records it is imported
(``recorded_text(gettext_noop("…"))``, so ``make messages`` extracts it):
it is stored as its English message id, which keeps the audit chain and
old entries readable, and every page that shows a stored text passes it
through ``shown`` (the template filter ``recorded_text`` in
``forestall_i18n``), which translates a declared text into the reader's
language and leaves anything else exactly as it was typed.
"""

from __future__ import annotations

from django.utils.translation import gettext

_DECLARED: set[str] = set()


def recorded_text(message_id: str) -> str:
    """Declare ``message_id`` as a text the code records; return it, to be stored as it is."""
    _DECLARED.add(message_id)
    return message_id


def shown(stored: str) -> str:
    """A stored text as the reader should see it: a declared one in their language."""
    return gettext(stored) if stored in _DECLARED else stored
