"""Recording staff actions in the append-only, hash-chained audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.directory.models import Centre


def record_event(
    actor: User | None,
    action: str,
    target: Any = None,
    *,
    centre: Centre | None = None,
    reason: str = "",
) -> None:
    """Append one audit entry: who did ``action`` (e.g. ``"case.read"``) to what.

    ``target`` is any model instance with a UUID primary key (its type and id
    are recorded, never its content); ``centre`` scopes the entry for centre
    managers; ``reason`` is the short justification where an action needs one
    (for example "break the glass"). Actions ending in ``.read`` are reads.

    INTERFACE: the security-core work (issue 3) owns the implementation.
    """
    return None
