"""Demo staff for every role, each with a confirmed authenticator (secret encrypted)."""

from __future__ import annotations

import base64

from forestall.accounts.models import Membership, Role, TOTPAuthenticator, User
from forestall.demo import DemoLogin, DemoNetwork

# username, role, centre slug (None: network-wide)
STAFF = [
    ("counsellor.berlin", Role.COUNSELLOR, "berlin"),
    ("counsellor.hamburg", Role.COUNSELLOR, "hamburg"),
    ("counsellor.network", Role.COUNSELLOR, None),
    ("clinician.berlin", Role.CLINICIAN, "berlin"),
    ("clinician.hamburg", Role.CLINICIAN, "hamburg"),
    ("clinician.regensburg", Role.CLINICIAN, "regensburg"),
    ("safeguarding.berlin", Role.SAFEGUARDING_LEAD, "berlin"),
    ("safeguarding.berlin2", Role.SAFEGUARDING_LEAD, "berlin"),
    ("safeguarding.network", Role.SAFEGUARDING_LEAD, None),
    ("manager.berlin", Role.CENTRE_MANAGER, "berlin"),
    ("manager.hamburg", Role.CENTRE_MANAGER, "hamburg"),
    ("admin", Role.NETWORK_ADMIN, None),
    ("analyst", Role.ANALYST, None),
]


def demo_password(username: str) -> str:
    """Demo passwords are public by design: this is sample data for trying forestall."""
    return f"demo-{username}-2026"


def seed(network: DemoNetwork) -> None:
    """Create the demo staff; an account that already exists is never changed.

    A re-run finds its own earlier demo accounts (the demo password still
    works) and lists them again; any other existing account with a demo name
    (a real ``admin``, say) is left exactly as it is and not listed.
    """
    left_alone = 0
    for username, role, centre_slug in STAFF:
        centre = network.centres[centre_slug] if centre_slug else None
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=demo_password(username))
            user.is_staff = role == Role.NETWORK_ADMIN
            user.is_superuser = role == Role.NETWORK_ADMIN
            user.save()
            Membership.objects.create(user=user, centre=centre, role=role)
            # two_factor asks for the device named "default" at sign-in.
            TOTPAuthenticator.objects.create(user=user, name="default", confirmed=True)
        elif not user.check_password(demo_password(username)):
            left_alone += 1
            continue
        device = TOTPAuthenticator.objects.filter(user=user, name="default").first()
        if device is None:
            left_alone += 1
            continue
        network.staff[username] = user
        network.logins.append(
            DemoLogin(
                username=username,
                password=demo_password(username),
                role=str(role),
                centre=centre.slug if centre else None,
                # Decrypted for the credentials file only (debug mode, public demo data).
                totp_secret=base64.b32encode(device.bin_key).decode(),
            )
        )
    network.say(f"  staff: {len(STAFF) - left_alone} demo logins")
    if left_alone:
        network.say(f"  staff: {left_alone} existing accounts with demo names left unchanged")
