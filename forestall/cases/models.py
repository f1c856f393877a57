"""Clients and their cases across the centre network."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from forestall.lib.crypto import EncryptedJSONField

# Unambiguous characters for client references (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_client_reference() -> str:
    """A pseudonymous reference like ``K-7F3Q-92``: short to say on the phone, not guessable."""
    first = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(4))
    second = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(2))
    return f"K-{first}-{second}"


class Client(models.Model):
    """A pseudonymous person in the case work of the network.

    Never a name, unless the person chooses to give contact details, which are
    then encrypted (``contact_details``). ``mailbox`` links the person's
    anonymous mailbox when they came through the front door.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_client_reference
    )
    mailbox = models.ForeignKey(
        "public.Mailbox",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients",
    )
    contact_details = EncryptedJSONField(null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default="de")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference
