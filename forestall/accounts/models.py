"""Staff identity: users, and the roles they hold per centre or network-wide."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
import uuid
from binascii import unhexlify
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin, VerifyNotAllowed
from django_otp.oath import TOTP
from django_otp.util import hex_validator, random_hex

from forestall.lib.crypto import EncryptedTextField
from forestall.lib.prepared import PreparedLookup
from forestall.lib.requestmemo import remember


class Role(models.TextChoices):
    COUNSELLOR = "counsellor", _("Counsellor")
    CLINICIAN = "clinician", _("Clinician")
    SAFEGUARDING_LEAD = "safeguarding_lead", _("Safeguarding lead")
    CENTRE_MANAGER = "centre_manager", _("Centre manager")
    NETWORK_ADMIN = "network_admin", _("Network admin")
    ANALYST = "analyst", _("Analyst")


# Roles that are held at one centre (a membership with a centre), and roles that
# only exist network-wide (a membership without a centre). Counsellors and
# safeguarding leads may also hold their role network-wide: a network counsellor
# answers conversations addressed to the network as a whole.
CENTRE_ROLES = frozenset(
    {Role.COUNSELLOR, Role.CLINICIAN, Role.SAFEGUARDING_LEAD, Role.CENTRE_MANAGER}
)
NETWORK_ONLY_ROLES = frozenset({Role.NETWORK_ADMIN, Role.ANALYST})
NETWORK_CAPABLE_ROLES = frozenset({Role.COUNSELLOR, Role.SAFEGUARDING_LEAD}) | NETWORK_ONLY_ROLES


# django-otp's Device declares the user link in an untyped abstract base, so
# the stubs cannot name the reverse manager (``totpauthenticator_set``).
class User(AbstractUser):  # type: ignore[django-manager-missing]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The staff side's language; empty means the browser's preferred language.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=[("en", "English"), ("de", "Deutsch")],
    )
    # Which network admin changed the account last and when: an admin page
    # opened before that is refused (``lib.stale_edits``).
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    if TYPE_CHECKING:

        def is_verified(self) -> bool:
            """Set on the request's user by django_otp's middleware (second factor used)."""
            ...

    class Meta:
        ordering = ["username"]
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    # Set by ``changed_by`` for the next save only.
    _changed_by_named = False

    # Fields a save of which alone is no change of the account (``save``).
    NOT_CHANGES = frozenset({"last_login", "password", "updated_at", "updated_by"})

    def changed_by(self, actor: User | None) -> None:
        """Name who makes the next save of this account (None: nobody signed in, a command)."""
        self.updated_by = actor
        self._changed_by_named = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; ``updated_by`` always names who made a save that moves ``updated_at``.

        Paths that are not forestall's own save accounts too: Django's
        password forms (the admin's "change password", the ``changepassword``
        command), ``createsuperuser``. They moved ``updated_at`` and left
        ``updated_by`` naming whoever saved before, so the account's history
        and every stale-tab refusal named the wrong person. A save whose
        maker was not named with ``changed_by`` now names nobody (the
        refusal then says "—"), never someone else.

        A save of some fields (``update_fields``) is a change of the account,
        and moves ``updated_at``, unless it saves only bookkeeping no page
        edits (``NOT_CHANGES``: the last sign-in, a password hash upgraded at
        sign-in). The language chosen on the profile page was saved without
        moving it, so an admin page on the account opened before the choice
        was not refused and wrote the old language back over it.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {*update_fields} <= self.NOT_CHANGES:
            update_fields = kwargs["update_fields"] = {*update_fields, "updated_at"}
        if update_fields is None or "updated_at" in update_fields:
            if not self._changed_by_named:
                self.updated_by = None
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "updated_by"}
        self._changed_by_named = False
        super().save(*args, **kwargs)

    def memberships_with(self, *roles: str) -> models.QuerySet[Membership]:
        return self.memberships.filter(role__in=roles)

    def role_holdings(self) -> list[tuple[str, uuid.UUID | None]]:
        """(role, centre id or None for network-wide) of each of the user's memberships.

        Every question about the user's roles below is answered from this one
        list, which a request reads once and remembers until it ends
        (``forestall.lib.requestmemo``; a membership saved or deleted in the
        request drops it). Outside a request it is read afresh on each call.
        """
        return remember(
            ("role_holdings", self.pk),
            lambda: [(role, centre) for role, centre in _ROLE_HOLDINGS.rows(self.pk)],
        )

    def has_network_role(self, *roles: str) -> bool:
        """True if the user holds any of ``roles`` network-wide (no centre)."""
        return any(role in roles and centre is None for role, centre in self.role_holdings())

    def has_role_at(self, centre_id: uuid.UUID | str, *roles: str) -> bool:
        if not isinstance(centre_id, uuid.UUID):
            try:
                centre_id = uuid.UUID(str(centre_id))
            except ValueError:
                return False
        return any(role in roles and centre == centre_id for role, centre in self.role_holdings())

    def centre_ids_with(self, *roles: str) -> list[uuid.UUID]:
        """Ids of the centres at which the user holds any of ``roles`` (each once).

        The one definition of "centres where this person holds these roles"
        (``Centre.objects.where_holds`` filters on it). Network-wide roles
        hold at no centre, so they do not count here.
        """
        ids: dict[uuid.UUID, None] = {}
        for role, centre in self.role_holdings():
            if centre is not None and role in roles:
                ids[centre] = None
        return list(ids)

    @property
    def is_network_admin(self) -> bool:
        return self.has_network_role(Role.NETWORK_ADMIN)


# Asked on every staff request: compiled once (forestall.lib.prepared).
_ROLE_HOLDINGS: PreparedLookup[Membership] = PreparedLookup(
    "accounts.Membership", where=["user"], fields=["role", "centre_id"]
)


class Membership(models.Model):
    """A role held by a user, at a centre or (``centre`` empty) network-wide."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("staff member")
    )
    centre = models.ForeignKey(
        "directory.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("centre"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre", "role"], name="membership_unique_per_centre"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(centre__isnull=True),
                name="membership_unique_network",
            ),
        ]

    def __str__(self) -> str:
        where = self.centre.name if self.centre is not None else _("network")
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self) -> None:
        """Refuse a role held where it grants nothing.

        The gates read network admin and analyst only network-wide, and
        clinician and centre manager only at a centre: held the other way,
        the role would be saved and audited as granted, yet open nothing.
        """
        super().clean()
        scope_error = membership_scope_error(self.role, has_centre=self.centre_id is not None)
        if scope_error:
            raise ValidationError({"centre": scope_error})


