"""Ed25519 signatures over the reach catalogue, with keys kept outside the database.

Threat model: a partner shows the catalogue's words to people at a fragile
moment, often after fetching it through caches and proxies. A changed message
(a wrong help link, a cruel text) must be detectable, so every catalogue body
is signed with Ed25519 and partners verify the exact bytes against the
published key. The signing seeds come from ``FORESTALL_REACH_SIGNING_KEYS``
(``id:base64seed,...``, the last one signs); older keys stay published by id,
so signatures made before a rotation still verify.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_base64(self) -> str:
        return base64.b64encode(self.public_raw).decode()


@lru_cache(maxsize=4)
def _parse(spec: str) -> tuple[SigningKey, ...]:
    keys = []
    for item in spec.split(","):
        key_id, separator, encoded = item.strip().partition(":")
        try:
            seed = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            seed = b""
        if not separator or not key_id or len(seed) != 32:
            raise ImproperlyConfigured(
                "FORESTALL_REACH_SIGNING_KEYS must be 'id:base64-of-32-bytes' entries "
                "separated by commas."
            )
        keys.append(SigningKey(key_id, Ed25519PrivateKey.from_private_bytes(seed)))
    return tuple(keys)


def signing_keys() -> tuple[SigningKey, ...]:
    return _parse(settings.FORESTALL_REACH_SIGNING_KEYS)


def current_key() -> SigningKey:
    return signing_keys()[-1]


def key_by_id(key_id: str) -> SigningKey | None:
    return next((key for key in signing_keys() if key.key_id == key_id), None)


def sign(body: bytes) -> tuple[str, str]:
    """The id of the signing key and the base64 Ed25519 signature of ``body``."""
    key = current_key()
    return key.key_id, base64.b64encode(key.private.sign(body)).decode()


def verify(body: bytes, signature: str, public_key: str) -> bool:
    """Whether ``signature`` (base64) signs ``body`` under ``public_key`` (base64).

    What a partner does on its side, here for tests and the documentation.
    """
    from cryptography.exceptions import InvalidSignature

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
