"""``forestall grant-role USERNAME ROLE [--centre SLUG]``: bootstrap and script staff roles.

The first network admin of a new installation is made with
``forestall createsuperuser`` followed by ``forestall grant-role NAME network_admin``;
everything after that is done in the staff admin. A new role is recorded in
the audit log (``membership.grant``) with this command as the actor.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from forestall.accounts.actions import GRANTED_ON_THE_COMMAND_LINE, grant_role
from forestall.accounts.models import (
    CENTRE_ROLES,
    NETWORK_CAPABLE_ROLES,
    NETWORK_ONLY_ROLES,
    Membership,
    Role,
    User,
)
from forestall.audit.commands import AuditedCommand
from forestall.directory.models import Centre


class Command(AuditedCommand):
    help = "Give a staff user a role at a centre or network-wide."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=[role.value for role in Role])
        parser.add_argument("--centre", help="Centre slug (leave out for a network-wide role).")

    def handle(self, *args: Any, **options: Any) -> None:
        role = Role(options["role"])
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user named {options['username']!r}") from None
        centre = None
        if options["centre"]:
            if role in NETWORK_ONLY_ROLES:
                raise CommandError(f"{role.value} is a network-wide role: leave out --centre")
            try:
                centre = Centre.objects.get(slug=options["centre"])
            except Centre.DoesNotExist:
                raise CommandError(f"no centre with slug {options['centre']!r}") from None
        elif role in CENTRE_ROLES and role not in NETWORK_CAPABLE_ROLES:
            raise CommandError(f"{role.value} is held at a centre: give --centre SLUG")
        created = not Membership.objects.filter(user=user, centre=centre, role=role).exists()
        grant_role(user, role, centre, by=None, reason=GRANTED_ON_THE_COMMAND_LINE)
        if role == Role.NETWORK_ADMIN and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            # A change of the account: no staff member made it (the audit
            # entry of the grant names this command).
            user.changed_by(None)
            user.save(update_fields=["is_staff", "is_superuser", "updated_at"])
        where = centre.name if centre else "the whole network"
        state = "granted" if created else "already held"
        self.stdout.write(f"{user.username}: {role.label} at {where} ({state})")
