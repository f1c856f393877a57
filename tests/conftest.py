"""Standing personas and shared fixtures.

The network: centre A and centre B in the north, centre C in the south.
People: a clinician at A, a clinician at B, a counsellor at A, a network
counsellor, a safeguarding lead at A (and a second one, for two-person rules),
a manager of A, an analyst, a network admin.
"""

from __future__ import annotations

import pytest

from forestall.accounts.models import Role
from tests import factories


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the production hasher (tested on its own); tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def north(db):
    return factories.make_region("North")


@pytest.fixture
def south(db):
    return factories.make_region("South")


@pytest.fixture
def centre_a(north):
    return factories.make_centre("Centre A", north)


@pytest.fixture
def centre_b(north):
    return factories.make_centre("Centre B", north)


@pytest.fixture
def centre_c(south):
    return factories.make_centre("Centre C", south)


@pytest.fixture
def clinician_a(centre_a):
    return factories.make_user(Role.CLINICIAN, centre_a, username="clinician_a")


@pytest.fixture
def clinician_b(centre_b):
    return factories.make_user(Role.CLINICIAN, centre_b, username="clinician_b")


@pytest.fixture
def counsellor_a(centre_a):
    return factories.make_user(Role.COUNSELLOR, centre_a, username="counsellor_a")


@pytest.fixture
def network_counsellor(db):
    return factories.make_user(Role.COUNSELLOR, None, username="network_counsellor")


@pytest.fixture
def safeguarding_lead_a(centre_a):
    return factories.make_user(Role.SAFEGUARDING_LEAD, centre_a, username="safeguarding_a")


@pytest.fixture
def second_safeguarding_lead_a(centre_a):
    return factories.make_user(Role.SAFEGUARDING_LEAD, centre_a, username="safeguarding_a2")


@pytest.fixture
def manager_a(centre_a):
    return factories.make_user(Role.CENTRE_MANAGER, centre_a, username="manager_a")


@pytest.fixture
def analyst(db):
    return factories.make_user(Role.ANALYST, None, username="analyst")


@pytest.fixture
def network_admin(db):
    return factories.make_user(Role.NETWORK_ADMIN, None, username="network_admin")


@pytest.fixture
def outsider(db):
    """A staff account with no role anywhere."""
    return factories.make_user(None, None, username="outsider")


@pytest.fixture
def sign_in():
    """``sign_in(user)`` → a test client with a verified staff session."""
    return factories.signed_in_client
