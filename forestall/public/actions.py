"""What staff change on the front door: a new version of a public page's text.

What a help-seeker changes (start a mailbox, write, delete everything) is in
``forestall.inbox.actions``, with the mailbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from forestall.audit.actions import record_event
from forestall.lib.pagecache import public_pages_changed
from forestall.lib.stale_edits import check_newest_version
from forestall.public.models import PageContent

if TYPE_CHECKING:
    from forestall.accounts.models import User


def save_page_content(
    page: str,
    language: str,
    title: str,
    body: str,
    *,
    by: User,
    based_on: int | str | None = None,
) -> PageContent:
    """Add a new version of a public page's text (earlier versions stay).

    ``based_on`` is the version the editor started from (0 for the shipped
    text; ``""`` when the request did not say, refused like a stale tab;
    None when no page asked, not checked); if a newer one exists by now, raises
    ``lib.stale_edits.ChangedMeanwhile`` (who saved which version, and when)
    and saves nothing, so a stale tab never silently replaces a newer edit.

    The newest version is locked, but before the first edit there is none
    to lock: two first edits at the same moment both make version 1, and the
    unique version number refuses the second, which is then told like any
    other stale tab (before: a 500).
    """
    with transaction.atomic():
        latest = (
            PageContent.objects.select_for_update()
            .filter(page=page, language=language)
            .order_by("-version")
            .first()
        )
        if based_on is not None:
            check_newest_version(latest, str(based_on))
        try:
            with transaction.atomic():
                version = PageContent.objects.create(
                    page=page,
                    language=language,
                    version=(latest.version + 1) if latest else 1,
                    title=title,
                    body=body,
                    created_by=by,
                )
        except IntegrityError:
            newest = PageContent.objects.current(page, language)
            if newest is None:  # not the version number: something else went wrong
                raise
            # The other first edit: told like any other stale tab.
            check_newest_version(newest, str(latest.version if latest else 0))
            raise
        record_event(by, "content.update", version)
        # Cached copies of the public pages must show the new text at once.
        transaction.on_commit(public_pages_changed)
    return version
