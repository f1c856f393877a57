"""Staff identity: users, and the roles they hold per centre or network-wide."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The staff side's language; empty means the browser's preferred language.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=[("en", "English"), ("de", "Deutsch")],
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def memberships_with(self, *roles: str) -> models.QuerySet[Membership]:
        return self.memberships.filter(role__in=roles)

    def has_network_role(self, *roles: str) -> bool:
        """True if the user holds any of ``roles`` network-wide (no centre)."""
        return self.memberships.filter(role__in=roles, centre__isnull=True).exists()

    def has_role_at(self, centre_id: uuid.UUID | str, *roles: str) -> bool:
        return self.memberships.filter(role__in=roles, centre_id=centre_id).exists()

    def centre_ids_with(self, *roles: str) -> list[uuid.UUID]:
        """Ids of the centres at which the user holds any of ``roles``.

        The list form of ``Centre.objects.where_holds`` (the one definition of
        "centres where this person holds these roles"), for the gates that
        need the ids.
        """
        from forestall.directory.models import Centre

        return list(Centre.objects.where_holds(self, *roles).values_list("pk", flat=True))

    @property
    def is_network_admin(self) -> bool:
        return self.has_network_role(Role.NETWORK_ADMIN)


class Membership(models.Model):
    """A role held by a user, at a centre or (``centre`` empty) network-wide."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(
        "directory.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
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