def membership_scope_error(role: str, *, has_centre: bool) -> str:
    """Why ``role`` cannot be held with (or without) a centre, or "" if it can."""
    if not role:
        return ""
    label = Role(role).label if role in Role.values else role
    if has_centre and role in NETWORK_ONLY_ROLES:
        return str(_("%(role)s is a network-wide role: leave the centre empty.") % {"role": label})
    if not has_centre and role not in NETWORK_CAPABLE_ROLES:
        return str(_("%(role)s is held at a centre: choose the centre.") % {"role": label})
    return ""


def new_device_id() -> int:
    """A random 63-bit primary key for an authenticator.

    django-otp finds a device from the session by ``<app.model>/<int id>``, so
    the key must be an integer; the encrypted secret is bound to its row, so
    the id must be known before the row is inserted. Random, not sequential:
    nothing counts staff devices from an id.
    """
    return secrets.randbelow(2**63 - 2) + 1


def new_totp_secret() -> str:
    """20 random bytes (160 bits, RFC 4226's recommendation), hex-encoded."""
    return str(random_hex(20))


def validate_hex_secret(value: str) -> None:
    hex_validator()(value)


# The longest a person waits after wrong codes (docs/security.md, "Wrong codes:
# a wait of at most five minutes"). django-otp doubles the wait with every
# wrong code and without a ceiling (its own is a hundred years), so twenty
# wrong codes typed by someone who knows the password would keep the owner
# out for six days. At one guess per five minutes a six-digit code still
# takes years to guess (three codes in a million match a guess).
MAX_CODE_DELAY_SECONDS = 300
# A known browser's count of its own wrong codes is forgotten after an hour
# without a new one (as the password delays, forestall.accounts.signin_throttle).
KNOWN_BROWSER_MEMORY = 3600


