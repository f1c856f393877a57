"""Factories for test data: plain functions, explicit arguments, sensible defaults."""

from __future__ import annotations

import itertools

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from forestall.accounts.models import Membership, TOTPAuthenticator, User
from forestall.directory.models import Centre, Region

_sequence = itertools.count(1)

PASSWORD = "correct horse battery staple 42"


def make_region(name: str | None = None) -> Region:
    number = next(_sequence)
    name = name or f"Region {number}"
    return Region.objects.create(slug=f"region-{number}", name=name)


def make_centre(name: str | None = None, region: Region | None = None, **fields: object) -> Centre:
    number = next(_sequence)
    return Centre.objects.create(
        slug=f"centre-{number}",
        name=name or f"Centre {number}",
        region=region or make_region(),
        **fields,
    )


def answering_messages(centre: Centre) -> Centre:
    """``centre``, offering secure messaging: a mailbox message may be addressed to it."""
    from forestall.directory.models import CentreChannel, Channel

    CentreChannel.objects.get_or_create(centre=centre, channel=Channel.MESSAGING)
    return centre


def make_user(
    role: str | None = None,
    centre: Centre | None = None,
    *,
    username: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A staff user, optionally holding ``role`` at ``centre`` (or network-wide)."""
    username = username or f"user{next(_sequence)}"
    user = User.objects.create_user(username=username, password=password)
    if role:
        Membership.objects.create(user=user, centre=centre, role=role)
    return user


def add_role(user: User, role: str, centre: Centre | None = None) -> Membership:
    return Membership.objects.create(user=user, centre=centre, role=role)


def totp_device(user: User) -> TOTPAuthenticator:
    """The person's authenticator app (its secret encrypted), created if missing."""
    device, _created = TOTPAuthenticator.objects.get_or_create(
        user=user, name="default", defaults={"confirmed": True}
    )
    return device


def signed_in_client(user: User, client: Client | None = None) -> Client:
    """A test client signed in as ``user`` with a verified second factor.

    For tests of everything behind the sign-in; the sign-in itself (password,
    TOTP, lockout, backup codes) is tested through the real forms.
    """
    client = client or Client()
    device = totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
