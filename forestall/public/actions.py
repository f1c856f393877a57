"""What staff change on the front door: a new version of a public page's text.

What a help-seeker changes (start a mailbox, write, delete everything) is in
``forestall.inbox.actions``, with the mailbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from forestall.audit.actions import record_event
from forestall.lib.pagecache import public_pages_changed
from forestall.public.models import PageContent

if TYPE_CHECKING:
    from forestall.accounts.models import User


def save_page_content(page: str, language: str, title: str, body: str, *, by: User) -> PageContent:
    """Add a new version of a public page's text (earlier versions stay)."""
    with transaction.atomic():
        latest = (
            PageContent.objects.select_for_update()
            .filter(page=page, language=language)
            .order_by("-version")
            .first()
        )
        version = PageContent.objects.create(
            page=page,
            language=language,
            version=(latest.version + 1) if latest else 1,
            title=title,
            body=body,
            created_by=by,
        )
        record_event(by, "content.update", version)
        # Cached copies of the public pages must show the new text at once.
        transaction.on_commit(public_pages_changed)
    return version
