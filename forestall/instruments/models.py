"""Administrations: one instrument given to one client on one occasion.

Each row keeps the instrument id and version it was given under and the score
computed at that moment (total, band, caseness, subscales), so that adding a
new version of an instrument never changes an old score. The answers
themselves are encrypted.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from forestall.lib.crypto import EncryptedJSONField

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.cases.models import Client
    from forestall.instruments.catalogue import Definition


class Occasion(models.TextChoices):
    INTAKE = "intake", _("Intake")
    SESSION = "session", _("Session")
    DISCHARGE = "discharge", _("Discharge")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting for the client's answers")
    COMPLETED = "completed", _("Completed")


_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def completion_order(administration: Administration) -> tuple[datetime.datetime, datetime.datetime]:
    """Sort key: when answered, then when sent (a missing time first, as SQLite sorts it)."""
    return (administration.completed_at or _NEVER, administration.created_at or _NEVER)


class AdministrationQuerySet(models.QuerySet["Administration"]):
    def visible_to(self, user: User) -> AdministrationQuerySet:
        """The access gate: administrations of clients ``user`` may work with.

        Questionnaire answers are part of the case work, so whoever may see the
        client (``Client.objects.visible_to``) may see their measures, and
        nobody else.
        """
        from forestall.cases.models import Client

        return self.filter(client__in=Client.objects.visible_to(user))

    def completed(self) -> AdministrationQuerySet:
        return self.filter(status=Status.COMPLETED)

    def pending(self) -> AdministrationQuerySet:
        return self.filter(status=Status.PENDING)

    def completed_of(self, client: Client) -> list[Administration]:
        """Every completed administration of ``client`` (a client already through the gate).

        What the client's charts and current risk flags are drawn from: read
        once for both on a page that shows both.
        """
        return list(self.filter(client_id=client.pk).completed())


class Administration(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        "cases.Client", on_delete=models.CASCADE, related_name="administrations"
    )
    centre = models.ForeignKey(
        "directory.Centre",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    instrument = models.CharField(_("instrument"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"))
    occasion = models.CharField(
        _("occasion"), max_length=16, choices=Occasion.choices, default=Occasion.SESSION
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.COMPLETED
    )
    # {item id: value or null}; encrypted, because answers are health data.
    answers = EncryptedJSONField(null=True, blank=True)
    # The score as computed under ``version`` when the answers arrived.
    total = models.SmallIntegerField(_("total"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=40, blank=True)
    caseness = models.BooleanField(_("at caseness"), null=True, blank=True)
    prorated = models.BooleanField(_("prorated"), default=False)
    subscales = models.JSONField(_("subscale totals"), default=dict, blank=True)
    # Flags such as a positive self-harm item are health data: encrypted.
    flags = EncryptedJSONField(_("flags"), default=list, null=True, blank=True)
    # Sent to the client's anonymous mailbox and answered there: deleted with it.
    via_mailbox = models.BooleanField(_("answered in the mailbox"), default=False)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = AdministrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client", "instrument", "status", "completed_at"]),
            models.Index(fields=["centre", "instrument", "occasion"]),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.version} ({self.occasion})"

    @property
    def definition(self) -> Definition:
        """The exact version this was given under (never a newer one)."""
        from forestall.instruments.catalogue import catalogue

        return catalogue().get(self.instrument, self.version)

    @property
    def is_pending(self) -> bool:
        return self.status == Status.PENDING

    def band_label(self, language: str | None = None) -> str:
        """The band's name in ``language`` (as defined by this administration's version)."""
        from django.utils.translation import get_language

        from forestall.instruments.catalogue import localized

        band = self.definition.band(self.band) if self.band else None
        return localized(band.label, language or get_language()) if band else ""
