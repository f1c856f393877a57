"""The anonymous front door's only stored account: a codename mailbox."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Pathway(models.TextChoices):
    SELF = "self", _("Worried about my own sexual thoughts or behaviour")
    OTHER = "other", _("Worried about someone else")
    PROFESSIONAL = "professional", _("A professional")


class Mailbox(models.Model):
    """A help-seeker's confidential mailbox, known only by a codename.

    Only ``codename_hash`` (an HMAC of the normalised codename under a pepper
    kept outside the database) is stored; the codename itself never is.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    codename_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="en")
    pathway = models.CharField(max_length=16, choices=Pathway.choices, default=Pathway.SELF)
    created_at = models.DateTimeField(auto_now_add=True)
    # Day-level activity is enough for retention; finer times would only
    # help someone correlate visits.
    last_active_on = models.DateField()

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"mailbox {self.pk}"
