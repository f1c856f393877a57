"""Django's ``dumpdata``, recorded before it writes: it writes encrypted fields in clear text."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import dumpdata

from forestall.audit.commands import AuditedCommand, labels_named


class Command(AuditedCommand, dumpdata.Command):
    def handle(self, *app_labels: str, **options: Any) -> None:
        excluded = labels_named(options.get("exclude") or [], "nothing")
        self.record(
            "data.dump",
            reason=f"{labels_named(app_labels, 'every app')} (excluding {excluded}), "
            "encrypted fields in clear text",
        )
        super().handle(*app_labels, **options)
