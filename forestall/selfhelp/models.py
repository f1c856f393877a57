"""What the self-help programmes store: a workbook per mailbox, and de-identified counts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from forestall.inbox.models import Mailbox
from forestall.lib.crypto import EncryptedJSONField

if TYPE_CHECKING:
    from forestall.accounts.models import User


class Workbook(models.Model):
    """Everything a mailbox keeps of the self-help programmes, in one encrypted field.

    Answers (with the module version they were given under), progress, the
    last place and the self-ratings all live in ``data``, an AES-GCM envelope
    bound to this row: not even which modules someone opened is readable in
    the database. The row goes with its mailbox ("delete everything" and
    retention both delete the mailbox; the cascade takes this row).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, related_name="workbook")
    data = EncryptedJSONField(default=dict)
    # Day-level only, like the mailbox's own activity.
    updated_on = models.DateField()

    def __str__(self) -> str:
        return "self-help workbook"


class CountEvent(models.TextChoices):
    STARTED = "started", _("Module started")
    COMPLETED = "completed", _("Module completed")
    SHARED = "shared", _("Exercise shared with a counsellor")
    # "I have finished this module" without a mailbox: it cannot be matched to
    # a start, so it is counted apart and kept out of the completion rate.
    READ_THROUGH = "read_through", _("Module finished without a mailbox")


class ModuleCount(models.Model):
    """A de-identified daily count: how often something happened in one module.

    Only programme, module, language, event and day: nothing that could be
    joined back to a mailbox or a visit.
    """

    day = models.DateField()
    programme = models.CharField(max_length=40)
    module = models.CharField(max_length=60)
    language = models.CharField(max_length=8)
    event = models.CharField(max_length=16, choices=CountEvent.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "programme", "module", "language", "event"],
                name="selfhelp_module_count_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.programme}/{self.module} {self.day}"


class ModuleVersionQuerySet(models.QuerySet["ModuleVersion"]):
    def visible_to(self, user: User) -> ModuleVersionQuerySet:
        """The access gate for editing the programmes: network admins see every version."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_network_admin:
            return self.all()
        return self.none()

    def of(self, programme: str, module: str) -> ModuleVersionQuerySet:
        return self.filter(programme=programme, module=module)


class ModuleVersion(models.Model):
    """One published version of one self-help module; a published version never changes.

    ``texts`` holds, per language, the module's block as a network admin wrote
    it (YAML with Markdown sections and the exercise definitions, the same
    shape as a language block of a shipped file). The newest version of a
    module is what the public pages show; a person's saved answers name the
    version they were given under, and that version's exercise definitions
    show them. When the first edit of a module is published, the shipped
    version is kept here as well (``shipped``), so answers given under it
    still read correctly after a release changes the file.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.CharField(max_length=40)
    module = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    minutes = models.PositiveSmallIntegerField()
    texts = models.JSONField()
    shipped = models.BooleanField(default=False)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ModuleVersionQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "module", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "module", "version"], name="selfhelp_module_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme}/{self.module} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("a published module version never changes")
        super().save(*args, **kwargs)
