"""forestall's own ``forestall check --deploy`` checks.

Threat model: a production server configured carelessly. Django's deploy
checks know nothing of forestall's secrets, of the proxies in front of it or
of how deleted rows leave the database files, so these add:

- E101: every secret (secret key, pepper, audit key) long and random enough
  (at least 32 characters and about 128 bits by a character-frequency
  estimate): a pepper of ``x`` makes every codename hash brute-forceable
  together with the database, an audit key of ``x`` lets anyone rewrite the
  audit chain;
- E102: ``FORESTALL_TRUSTED_PROXIES`` declared in the environment, so that the
  operator has decided whether forwarded headers count (0 for none, 1 behind
  nginx or Caddy on the same host, also in front of an onion service);
- E103: ``REDIS_URL`` when more than one worker process serves forestall
  (``FORESTALL_WORKERS`` or ``WEB_CONCURRENCY``), or every process would keep
  its own rate-limit counts;
- E104: SQLite's ``secure_delete`` is in force (deleted rows overwritten);
- E105: every key of the key ring (``FORESTALL_KEYS``) looks like 32 random
  bytes: not typed text (every byte printable), not repetitive or a counting
  pattern, and not the same material under two ids (a "rotation" to it would
  change nothing). ``forestall.E001`` already refuses a key of the wrong
  length or encoding; a key of 32 zero bytes or a base64-encoded passphrase
  passes that and would make every encrypted field readable to whoever
  guesses it.
- E106: ``FORESTALL_SITE_URL`` is an ``https://`` origin (or an ``http://``
  onion address) without a path: it is the address of every link the reach
  catalogue and fragments hand to partners, signed, so a wrong one sends
  people who looked for help to nowhere or over plain HTTP.
- E107: the static files have been collected where the server looks for them
  (``STATIC_ROOT``, ``$FORESTALL_VAR/static``): without the manifest every
  page that links a style sheet fails with a server error. ``FORESTALL_VAR``
  defaults to ``./var`` of the directory a command starts in, so a server
  started elsewhere (a service manager starts in ``/``) than where
  ``collectstatic`` ran finds nothing.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from typing import Any

from django.conf import settings
from django.core import checks

MINIMUM_SECRET_LENGTH = 32
MINIMUM_SECRET_BITS = 128
# The character-frequency estimate of 32 random bytes (and of their 31
# successive differences) lies between 134 and 160 bits (300,000 samples); 120
# never refuses a random key, and refuses zeros, repeats and counting patterns.
MINIMUM_KEY_BITS = 120
_SECRETS = ("SECRET_KEY", "FORESTALL_PEPPER", "FORESTALL_AUDIT_KEY", "FORESTALL_RESEARCH_SECRET")


def estimated_bits(secret: str | bytes) -> float:
    """A conservative entropy estimate: length times the Shannon entropy of its characters."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    total = len(secret)
    per_character = -sum((n / total) * math.log2(n / total) for n in counts.values())
    return per_character * total


@checks.register(checks.Tags.security, deploy=True)
def check_secrets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    secrets_by_name = {
        "SECRET_KEY": settings.SECRET_KEY,
        "FORESTALL_PEPPER": settings.FORESTALL_PEPPER,
        "FORESTALL_AUDIT_KEY": settings.FORESTALL_AUDIT_KEY,
        "FORESTALL_RESEARCH_SECRET": settings.FORESTALL_RESEARCH_SECRET,
    }
    for name in _SECRETS:
        value = str(secrets_by_name[name] or "")
        if len(value) < MINIMUM_SECRET_LENGTH or estimated_bits(value) < MINIMUM_SECRET_BITS:
            environment_name = "FORESTALL_SECRET_KEY" if name == "SECRET_KEY" else name
            problems.append(
                checks.Error(
                    f"{environment_name} is too short or not random enough "
                    f"(at least {MINIMUM_SECRET_LENGTH} characters, about "
                    f"{MINIMUM_SECRET_BITS} bits).",
                    hint="Generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'",
                    id="forestall.E101",
                    obj=environment_name,
                )
            )
    return problems


