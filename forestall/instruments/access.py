"""The ``access_*`` helpers of the instruments: a client's measures and one administration.

Clients come through ``cases.access.access_client`` (the one gate for a
client, ``Client.objects.visible_to``) under the instruments' own read
actions; administrations through ``Administration.objects.visible_to``.
Missing and forbidden are the same 404, and every helper writes the audit
read entry itself, at the centre it concerns.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from forestall.audit.actions import read_or_404
from forestall.cases.access import access_client
from forestall.instruments.models import Administration

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.cases.models import Client


def access_client_measures(user: User, client_id: uuid.UUID) -> Client:
    """A client's measures page (charts, history, send): ``instrument.client_measures.read``."""
    return access_client(user, client_id, action="instrument.client_measures.read")


def access_client_for_recording(user: User, client_id: uuid.UUID) -> Client:
    """A client whose questionnaire answers are entered: ``instrument.record_form.read``."""
    return access_client(user, client_id, action="instrument.record_form.read")


def access_administration(user: User, administration_id: uuid.UUID) -> Administration:
    """One administration (answers, score, flags) if ``user`` may see its client; 404 otherwise."""
    gated = Administration.objects.visible_to(user).select_related("client", "centre")
    return read_or_404(user, gated, administration_id, "instrument.read")
