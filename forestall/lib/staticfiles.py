"""The production static files storage, with each file's address remembered.

``{% static %}`` asks the storage for a file's hashed address on every page
that links it outside a kept part (a page's own script or style sheet); the
manifest storage works it out anew each time (splitting, normalising and
looking up the name: tens of microseconds). The manifest does not change
while a process runs (``collectstatic`` and a restart go together), so the
answer for a name is kept for the life of the process. Everything else is
whitenoise's ``CompressedManifestStaticFilesStorage``; a name missing from
the manifest still raises each time (nothing is kept for it).
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class RememberedManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._addresses: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return str(super().url(name, force))
        try:
            return self._addresses[name]
        except KeyError:
            address = self._addresses[name] = str(super().url(name))
            return address
