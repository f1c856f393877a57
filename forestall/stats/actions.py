"""Recording de-identified counts: the only way facts reach the statistics."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forestall.directory.models import Centre


def record(
    event: str,
    *,
    centre: Centre | None = None,
    channel: str = "",
    language: str = "",
    pathway: str = "",
    detail: str = "",
    duration: datetime.timedelta | None = None,
    day: datetime.date | None = None,
    count: int = 1,
) -> None:
    """Add ``count`` to the daily count of ``event`` (see ``stats.events.Event``).

    ``centre`` gives centre and region; ``channel``, ``language`` and ``pathway``
    are coarse dimensions; ``detail`` is a short value from a fixed vocabulary
    (for example the self-check's recommended step), never free text;
    ``duration`` (a waiting or response time) is kept only as a coarse bucket.
    ``day`` defaults to today. Nothing that identifies a person is accepted.

    INTERFACE: the statistics work (issue 7) owns the implementation.
    """
    # Placeholder until the statistics app lands; callers may rely on the signature.
    return None