def code_delay(failures: int, factor: int = 1) -> int:
    """Seconds before the next code is checked after ``failures`` wrong ones in a row.

    ``factor``, twice that, four times that … seconds, at most
    ``MAX_CODE_DELAY_SECONDS``.
    """
    if failures <= 0:
        return 0
    # 2**20 seconds is far past the ceiling: no need for larger powers.
    return int(min(MAX_CODE_DELAY_SECONDS, factor * 2 ** min(failures - 1, 20)))


class _ThrottleInPlace:
    """django-otp's throttling, capped, written as conditional ``UPDATE``s of its own columns.

    Threat model: someone who knows a staff member's password and types wrong
    codes to keep them out. django-otp's back-off doubles without a ceiling;
    here the wait stops growing at ``MAX_CODE_DELAY_SECONDS``, so wrong codes
    cost their owner at most that wait, while guessing stays slow. And the
    owner's own browser does not pay for them at all: a browser that completed
    a full sign-in to this account before (it carries the signed device
    cookie, ``forestall.accounts.signin_throttle``) is counted on its own, in
    the cache (``known_browser``, set by the sign-in view), so wrong codes
    typed anywhere else never hold it back, and its own wrong codes are slowed
    exactly as much. A device cookie is only ever given after the second
    factor, so whoever is guessing the code cannot have one.

    django-otp saves the whole device after a failure or a success; a full
    ``save()`` from an instance loaded before a concurrent verification could
    write back state that request changed (a used time step, a used code).
    Here only the throttling columns change, and the count goes up in the
    database (``F() + 1``), so concurrent failures all count.
    """

    pk: Any
    throttling_failure_timestamp: Any
    throttling_failure_count: int
    # The cache key of a known browser's own count (None: the device's columns).
    known_browser: str | None = None

    def _failures(self) -> tuple[int, Any]:
        """Wrong codes in a row and the time of the last, for whoever is counted here."""
        if self.known_browser is None:
            return self.throttling_failure_count, self.throttling_failure_timestamp
        return cache.get(self.known_browser) or (0, None)

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """django-otp's check (same answer, same details), with the wait capped."""
        failures, last_failure = self._failures()
        if self.throttling_enabled and failures > 0 and last_failure is not None:  # type: ignore[attr-defined]
            locked_until = last_failure + timedelta(
                seconds=code_delay(failures, self.get_throttle_factor())  # type: ignore[attr-defined]
            )
            if timezone.now() < locked_until:
                return False, {
                    "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                    "failure_count": failures,
                    "locked_until": locked_until,
                }
        # Past ThrottlingMixin (whose uncapped check this replaces) to Device's.
        return Device.verify_is_allowed(self)  # type: ignore[arg-type]

    def throttle_increment(self, commit: bool = True) -> None:
        now = timezone.now()
        if self.known_browser is not None:
            failures, _last = self._failures()
            cache.set(self.known_browser, (failures + 1, now), timeout=KNOWN_BROWSER_MEMORY)
            return
        self.throttling_failure_timestamp = now
        self.throttling_failure_count += 1
        if commit:
            type(self).objects.filter(pk=self.pk).update(  # type: ignore[attr-defined]
                throttling_failure_timestamp=now,
                throttling_failure_count=F("throttling_failure_count") + 1,
            )

    def throttle_reset(self, commit: bool = True) -> None:
        if self.known_browser is not None:
            cache.delete(self.known_browser)
            return
        self.throttling_failure_timestamp = None
        self.throttling_failure_count = 0
        if commit:
            type(self).objects.filter(pk=self.pk).update(  # type: ignore[attr-defined]
                throttling_failure_timestamp=None, throttling_failure_count=0
            )

    def _reset_on_success(self) -> dict[str, Any]:
        """What a success resets in its own ``UPDATE``: the device's count, if counted there.

        A known browser's success resets only its own count (``_succeeded``);
        the device's count of wrong codes typed elsewhere stays, so a guesser
        gains no fresh short waits from the owner signing in.
        """
        if self.known_browser is not None:
            return {}
        return {"throttling_failure_count": 0, "throttling_failure_timestamp": None}

    def _succeeded(self) -> None:
        if self.known_browser is not None:
            cache.delete(self.known_browser)


