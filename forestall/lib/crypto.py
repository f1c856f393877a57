"""Encryption at rest: a key ring and AES-GCM encrypted model fields.

Threat model: a stolen database, dump or backup. Sensitive free text (message
bodies, notes, free-text answers, contact details, concern descriptions) is
stored only as ciphertext; the keys live outside the database, in the
``FORESTALL_KEYS`` environment variable. A ciphertext is bound to its model,
field and row through AES-GCM associated data, so an attacker with write access
to the database cannot move a ciphertext into another row or field (for
example to show one person's message in another person's mailbox): it fails to
decrypt instead.

Envelope (a text column): ``fe1:<key id>:<base64(nonce || ciphertext+tag)>``.
Associated data: ``forestall:<app.model>:<field>:`` followed by the row's
UUID as 16 raw bytes (other primary keys as text).

Key ring: ``FORESTALL_KEYS="k1:<base64 32 bytes>,k2:<base64 32 bytes>"`` (or a
JSON object ``{"k1": "...", "k2": "..."}``). Every key decrypts; the *last*
one encrypts. ``forestall rotate-keys`` re-encrypts every field under the
newest key, after which older keys can be removed.

How the fields work: the database value is decrypted lazily when the attribute
is read from a model instance, because only the instance knows its primary key
(part of the associated data). Encrypted models therefore need a primary key
assigned in Python (``UUIDField(default=uuid.uuid4)``). ``.values()`` and
``.update()`` see or need envelopes, not plaintext: read and write encrypted
fields through model instances.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

ENVELOPE_PREFIX = "fe1"
_NONCE_BYTES = 12


class CryptoError(Exception):
    """Base class; messages never contain plaintext or key material."""


class KeyRingError(CryptoError):
    """The key ring configuration is unusable."""


class UnknownKeyError(CryptoError):
    """A ciphertext names a key id that the key ring does not hold."""


class DecryptionError(CryptoError):
    """A ciphertext failed authentication: tampered, moved, or a wrong key."""


@dataclass(frozen=True)
class KeyRing:
    """Ordered keys: all decrypt, the last one encrypts.

    ``repr()`` shows key ids only, never key material.
    """

    keys: tuple[tuple[str, bytes], ...] = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"KeyRing(ids={self.ids!r})"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _material in self.keys)

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse ``id:base64,id:base64`` or a JSON object of ``id → base64``."""
        spec = spec.strip()
        if not spec:
            raise KeyRingError("FORESTALL_KEYS is empty")
        pairs: list[tuple[str, str]]
        if spec.startswith(("{", "[")):
            try:
                loaded = json.loads(spec)
            except json.JSONDecodeError:
                # Not chained: the JSON error carries the whole setting (key material).
                raise KeyRingError("FORESTALL_KEYS is not valid JSON") from None
            if not isinstance(loaded, dict):
                raise KeyRingError("FORESTALL_KEYS as JSON must be an object of id → base64 key")
            pairs = [(str(key_id), str(value)) for key_id, value in loaded.items()]
        else:
            pairs = []
            for item in spec.split(","):
                key_id, separator, value = item.strip().partition(":")
                if not separator or not key_id:
                    raise KeyRingError("FORESTALL_KEYS entries must look like id:base64key")
                pairs.append((key_id, value))
        keys: list[tuple[str, bytes]] = []
        for key_id, value in pairs:
            if not key_id or ":" in key_id or "," in key_id:
                raise KeyRingError(f"key id {key_id!r} must be non-empty without ':' or ','")
            try:
                material = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"key {key_id!r} is not valid base64") from None
            if len(material) != 32:
                raise KeyRingError(f"key {key_id!r} must be 32 bytes (AES-256)")
            if any(existing == key_id for existing, _material in keys):
                raise KeyRingError(f"key id {key_id!r} appears twice")
            keys.append((key_id, material))
        if not keys:
            raise KeyRingError("FORESTALL_KEYS holds no keys")
        return cls(tuple(keys))

    @property
    def current_id(self) -> str:
        return self.keys[-1][0]

    def key(self, key_id: str) -> bytes:
        for candidate, material in self.keys:
            if candidate == key_id:
                return material
        raise UnknownKeyError(f"key id {key_id!r} is not in the key ring")

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.key(key_id))
        return cipher

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> str:
        """Encrypt under the newest key and return an envelope string."""
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._cipher(self.current_id).encrypt(nonce, plaintext, associated_data)
        payload = binascii.b2a_base64(nonce + ciphertext, newline=False).decode()
        return f"{ENVELOPE_PREFIX}:{self.current_id}:{payload}"

    def decrypt(self, envelope: str, associated_data: bytes) -> bytes:
        """Decrypt an envelope; raise a CryptoError subclass if that is impossible."""
        # Every encrypted value read passes here: kept flat on purpose.
        parts = envelope.split(":", 2)
        if len(parts) != 3:
            raise DecryptionError("value is not an encryption envelope")
        prefix, key_id, payload = parts
        if prefix != ENVELOPE_PREFIX:
            raise DecryptionError(f"unknown envelope version {prefix[:8]!r}")
        try:
            raw = binascii.a2b_base64(payload)
        except (binascii.Error, ValueError):
            raise DecryptionError(f"envelope under key id {key_id!r} is not valid base64") from None
        if len(raw) < _NONCE_BYTES + 16:
            raise DecryptionError(f"envelope under key id {key_id!r} is too short")
        cipher = self._ciphers.get(key_id) or self._cipher(key_id)
        try:
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated_data)
        except InvalidTag:
            raise DecryptionError(
                f"ciphertext under key id {key_id!r} failed authentication "
                "(changed, moved from another row or field, or a different key with that id)"
            ) from None


