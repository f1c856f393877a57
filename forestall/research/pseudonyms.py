"""Pseudonyms of research exports: keyed per study, stable within it, unlinkable across studies.

Threat model: an evaluator holds the exports of one study (and perhaps of
another study at the same network) and must neither find the internal id of
a row nor join the rows of two studies. Each study gets its own key,
``HMAC(FORESTALL_RESEARCH_SECRET, study id)``; the secret lives outside the
database, so a stolen database does not give the keys either. A pseudonym is
``HMAC(study key, kind + internal id)``, cut to 80 bits: collisions among a
network's cases are negligible, and without the key it cannot be reversed or
recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings

_LENGTH = 20  # hex characters = 80 bits


def study_key(study_id: uuid.UUID) -> bytes:
    """The key of one study's pseudonyms (read from the setting at call time)."""
    secret = settings.FORESTALL_RESEARCH_SECRET.encode()
    return hmac.new(secret, b"forestall research study " + study_id.bytes, hashlib.sha256).digest()


class Pseudonymiser:
    """Pseudonyms of one study: ``pseudonymiser.of("client", client_id)``."""

    def __init__(self, study_id: uuid.UUID) -> None:
        # The keyed state is computed once; every pseudonym continues from a copy.
        self._mac = hmac.new(study_key(study_id), digestmod=hashlib.sha256)

    def of(self, kind: str, internal_id: uuid.UUID | str) -> str:
        if not isinstance(internal_id, uuid.UUID):
            internal_id = uuid.UUID(str(internal_id))
        return self.of_bytes(kind.encode() + b":", internal_id.bytes)

    def of_bytes(self, kind: bytes, internal_id: bytes) -> str:
        """The pseudonym of an id given as its 16 bytes; ``kind`` as ``b"client:"``."""
        mac = self._mac.copy()
        mac.update(kind + internal_id)
        return mac.hexdigest()[:_LENGTH]
