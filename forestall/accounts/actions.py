"""Changes to staff accounts that other parts of forestall must hear about."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.models import StaticDevice

from forestall.accounts.models import (
    BackupCode,
    BackupCodeSet,
    Membership,
    Role,
    User,
    backup_code_hash,
    membership_scope_error,
    new_backup_code,
)
from forestall.audit.actions import record_event
from forestall.lib.locking import lock_rows
from forestall.lib.recorded_texts import recorded_text

# The reason of a role granted with ``forestall grant-role`` (shown translated).
GRANTED_ON_THE_COMMAND_LINE = recorded_text(gettext_noop("command line"))

if TYPE_CHECKING:
    from forestall.directory.models import Centre

BACKUP_CODE_COUNT = 10


def generate_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with a fresh set and return them, the only time they exist.

    Only keyed hashes are stored (``BackupCodeSet``), so the caller shows the
    returned codes once and keeps them nowhere. Each code works once. Old
    codes stop working at once (also any django-otp clear codes left from
    before the upgrade), so a printed sheet that was lost can be made useless
    by generating a new set.

    The user's row is locked first: two tabs making the first set at the
    same moment both found no set and made one each, and the older set's
    codes kept working after every later "new set" (which replaces only one).
    """
    with transaction.atomic():
        lock_rows(User.objects.filter(pk=user.pk))
        device = BackupCodeSet.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = BackupCodeSet.objects.create(user=user, name="backup", confirmed=True)
        elif not device.confirmed:
            BackupCodeSet.objects.filter(pk=device.pk).update(confirmed=True)
        device.codes.all().delete()
        StaticDevice.objects.filter(user=user).delete()
        codes: list[str] = []
        while len(codes) < BACKUP_CODE_COUNT:
            code = new_backup_code()
            if code not in codes:  # 40 random bits: a repeat is all but impossible
                codes.append(code)
        BackupCode.objects.bulk_create(
            BackupCode(device=device, code_hash=backup_code_hash(user.pk, code)) for code in codes
        )
        record_event(user, "account.backup_codes.generate", user)
    return codes


def record_second_factor_enrolment(user: User) -> None:
    """Audit that ``user`` set up a TOTP authenticator (the device itself is two_factor's)."""
    record_event(user, "account.two_factor.enrol", user)


def record_sign_in(user: User) -> None:
    """Audit a completed two-factor sign-in."""
    record_event(user, "account.sign_in", user)


def record_sign_out(user: User) -> None:
    """Audit a sign-out (the session is flushed by the view)."""
    record_event(user, "account.sign_out", user)


# Roles whose holder reads or changes case data (messages, cases, concerns,
# waiting lists). Nobody grants one of these to themselves: a network admin who
# needs to look into a case breaks the glass, with a reason and an expiry.
CASE_DATA_ROLES = frozenset(
    {Role.COUNSELLOR, Role.CLINICIAN, Role.SAFEGUARDING_LEAD, Role.CENTRE_MANAGER}
)


class SelfGrantRefused(Exception):
    """Someone tried to give themselves a role that opens case data."""


def _where(centre: Centre | None) -> str:
    return f"at {centre.slug}" if centre is not None else "network-wide"


def check_role_grant(user: User, role: str, *, by: User | None) -> None:
    """Raise ``SelfGrantRefused`` if ``by`` would give themselves a case-data role."""
    if by is not None and by.pk == user.pk and role in CASE_DATA_ROLES:
        raise SelfGrantRefused(
            "a role that opens case data cannot be granted to oneself; "
            "use break the glass (with a reason and an expiry) instead"
        )


def grant_role(
    user: User, role: str, centre: Centre | None, *, by: User | None, reason: str = ""
) -> Membership:
    """Give ``user`` a role at ``centre`` (or network-wide), audited, in one transaction.

    Refuses (``SelfGrantRefused``) a role that opens case data to the person
    granting it. ``by`` None means the command line on the server.
    """
    check_role_grant(user, role, by=by)
    scope_error = membership_scope_error(role, has_centre=centre is not None)
    if scope_error:
        raise ValueError(scope_error)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, centre=centre, role=role)
        if created:
            record_event(
                by,
                "membership.grant",
                membership,
                centre=centre,
                reason=reason or f"{user.get_username()}: {role} {_where(centre)}",
            )
    return membership


def save_membership(membership: Membership, *, by: User | None, created: bool) -> Membership:
    """Save a role given or changed in the admin, audited (grants checked as above)."""
    check_role_grant(membership.user, membership.role, by=by)
    with transaction.atomic():
        membership.save()
        record_event(
            by,
            "membership.grant" if created else "membership.change",
            membership,
            centre=membership.centre,
            reason=f"{membership.user.get_username()}: {membership.role} "
            f"{_where(membership.centre)}",
        )
    return membership


def revoke_role(membership: Membership, *, by: User | None) -> None:
    """Take a role away, audited, in one transaction."""
    with transaction.atomic():
        record_event(
            by,
            "membership.revoke",
            membership,
            centre=membership.centre,
            reason=f"{membership.user.get_username()}: {membership.role} "
            f"{_where(membership.centre)}",
        )
        membership.delete()


def record_admin_change(by: User | None, verb: str, obj: Any, message: str = "") -> None:
    """One audit entry for a change made in the admin site (``admin.add|change|delete``).

    The entry names the model and object and, for a change, which fields
    changed (never their values).
    """
    meta = getattr(obj, "_meta", None)
    label = meta.label_lower if meta is not None else type(obj).__name__
    target = obj if isinstance(getattr(obj, "pk", None), uuid.UUID) else None
    reason = f"{label} {getattr(obj, 'pk', '')}: {message}".strip().rstrip(":")
    centre = obj if meta is not None and meta.label_lower == "directory.centre" else None
    record_event(by, f"admin.{verb}", target, centre=centre, reason=reason)