def _split(envelope: str) -> tuple[str, str, str]:
    parts = envelope.split(":", 2)
    if len(parts) != 3:
        raise DecryptionError("value is not an encryption envelope")
    return parts[0], parts[1], parts[2]


def envelope_key_id(envelope: str) -> str:
    """The key id an envelope was encrypted under (for rotation progress)."""
    return _split(envelope)[1]


@lru_cache(maxsize=8)
def _parse_cached(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


_current_ring: KeyRing | None = None


def key_ring() -> KeyRing:
    """The configured key ring (parsed once; again when the setting changes)."""
    global _current_ring
    ring = _current_ring
    if ring is None:
        ring = _current_ring = _parse_cached(settings.FORESTALL_KEYS)
    return ring


def _clear_key_ring() -> None:
    global _current_ring
    _current_ring = None


key_ring.cache_clear = _clear_key_ring  # type: ignore[attr-defined]


@receiver(setting_changed)
def _forget_key_ring(*, setting: str, **kwargs: Any) -> None:
    # Tests (and override_settings) change FORESTALL_KEYS at run time.
    if setting == "FORESTALL_KEYS":
        _clear_key_ring()


def _associated_data_prefix(model: type[models.Model], field_name: str) -> str:
    concrete = model._meta.concrete_model or model
    return f"forestall:{concrete._meta.label_lower}:{field_name}:"


def associated_data(model: type[models.Model], field_name: str, pk: Any) -> bytes:
    """Bind a ciphertext to its model, field and row.

    A proxy model shares its concrete model's rows, so it binds to that.
    """
    return _associated_data_prefix(model, field_name).encode() + _row_bytes(pk)


def _row_bytes(pk: Any) -> bytes:
    """The row part of the associated data.

    A UUID's 16 raw bytes (cheaper to build than its text on every read); a
    UUID given as text is normalised first, so that an instance created with
    ``pk="…"`` binds exactly like the same row read back from the database.
    """
    if type(pk) is uuid.UUID:
        return pk.bytes
    if isinstance(pk, str):
        try:
            return uuid.UUID(pk).bytes
        except ValueError:
            pass
    return str(pk).encode()


class _Sealed(str):
    """An envelope straight from the database, not yet decrypted."""

    __slots__ = ()


class _EncryptedDescriptor:
    """Decrypts on first read from an instance, using the instance's primary key."""

    def __init__(self, field: _EncryptedMixin) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        if self.field.attname not in instance.__dict__:
            # Deferred (``.only()``/``.defer()``): fetch it like Django would.
            instance.refresh_from_db(fields=[self.field.attname])
        value = instance.__dict__.get(self.field.attname)
        if type(value) is _Sealed:
            value = self.field.open(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class _EncryptedMixin:
    """Shared behaviour of the encrypted fields; values are sealed in ``pre_save``."""

    attname: str
    name: str
    model: type[models.Model]

    def _encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def _decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)  # type: ignore[misc]
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value if value is None else self._empty()
        return _Sealed(value)

    def _empty(self) -> Any:
        return ""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None:
            return None
        if isinstance(value, _Sealed):
            return str(value)
        if model_instance.pk is None:
            raise CryptoError(
                f"{model_instance._meta.label} needs a primary key assigned in Python "
                "before an encrypted field can be saved"
            )
        return self.seal(model_instance, value)

    def seal(self, instance: models.Model, value: Any) -> str:
        data = self._encode(value)
        return key_ring().encrypt(data, self._associated_data(type(instance), instance.pk))

    def open(self, instance: models.Model, envelope: str) -> Any:
        return self._decode(self.open_bytes(type(instance), instance.pk, envelope))

    def _associated_data(self, model: type[models.Model], pk: Any) -> bytes:
        prefixes: dict[type, bytes] | None = self.__dict__.get("_ad_prefixes")
        if prefixes is None:
            prefixes = self.__dict__["_ad_prefixes"] = {}
        prefix = prefixes.get(model)
        if prefix is None:
            prefix = prefixes[model] = _associated_data_prefix(model, self.name).encode()
        if type(pk) is uuid.UUID:
            return prefix + pk.bytes
        return prefix + _row_bytes(pk)

    def open_bytes(self, model: type[models.Model], pk: Any, envelope: str) -> bytes:
        """Decrypt the envelope of this field at row ``pk`` of ``model``.

        Errors name the model, field, row and key id; never the plaintext or key.
        """
        ring = _current_ring or key_ring()
        try:
            return ring.decrypt(envelope, self._associated_data(model, pk))
        except UnknownKeyError as error:
            raise UnknownKeyError(f"{model._meta.label}.{self.name} (row {pk}): {error}") from None
        except DecryptionError as error:
            raise DecryptionError(f"{model._meta.label}.{self.name} (row {pk}): {error}") from None

    def reseal(self, model: type[models.Model], pk: Any, envelope: str) -> str:
        """The same plaintext, encrypted again under the newest key (for rotation)."""
        data = self.open_bytes(model, pk, envelope)
        return key_ring().encrypt(data, self._associated_data(model, pk))

    def get_prep_value(self, value: Any) -> Any:
        # Lookups on ciphertext are meaningless; only None/"" pass through.
        if value is None or isinstance(value, _Sealed):
            return value
        if isinstance(value, str) and value.startswith(f"{ENVELOPE_PREFIX}:"):
            return value
        if value == "":
            return ""
        raise CryptoError(f"{self.name} is encrypted and cannot be filtered or updated in SQL")


class EncryptedTextField(_EncryptedMixin, models.TextField):
    """Free text stored as an AES-GCM envelope."""

    def _encode(self, value: Any) -> bytes:
        return str(value).encode()

    def _decode(self, data: bytes) -> str:
        return data.decode()


class EncryptedJSONField(_EncryptedMixin, models.TextField):
    """A JSON value stored as an AES-GCM envelope (the column is text)."""

    def _encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()

    def _decode(self, data: bytes) -> Any:
        return json.loads(data)

    def _empty(self) -> Any:
        return None

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if model_instance.__dict__.get(self.attname) == "":
            return ""
        return super().pre_save(model_instance, add)


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    """The encrypted fields of a model (used by key rotation and tests)."""
    return [field for field in model._meta.concrete_fields if isinstance(field, _EncryptedMixin)]


def encrypted_models() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every installed concrete model with encrypted fields, and those fields."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return found


@checks.register(checks.Tags.security)
def check_key_ring(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``forestall check`` (and every management command) validates the key ring."""
    try:
        KeyRing.parse(settings.FORESTALL_KEYS)
    except KeyRingError as error:
        return [checks.Error(str(error), id="forestall.E001", obj="FORESTALL_KEYS")]
    return []
