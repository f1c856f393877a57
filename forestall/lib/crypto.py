"""Encryption at rest: a key ring and AES-GCM encrypted model fields.

Threat model: a stolen database, dump or backup. Sensitive free text (message
bodies, notes, free-text answers, contact details, concern descriptions) is
stored only as ciphertext; the keys live outside the database, in the
``FORESTALL_KEYS`` environment variable. A ciphertext is bound to its model,
field and row through AES-GCM associated data, so an attacker with write access
to the database cannot move a ciphertext into another row or field (for
example to show one person's message in another person's mailbox): it fails to
decrypt instead.

Envelope (a binary column: ``BLOB`` on SQLite, ``bytea`` on PostgreSQL)::

    b"fe2" | one byte: length of the key id | key id (ASCII) | nonce (12) | ciphertext+tag

Associated data: ``forestall:<app.model>:<field>:`` followed by the row's
UUID as 16 raw bytes (other primary keys as text). Version 1 was the same
nonce, ciphertext and associated data as text, ``fe1:<key id>:<base64>``; the
``*_binary_envelopes`` migrations convert it (``forestall.lib.crypto_migration``),
and ``KeyRing.decrypt`` and ``rotate-keys`` still read it.

Key ring: ``FORESTALL_KEYS="k1:<base64 32 bytes>,k2:<base64 32 bytes>"`` (or a
JSON object ``{"k1": "...", "k2": "..."}``). Every key decrypts; the *last*
one encrypts. ``forestall rotate-keys`` re-encrypts every field under the
newest key, after which older keys can be removed.

How the fields work: the database value is decrypted lazily when the attribute
is read from a model instance, because only the instance knows its primary key
(part of the associated data). In an instance's ``__dict__`` an envelope is
``bytes`` (straight from the database, still sealed) and plaintext is ``str``
(text fields) or a JSON value (never ``bytes``), so no wrapper or database
converter is needed to tell them apart. Encrypted models need a primary key
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
from collections.abc import Callable
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

ENVELOPE_VERSION = b"fe2"
_LEGACY_PREFIX = "fe1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_MAX_KEY_ID = 64


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
    # Envelope header (version, key id length, key id) → cipher: one slice and
    # one lookup find the key of an envelope on the read path.
    _by_header: dict[bytes, AESGCM] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for key_id, material in self.keys:
            cipher = self._ciphers[key_id] = AESGCM(material)
            self._by_header[envelope_header(key_id)] = cipher

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
            if not (key_id.isascii() and key_id.isprintable()) or len(key_id) > _MAX_KEY_ID:
                raise KeyRingError(
                    f"key id {key_id!r} must be printable ASCII of at most {_MAX_KEY_ID} characters"
                )
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
            self.key(key_id)  # raises UnknownKeyError naming the id
        return self._ciphers[key_id]

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        """Encrypt under the newest key and return a (version 2) envelope."""
        key_id = self.current_id
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._ciphers[key_id].encrypt(nonce, plaintext, associated_data)
        return envelope_header(key_id) + nonce + ciphertext

    def decrypt(self, envelope: bytes | str, associated_data: bytes) -> bytes:
        """Decrypt an envelope; raise a CryptoError subclass if that is impossible.

        The careful path: every failure gets its own message naming the key id.
        (Model fields try a flat fast path first and come here when it fails.)
        """
        key_id, nonce, ciphertext = _parse(envelope)
        cipher = self._cipher(key_id)
        try:
            return cipher.decrypt(nonce, ciphertext, associated_data)
        except InvalidTag:
            raise DecryptionError(
                f"ciphertext under key id {key_id!r} failed authentication "
                "(changed, moved from another row or field, or a different key with that id)"
            ) from None


def envelope_header(key_id: str) -> bytes:
    """The first bytes of every envelope encrypted under ``key_id``."""
    encoded = key_id.encode("ascii")
    return ENVELOPE_VERSION + bytes((len(encoded),)) + encoded


def _parse(envelope: bytes | str) -> tuple[str, bytes, bytes]:
    """Key id, nonce and ciphertext of an envelope (version 2, or version 1 text)."""
    if isinstance(envelope, str):
        envelope = envelope.encode("ascii", "replace")
    if envelope.startswith(ENVELOPE_VERSION):
        if len(envelope) < 4:
            raise DecryptionError("envelope is truncated")
        end = 4 + envelope[3]
        key_id = envelope[4:end].decode("ascii", "replace")
        if len(envelope) < end + _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError(f"envelope under key id {key_id!r} is too short")
        return key_id, envelope[end : end + _NONCE_BYTES], envelope[end + _NONCE_BYTES :]
    if envelope.startswith(b"fe1:"):
        parts = envelope.split(b":", 2)
        if len(parts) != 3:
            raise DecryptionError("value is not an encryption envelope")
        key_id = parts[1].decode("ascii", "replace")
        try:
            raw = binascii.a2b_base64(parts[2], strict_mode=True)
        except (binascii.Error, ValueError):
            raise DecryptionError(f"envelope under key id {key_id!r} is not valid base64") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError(f"envelope under key id {key_id!r} is too short")
        return key_id, raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    raise DecryptionError(f"unknown envelope version {bytes(envelope[:3])!r}")


def legacy_to_binary(envelope: str | bytes) -> bytes:
    """A version 1 text envelope as version 2, without decrypting (for migrations).

    Key id, nonce, ciphertext and associated data stay the same.
    """
    key_id, nonce, ciphertext = _parse(envelope)
    return envelope_header(key_id) + nonce + ciphertext


def binary_to_legacy(envelope: bytes) -> str:
    """A version 2 envelope as version 1 text (for reversing the migration)."""
    key_id, nonce, ciphertext = _parse(envelope)
    payload = binascii.b2a_base64(nonce + ciphertext, newline=False).decode()
    return f"{_LEGACY_PREFIX}:{key_id}:{payload}"


def envelope_key_id(envelope: bytes | str) -> str:
    """The key id an envelope was encrypted under (for rotation progress)."""
    return _parse(envelope)[0]


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


class _EncryptedDescriptor:
    """Decrypts on first read from an instance, using the instance's primary key.

    Every encrypted value read from the database passes through ``__get__``
    once, so the common case (an envelope under a known key, a UUID primary
    key) is decrypted here in one flat block; anything else (an empty value,
    an unknown key, a tampered or moved ciphertext, a version 1 envelope) goes
    to ``_EncryptedMixin.open``, which decrypts carefully or raises the
    precise, named error.
    """

    __slots__ = ("_decode", "_rows", "attname", "field")

    def __init__(self, field: _EncryptedMixin) -> None:
        self.field = field
        self.attname = field.attname
        self._decode = field._decode
        # Per model class: (associated-data prefix, primary-key attname).
        self._rows: dict[type, tuple[bytes, str]] = {}

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        values = instance.__dict__
        try:
            value = values[self.attname]
        except KeyError:
            # Deferred (``.only()``/``.defer()``): fetch it like Django would.
            instance.refresh_from_db(fields=[self.attname])
            value = values.get(self.attname)
        if type(value) is not bytes:
            return value  # plaintext (or None)
        try:
            prefix, pk_attname = self._rows[type(instance)]
            end = 4 + value[3]
            cipher = (_current_ring or key_ring())._by_header[value[:end]]
            nonce = value[end : end + _NONCE_BYTES]
            data = cipher.decrypt(
                nonce, value[end + _NONCE_BYTES :], prefix + values[pk_attname].bytes
            )
        except Exception:  # the careful path below decrypts or names the error
            opened = self.field.open(instance, value)
            self._remember(type(instance))
        else:
            opened = self._decode(data)
        values[self.attname] = opened
        return opened

    def _remember(self, model: type[models.Model]) -> None:
        pk = model._meta.pk
        if pk is not None and isinstance(pk, models.UUIDField):
            self._rows[model] = (self.field._ad_prefix(model), pk.attname)

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.attname] = value


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

    def get_internal_type(self) -> str:
        # The column holds envelope bytes: BLOB on SQLite, bytea on PostgreSQL.
        # Both drivers return ``bytes``, so no converter runs on the read path.
        return "BinaryField"

    def _empty(self) -> Any:
        return ""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None:
            return None
        if type(value) is bytes:
            # Never read since loading: the stored envelope as it is
            # (``get_prep_value`` checks that it is one on the way out).
            return value
        if model_instance.pk is None:
            raise CryptoError(
                f"{model_instance._meta.label} needs a primary key assigned in Python "
                "before an encrypted field can be saved"
            )
        return self.seal(model_instance, value)

    def seal(self, instance: models.Model, value: Any) -> bytes:
        data = self._encode(value)
        return key_ring().encrypt(data, self._associated_data(type(instance), instance.pk))

    def open(self, instance: models.Model, envelope: bytes | str) -> Any:
        if not envelope:
            return self._empty()
        return self._decode(self.open_bytes(type(instance), instance.pk, envelope))

    def _ad_prefix(self, model: type[models.Model]) -> bytes:
        prefixes: dict[type, bytes] | None = self.__dict__.get("_ad_prefixes")
        if prefixes is None:
            prefixes = self.__dict__["_ad_prefixes"] = {}
        prefix = prefixes.get(model)
        if prefix is None:
            prefix = prefixes[model] = _associated_data_prefix(model, self.name).encode()
        return prefix

    def _associated_data(self, model: type[models.Model], pk: Any) -> bytes:
        return self._ad_prefix(model) + _row_bytes(pk)

    def open_bytes(self, model: type[models.Model], pk: Any, envelope: bytes | str) -> bytes:
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

    def row_opener(self, model: type[models.Model]) -> Callable[[bytes, bytes], bytes]:
        """``opener(row id as 16 bytes, envelope)``: the plaintext, for reading many rows fast.

        For bulk readers that select the raw column (the research export): the
        key ring and the associated data's prefix are looked up once, not per
        row. Any failure goes the careful way (``open_bytes``), which decrypts
        a legacy envelope or raises the error naming the row.
        """
        prefix = self._ad_prefix(model)
        by_header = (_current_ring or key_ring())._by_header

        def opener(row: bytes, envelope: bytes) -> bytes:
            try:
                end = 4 + envelope[3]
                nonce = envelope[end : end + _NONCE_BYTES]
                return by_header[envelope[:end]].decrypt(
                    nonce, envelope[end + _NONCE_BYTES :], prefix + row
                )
            except Exception:  # the careful path decrypts or names the error
                return self.open_bytes(model, uuid.UUID(bytes=row), envelope)

        return opener

    def reseal(self, model: type[models.Model], pk: Any, envelope: bytes | str) -> bytes:
        """The same plaintext, encrypted again under the newest key (for rotation)."""
        data = self.open_bytes(model, pk, envelope)
        return key_ring().encrypt(data, self._associated_data(model, pk))

    def get_prep_value(self, value: Any) -> Any:
        # Lookups on ciphertext are meaningless: only None, "" (stored as an
        # empty value) and envelopes (bytes, for rotation) pass through.
        if value is None:
            return value
        if type(value) is bytes:
            return _checked_envelope(self, value)
        if value == "":
            return b""
        raise CryptoError(f"{self.name} is encrypted and cannot be filtered or updated in SQL")


def _checked_envelope(field: _EncryptedMixin, value: bytes) -> bytes:
    """Bytes go to the column only if they are an envelope (or empty).

    Plaintext given as bytes by mistake would otherwise be stored unencrypted.
    """
    if value and not value.startswith((ENVELOPE_VERSION, b"fe1:")):
        raise CryptoError(
            f"{field.name} is encrypted: bytes written to it must be an envelope, not plaintext"
        )
    return value


class EncryptedTextField(_EncryptedMixin, models.TextField):
    """Free text stored as an AES-GCM envelope."""

    def _encode(self, value: Any) -> bytes:
        return str(value).encode()

    # bytes.decode itself: the read path calls it once per value.
    _decode = staticmethod(bytes.decode)  # type: ignore[assignment]


class EncryptedJSONField(_EncryptedMixin, models.TextField):
    """A JSON value stored as an AES-GCM envelope (the column is text)."""

    # For django-stubs: the attribute holds any JSON value, not the str of a TextField.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def _encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()

    def _decode(self, data: bytes) -> Any:
        return json.loads(data)

    def _empty(self) -> Any:
        return None

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if model_instance.__dict__.get(self.attname) == "":
            return b""
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
