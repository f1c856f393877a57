"""Retention of staff accounts' personal data: none is erased on a timer.

A staff account is kept while the person works for the network; an admin
deletes it when they leave, and its second factor goes with it.
"""

from __future__ import annotations

from forestall.lib.retention import exempt

exempt(
    "accounts.TOTPAuthenticator",
    "a staff member's second factor: kept while the account exists, deleted with it",
)
exempt(
    "accounts.BackupCodeSet",
    "a staff member's backup codes (keyed hashes): kept while the account exists, deleted with it",
)
