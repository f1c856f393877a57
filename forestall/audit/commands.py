"""Operator commands in the audit log: a command that touches personal data names itself.

Threat model: an operator with shell access on the server reads, changes,
exports or erases personal data with a management command (re-encrypting
every message, a research export, a retention purge). No staff member is
signed in, so before this nothing named who did it: the entries of a
purge or an export had no actor at all, and a key rotation, which decrypts
and rewrites every encrypted value, wrote no entry.

A command that reads, changes, exports or deletes personal data subclasses
``AuditedCommand``. While it runs, every audit entry written without a
staff actor (``record_event(None, …)``, as the actions do for the command
line) names the command as its actor (``"forestall rotate-keys"``: the space
keeps it apart from every staff username, which Django's validator never
allows a space in). The entries go into the hash chain like every other
one and say what was done in counts, never anything about a person.
``tests/test_audited_commands.py`` fails for a command under
``forestall/**/management/commands/`` that is neither audited this way nor
exempted there with a reason.
"""

from __future__ import annotations

import contextvars
import uuid
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand

if TYPE_CHECKING:
    from forestall.directory.models import Centre

_running_command: contextvars.ContextVar[str] = contextvars.ContextVar(
    "forestall_running_command", default=""
)


def running_command() -> str:
    """The actor name of the audited command running now ("" outside one)."""
    return _running_command.get()


def actor_name(command_module: str) -> str:
    """``forestall <command>`` for the module that defines a command."""
    return f"forestall {command_module.rpartition('.')[2]}"


class AuditedCommand(BaseCommand):
    """A management command whose audit entries name it as their actor.

    Entries are written by the actions it calls (``by=None``) or by
    ``self.record(...)``, inside the transaction of the change they record,
    so an interrupted run has recorded exactly what it did.
    """

    def execute(self, *args: Any, **options: Any) -> Any:
        token = _running_command.set(actor_name(type(self).__module__))
        try:
            return super().execute(*args, **options)
        finally:
            _running_command.reset(token)

    def record(
        self,
        action: str,
        target: Any = None,
        *,
        centre: Centre | uuid.UUID | None = None,
        reason: str = "",
    ) -> None:
        """Append an entry with this command as the actor (``reason``: counts, nothing personal)."""
        from forestall.audit.actions import record_event

        record_event(None, action, target, centre=centre, reason=reason)


def labels_named(labels: Any, nothing: str) -> str:
    """The app or model labels a command was given, or ``nothing`` (labels never name a person)."""
    return ", ".join(str(label) for label in labels) or nothing


def accounts_named(usernames: Any, options: dict[str, Any]) -> list[Any]:
    """The staff accounts of these usernames that exist (in the command's ``--database``)."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    manager = model._default_manager.db_manager(options.get("database"))
    found = []
    for username in usernames:
        try:
            found.append(manager.get_by_natural_key(username))
        except model.DoesNotExist:
            continue
    return found


def audit_log_exists() -> bool:
    """Whether the database has been migrated as far as the audit log (a shell may come first)."""
    from django.db import connections, router

    from forestall.audit.models import AuditEntry

    connection = connections[router.db_for_write(AuditEntry)]
    return AuditEntry._meta.db_table in connection.introspection.table_names()
