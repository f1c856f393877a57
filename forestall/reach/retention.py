"""Retention of reach partners: an organisation's contact, not a help-seeker's.

A partner's contact (encrypted) is kept while the partnership lasts; a
network admin deletes the partner when it ends.
"""

from __future__ import annotations

from forestall.lib.retention import exempt

exempt(
    "reach.Partner",
    "a partner organisation's contact, kept while the partnership lasts",
)
