import pytest
from django.core.management import CommandError, call_command

from forestall.accounts.models import Membership, Role
from tests import factories


def test_it_grants_a_network_admin_role_and_admin_flags(outsider):
    call_command("grant-role", "outsider", "network_admin")
    outsider.refresh_from_db()
    assert outsider.is_network_admin
    assert outsider.is_staff and outsider.is_superuser


def test_it_grants_a_role_at_a_centre_once(outsider, centre_a):
    call_command("grant-role", "outsider", "clinician", "--centre", centre_a.slug)
    call_command("grant-role", "outsider", "clinician", "--centre", centre_a.slug)
    assert Membership.objects.filter(user=outsider, role=Role.CLINICIAN).count() == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "analyst"], "no user"),
        (["outsider", "analyst", "--centre", "centre-x"], "network-wide role"),
        (["outsider", "clinician"], "held at a centre"),
        (["outsider", "clinician", "--centre", "no-such-centre"], "no centre"),
    ],
)
def test_it_refuses_impossible_grants_with_a_clear_message(outsider, arguments, message):
    factories.make_centre()
    with pytest.raises(CommandError, match=message):
        call_command("grant-role", *arguments)
