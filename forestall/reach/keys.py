"""Partner API keys: made once, stored as a keyed hash, looked up by prefix.

Threat model: a stolen database must not yield usable keys, and a guessed or
replayed key must not open another partner's data. A key is
``fsr_<prefix>_<secret>`` with 10 hex characters of prefix and 256 bits of
secret; only the prefix and ``HMAC-SHA256(FORESTALL_PEPPER, key)`` are
stored, and comparison is constant-time. Each key belongs to one partner and
can act only for it; a revoked key is refused like an unknown one; each key
has its own request budget per minute (``FORESTALL_REACH_KEY_RATE``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "fsr_"
_KEY_FORMAT = re.compile(r"^fsr_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$")


def new_key() -> tuple[str, str]:
    """A fresh key and its prefix."""
    prefix = secrets.token_hex(5)
    return f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def key_hash(key: str) -> str:
    return hmac.new(settings.FORESTALL_PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()


def prefix_of(key: str) -> str | None:
    """The prefix of a well-formed key, else None (nothing is looked up for a malformed one)."""
    found = _KEY_FORMAT.match(key)
    return found.group(1) if found else None


def matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(key), stored_hash)


def over_rate(prefix: str, now: float | None = None) -> bool:
    """Count one request of key ``prefix``; True once it exceeds its budget this minute."""
    window = int((time.time() if now is None else now) // 60)
    name = f"reach-key:{prefix}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        used = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=120)
        used = 1
    return used > settings.FORESTALL_REACH_KEY_RATE
