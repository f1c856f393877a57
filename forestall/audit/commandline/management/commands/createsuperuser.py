"""Django's ``createsuperuser``, recorded on the account it created."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.db.models.signals import post_save

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand


class Command(AuditedCommand, createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        made: list[Any] = []

        def remember(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
            if created:
                made.append(instance)

        model = get_user_model()
        post_save.connect(remember, sender=model, weak=False)
        try:
            super().handle(*args, **options)
        finally:
            post_save.disconnect(remember, sender=model)
        for account in made:
            self.record(
                "account.create",
                account,
                reason=reasons.SUPERUSER_CREATED,
            )