class TOTPAuthenticator(_ThrottleInPlace, TimestampMixin, ThrottlingMixin, Device):
    """A person's authenticator app (TOTP), its shared secret encrypted with the key ring.

    Threat model: a stolen database, dump or backup. django-otp's own
    ``TOTPDevice`` keeps the secret in clear, so whoever reads the table and
    learns a password passes that person's second factor. Here the secret is
    an AES-GCM envelope (``forestall.lib.crypto``) bound to this model, field
    and row: the database alone yields nothing, and a secret copied into
    another row fails to decrypt. The key ring lives outside the database.

    Verification is django-otp's TOTP (RFC 6238): ``step``, ``digits``,
    ``tolerance`` steps either side, ``drift`` learned from accepted codes,
    exponential throttling after failures (capped at
    ``MAX_CODE_DELAY_SECONDS``). Replay protection is stricter than
    django-otp's: ``last_t`` only moves forward in one conditional ``UPDATE``,
    so of two requests carrying the same code (even at the same moment) only
    one succeeds, and no stale save can move it back.
    """

    id = models.BigIntegerField(primary_key=True, default=new_device_id, editable=False)
    # The shared secret, hex-encoded as in django-otp, stored as an envelope.
    key = EncryptedTextField(default=new_totp_secret, validators=[validate_hex_secret])
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @property
    def bin_key(self) -> bytes:
        """The secret as bytes (decrypted on first read)."""
        return unhexlify(self.key.encode())

    def get_throttle_factor(self) -> int:
        # Seconds before the next try after one failure, doubling with each
        # further one up to MAX_CODE_DELAY_SECONDS (django-otp's default
        # factor for TOTP devices).
        return 1

    def verify_token(self, token: Any) -> bool:
        """True if ``token`` is a code of this authenticator not accepted before."""
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        verified = False
        try:
            code = int(token)
        except (TypeError, ValueError):
            code = None
        if code is not None:
            generator = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            generator.time = time.time()
            if generator.verify(code, self.tolerance, self.last_t + 1):
                verified = self._claim_time_step(generator.t(), generator.drift)
        if verified:
            self._succeeded()
        else:
            self.throttle_increment()
        return verified

    def _claim_time_step(self, time_step: int, drift: int) -> bool:
        """Record ``time_step`` as used, unless it (or a later one) already is.

        One conditional ``UPDATE``: the database decides which of two
        concurrent requests with the same code wins.
        """
        changes: dict[str, Any] = {
            "last_t": time_step,
            **self._reset_on_success(),
            "last_used_at": timezone.now(),
        }
        changes["drift"] = drift  # follow the app's clock (django-otp's OTP_TOTP_SYNC default)
        claimed = type(self).objects.filter(pk=self.pk, last_t__lt=time_step).update(**changes)
        if claimed:
            for name, value in changes.items():
                setattr(self, name, value)
        return bool(claimed)


# --- Backup codes -------------------------------------------------------------

# What a code looks like: 8 characters of base32 (40 random bits), as
# django-otp made them, so printed sheets from before keep their shape.
BACKUP_CODE_BYTES = 5
# Longer input is refused before it is hashed (a code is 8 characters; this
# leaves room for spaces and hyphens typed between them).
BACKUP_CODE_MAX_INPUT = 64
_BACKUP_CODE_IGNORED = re.compile(r"[\s\-]+")


def new_backup_code() -> str:
    """A fresh backup code: 40 random bits as 8 lower-case base32 characters."""
    return base64.b32encode(secrets.token_bytes(BACKUP_CODE_BYTES)).decode().lower()


def normalise_backup_code(text: str) -> str:
    """The form a code is hashed in: NFKC, without spaces or hyphens, lower case.

    A code typed as ``ABCD-EFGH`` or ``abcd efgh`` (or on a keyboard that
    sends full-width letters) is the same code.
    """
    return _BACKUP_CODE_IGNORED.sub("", unicodedata.normalize("NFKC", text)).lower()


