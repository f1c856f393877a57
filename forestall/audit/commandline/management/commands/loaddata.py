"""Django's ``loaddata``, recorded in counts once its transaction has committed."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import loaddata

from forestall.audit.commands import AuditedCommand


class Command(AuditedCommand, loaddata.Command):
    def handle(self, *fixture_labels: str, **options: Any) -> None:
        super().handle(*fixture_labels, **options)
        self.record(
            "data.load",
            reason=f"{self.loaded_object_count} of {self.fixture_object_count} objects "
            f"from {self.fixture_count} fixtures",
        )
