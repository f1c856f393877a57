"""Roles given in the admin are held where they grant something, and only once.

Before, a clinician or centre manager given network-wide, or an analyst or
network admin given at a centre, was saved and audited as granted yet opened
nothing (every gate reads those roles the other way); and the same
network-wide role added twice in one save was a 500 (the database's
conditional unique constraint, which Django's formset check skips).
"""

from __future__ import annotations

import pytest

from forestall.accounts import actions
from forestall.accounts.models import Role
from forestall.audit.models import AuditEntry
from tests.test_admin_audit import _user_form


def _change(sign_in, network_admin, person, rows, initial=0):
    return sign_in(network_admin).post(
        f"/staff/admin/accounts/user/{person.pk}/change/", _user_form(person, rows, initial)
    )


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CENTRE_MANAGER])
def test_a_centre_role_given_network_wide_is_refused_with_a_reason(
    sign_in, network_admin, outsider, role
):
    response = _change(sign_in, network_admin, outsider, [("", role, "")])
    assert response.status_code == 400
    assert "is held at a centre: choose the centre" in response.content.decode()
    assert not outsider.memberships.exists()
    assert not AuditEntry.objects.filter(action="membership.grant").exists()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.NETWORK_ADMIN])
def test_a_network_role_given_at_a_centre_is_refused_with_a_reason(
    sign_in, network_admin, outsider, centre_a, role
):
    response = _change(sign_in, network_admin, outsider, [("", role, str(centre_a.pk))])
    assert response.status_code == 400
    assert "is a network-wide role: leave the centre empty" in response.content.decode()
    assert not outsider.memberships.exists()


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SAFEGUARDING_LEAD])
def test_counsellors_and_safeguarding_leads_may_still_be_network_wide(
    sign_in, network_admin, outsider, role
):
    response = _change(sign_in, network_admin, outsider, [("", role, "")])
    assert response.status_code == 302
    assert outsider.memberships.get().centre is None


def test_the_same_network_role_twice_in_one_save_is_refused_not_a_500(
    sign_in, network_admin, outsider
):
    response = _change(
        sign_in, network_admin, outsider, [("", Role.ANALYST, ""), ("", Role.ANALYST, "")]
    )
    assert response.status_code == 400
    assert "already listed for this person" in response.content.decode()
    assert not outsider.memberships.exists()


def test_a_network_role_already_held_is_refused_when_added_again(sign_in, network_admin, analyst):
    held = analyst.memberships.get()
    response = _change(
        sign_in,
        network_admin,
        analyst,
        [(str(held.pk), Role.ANALYST, ""), ("", Role.ANALYST, "")],
        initial=1,
    )
    assert response.status_code == 400
    assert analyst.memberships.count() == 1


def test_the_german_admin_gives_the_reason_in_german(sign_in, network_admin, outsider):
    client = sign_in(network_admin)
    response = client.post(
        f"/staff/admin/accounts/user/{outsider.pk}/change/",
        _user_form(outsider, [("", Role.CLINICIAN, "")], 0),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert "wird an einem Zentrum gehalten" in response.content.decode()


def test_the_action_refuses_a_role_held_where_it_grants_nothing(outsider, centre_a):
    with pytest.raises(ValueError, match="network-wide role"):
        actions.grant_role(outsider, Role.ANALYST, centre_a, by=None)
    with pytest.raises(ValueError, match="held at a centre"):
        actions.grant_role(outsider, Role.CLINICIAN, None, by=None)
    assert not outsider.memberships.exists()
