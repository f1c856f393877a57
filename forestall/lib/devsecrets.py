"""Secrets for development, generated once into the data directory.

Only used when ``FORESTALL_DEBUG=1``; production (and the test suite, which
sets test values in ``tests/environment.py``) reads
every secret from the environment and refuses to start without it. The file is
created with mode 0600 and written atomically, so two processes starting at
once agree on the same values.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

_FILE_NAME = "secrets.json"


def _generate(name: str) -> str:
    if name == "FORESTALL_KEYS":
        return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    if name == "FORESTALL_REACH_SIGNING_KEYS":  # an Ed25519 seed
        return "r1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(48)


def load_or_create(var_dir: Path, name: str) -> str:
    """Return the development value of secret ``name``, creating it if needed."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / _FILE_NAME
    for _attempt in range(5):
        try:
            values: dict[str, str] = json.loads(path.read_text())
        except FileNotFoundError:
            values = {}
        except json.JSONDecodeError:
            values = {}
        if name in values:
            return values[name]
        values[name] = _generate(name)
        temporary = var_dir / f".{_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle, indent=2)
        if name in _read(path):
            temporary.unlink()
            continue
        os.replace(temporary, path)
    return _read(path)[name]


def _read(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
