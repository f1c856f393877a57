"""Django's ``remove_stale_contenttypes``: it deletes what refers to removed models."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.management.commands import remove_stale_contenttypes

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand


class Command(AuditedCommand, remove_stale_contenttypes.Command):
    def handle(self, **options: Any) -> None:
        super().handle(**options)
        self.record(
            "data.remove_stale_contenttypes",
            reason=reasons.STALE_CONTENT_TYPES_REMOVED,
        )