@checks.register(checks.Tags.security, deploy=True)
def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if "FORESTALL_TRUSTED_PROXIES" in os.environ:
        return []
    return [
        checks.Error(
            "FORESTALL_TRUSTED_PROXIES is not declared.",
            hint="Set it to the number of proxies in front of forestall that append to "
            "X-Forwarded-For: 0 for none, 1 behind nginx or Caddy on the same host "
            "(also in front of an onion service; docs/operating.md).",
            id="forestall.E102",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_shared_counts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    workers = int(settings.FORESTALL_WORKERS or 1)
    if workers > 1 and not settings.REDIS_URL:
        return [
            checks.Error(
                f"{workers} worker processes but no REDIS_URL: each would keep its own "
                "rate-limit and sign-in delay counts.",
                hint="Set REDIS_URL (docs/operating.md).",
                id="forestall.E103",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_secure_delete(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.db import DatabaseError

    from forestall.lib.erasure import secure_delete_enabled

    try:
        enabled = secure_delete_enabled()
    except DatabaseError as error:
        return [
            checks.Error(
                f"The database cannot be reached to check secure delete: {error}",
                id="forestall.E104",
            )
        ]
    if enabled:
        return []
    return [
        checks.Error(
            "SQLite's secure_delete is off: deleted rows would stay readable in the file.",
            hint="Keep forestall's default database OPTIONS (init_command) or use PostgreSQL.",
            id="forestall.E104",
        )
    ]


def _key_weakness(material: bytes) -> str:
    """Why ``material`` does not look like random bytes ("" if it does). Never shows the key."""
    if all(0x20 <= byte < 0x7F for byte in material):
        return "every byte is printable text (a passphrase, not random bytes)"
    differences = bytes((b - a) % 256 for a, b in itertools.pairwise(material))
    if min(estimated_bits(material), estimated_bits(differences)) < MINIMUM_KEY_BITS:
        return "it repeats or follows a pattern"
    return ""


@checks.register(checks.Tags.security, deploy=True)
def check_key_ring_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from forestall.lib.crypto import KeyRing, KeyRingError

    try:
        ring = KeyRing.parse(settings.FORESTALL_KEYS)
    except KeyRingError:
        return []  # forestall.E001 names the problem
    problems: list[checks.CheckMessage] = []
    first_id_of: dict[bytes, str] = {}
    for key_id, material in ring.keys:
        weakness = _key_weakness(material)
        if weakness:
            problems.append(
                checks.Error(
                    f"FORESTALL_KEYS: key {key_id!r} is not 32 random bytes: {weakness}.",
                    hint='Generate each key with: python -c "import base64, secrets; '
                    'print(base64.b64encode(secrets.token_bytes(32)).decode())"',
                    id="forestall.E105",
                    obj="FORESTALL_KEYS",
                )
            )
        earlier = first_id_of.setdefault(material, key_id)
        if earlier != key_id:
            problems.append(
                checks.Error(
                    f"FORESTALL_KEYS: key {key_id!r} is the same key as {earlier!r}; "
                    "rotating to it would change nothing.",
                    hint="Give every key id its own newly generated key.",
                    id="forestall.E105",
                    obj="FORESTALL_KEYS",
                )
            )
    return problems


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from urllib.parse import urlsplit

    parts = urlsplit(settings.FORESTALL_SITE_URL)
    onion = parts.scheme == "http" and (parts.hostname or "").endswith(".onion")
    if (parts.scheme == "https" or onion) and parts.hostname and parts.path in ("", "/"):
        return []
    return [
        checks.Error(
            f"FORESTALL_SITE_URL ({settings.FORESTALL_SITE_URL!r}) is not an https:// origin.",
            hint="Set it to the public address of the site, e.g. https://help.example "
            "(docs/operating.md).",
            id="forestall.E106",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_collected_static(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin) or storage.exists(storage.manifest_name):
        return []
    return [
        checks.Error(
            f"No collected static files in {settings.STATIC_ROOT} (no "
            f"{storage.manifest_name}): every page would fail with a server error.",
            hint="Set FORESTALL_VAR to an absolute path for every forestall command and the "
            "server, and run: forestall collectstatic --noinput (docs/operating.md).",
            id="forestall.E107",
        )
    ]
