import io
import re

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


@pytest.mark.parametrize(("language", "said"), [("en", "command line"), ("de", "Befehlszeile")])
def test_the_audit_log_gives_the_grant_s_reason_in_the_reader_s_language(
    sign_in, network_admin, outsider, language, said
):
    """The reason was stored and shown as English, "command line", to a German reader too."""
    call_command("grant-role", "outsider", "analyst", stdout=io.StringIO())
    page = sign_in(network_admin).get(
        "/staff/audit/?action=membership.grant", HTTP_ACCEPT_LANGUAGE=language
    )
    cells = re.findall(r'<td dir="auto">([^<]*)</td>', page.content.decode())
    assert said in cells
    (other,) = {"command line", "Befehlszeile"} - {said}
    assert other not in cells


def test_a_reason_typed_by_a_person_is_shown_as_typed(sign_in, network_admin, outsider):
    """Only texts the code records are translated: a person's words are theirs."""
    from forestall.audit.actions import record_event

    record_event(network_admin, "membership.grant", outsider, reason="Save")
    page = sign_in(network_admin).get(
        "/staff/audit/?action=membership.grant", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert '<td dir="auto">Save</td>' in page.content.decode()