def backup_code_hash(user_id: uuid.UUID | str, code: str) -> str:
    """HMAC-SHA256 (hex) of a normalised backup code, keyed with the pepper, bound to its person.

    Threat model: a stolen database (and a staff password). A code has only
    40 bits, so an unkeyed hash would be reversed by trying them all; keyed
    with ``FORESTALL_PEPPER`` (outside the database, as for codenames) the
    hashes are useless without the pepper. The person's id is part of the
    message, so a hash copied onto someone else's code set matches nothing.
    This is the only trace of a code that is ever stored.
    """
    person = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    return hmac.new(
        settings.FORESTALL_PEPPER.encode(),
        b"forestall backup code:" + person.bytes + b":" + normalise_backup_code(code).encode(),
        hashlib.sha256,
    ).hexdigest()


class BackupCodeSet(_ThrottleInPlace, TimestampMixin, ThrottlingMixin, Device):
    """A person's one-time backup codes, as a django-otp device; only keyed hashes are stored.

    Threat model: a stolen database (and a staff password). django-otp's
    ``StaticDevice`` keeps each code in clear, so the database gives away an
    unused second factor. Here each code is a :class:`BackupCode` holding
    ``backup_code_hash`` of it: the codes are shown once, when they are made
    (``actions.generate_backup_codes``), and never again.

    Verification hashes the typed code, compares it with every stored hash
    of the set in constant time, and consumes the match with one
    ``DELETE`` of that row: of two requests with the same code (even at the
    same moment) only the one whose ``DELETE`` removed the row succeeds.
    Failures are throttled (django-otp's exponential back-off, capped).
    """

    # Random, as the authenticator's: the session names the device by its id.
    id = models.BigIntegerField(primary_key=True, default=new_device_id, editable=False)

    class Meta(Device.Meta):
        verbose_name = _("backup codes")
        verbose_name_plural = _("backup codes")

    def get_throttle_factor(self) -> int:
        return 1  # django-otp's default for static tokens (OTP_STATIC_THROTTLE_FACTOR)

    def verify_token(self, token: Any) -> bool:
        """True if ``token`` is one of this set's unused codes; that code is then used up."""
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        used = False
        match = self._matching_code(token)
        if match is not None:
            # Only the request whose DELETE removes the row has used the code.
            deleted, _counts = BackupCode.objects.filter(pk=match, device_id=self.pk).delete()
            used = deleted == 1
        if used:
            now = timezone.now()
            changes: dict[str, Any] = {**self._reset_on_success(), "last_used_at": now}
            type(self).objects.filter(pk=self.pk).update(**changes)
            for name, value in changes.items():
                setattr(self, name, value)
            self._succeeded()
        else:
            self.throttle_increment()
        return used

    def _matching_code(self, token: Any) -> int | None:
        """The id of the stored code ``token`` hashes to, else None.

        Every stored hash is compared (``hmac.compare_digest``, no early
        exit), so the time taken says nothing about how close a guess came.
        """
        if not isinstance(token, str) or len(token) > BACKUP_CODE_MAX_INPUT:
            return None
        if not normalise_backup_code(token):
            return None
        digest = backup_code_hash(self.user_id, token)
        match = None
        for code_id, stored in BackupCode.objects.filter(device_id=self.pk).values_list(
            "pk", "code_hash"
        ):
            if hmac.compare_digest(stored, digest):
                match = code_id
        return match


class BackupCodeQuerySet(models.QuerySet["BackupCode"]):
    def of(self, user: Any) -> BackupCodeQuerySet:
        """The unused codes of ``user``'s (confirmed) backup code sets."""
        return self.filter(device__user=user, device__confirmed=True)


class BackupCode(models.Model):
    """One unused backup code, as ``backup_code_hash`` of it (used codes are deleted)."""

    device = models.ForeignKey(BackupCodeSet, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)

    objects = BackupCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("backup code")
        verbose_name_plural = _("backup codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="backup_code_unique")
        ]

    def __str__(self) -> str:
        return f"backup code {self.pk}"  # never the hash
