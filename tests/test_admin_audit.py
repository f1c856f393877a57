"""Role grants, membership changes and every admin-site change land in the audit chain.

Before, they reached only Django's editable admin log. And a network admin
cannot give themselves a role that opens case data: that stays break the
glass, with a reason and an expiry.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from forestall.accounts import actions
from forestall.accounts.models import Role, User
from forestall.audit.models import AuditEntry
from tests import factories


def _user_form(user, memberships: list[tuple[str, str, str]], initial: int) -> dict[str, str]:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "language": "",
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        # The version the change page was opened with (lib.stale_edits).
        "edited_from": User.objects.get(pk=user.pk).updated_at.isoformat(),
    }
    for number, (pk, role, centre) in enumerate(memberships):
        data[f"memberships-{number}-user"] = str(user.pk)
        data[f"memberships-{number}-role"] = role
        data[f"memberships-{number}-centre"] = centre
        if pk:
            data[f"memberships-{number}-id"] = pk
    return data


def test_granting_a_role_in_the_admin_is_in_the_audit_chain(
    sign_in, network_admin, clinician_a, centre_b
):
    membership = clinician_a.memberships.get()
    client = sign_in(network_admin)
    response = client.post(
        f"/staff/admin/accounts/user/{clinician_a.pk}/change/",
        _user_form(
            clinician_a,
            [
                (str(membership.pk), Role.CLINICIAN, str(membership.centre_id)),
                ("", Role.CLINICIAN, str(centre_b.pk)),
            ],
            initial=1,
        ),
    )
    assert response.status_code == 302
    granted = clinician_a.memberships.get(centre=centre_b)
    entry = AuditEntry.objects.get(action="membership.grant", target_id=granted.pk)
    assert entry.actor_uuid == network_admin.pk
    assert entry.centre_uuid == centre_b.pk
    assert AuditEntry.objects.filter(action="admin.change", target_id=clinician_a.pk).exists()
    call_command("verify-audit")


def test_taking_a_role_away_in_the_admin_is_in_the_audit_chain(sign_in, network_admin, clinician_a):
    membership = clinician_a.memberships.get()
    data = _user_form(
        clinician_a, [(str(membership.pk), Role.CLINICIAN, str(membership.centre_id))], initial=1
    )
    data["memberships-0-DELETE"] = "on"
    response = sign_in(network_admin).post(
        f"/staff/admin/accounts/user/{clinician_a.pk}/change/", data
    )
    assert response.status_code == 302
    assert not clinician_a.memberships.exists()
    assert AuditEntry.objects.filter(action="membership.revoke", target_id=membership.pk).exists()


def test_changing_a_centre_in_the_admin_is_in_the_audit_chain(sign_in, network_admin, centre_a):
    client = sign_in(network_admin)
    page = client.get(f"/staff/admin/directory/centre/{centre_a.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(getattr(item, "pk", item)) for item in value]
            continue
        data[name] = str(getattr(value, "pk", value))
    data["name"] = centre_a.name + " (renamed)"
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{inline.formset.prefix}-{name}"] = str(management.initial.get(name, 0))
    response = client.post(f"/staff/admin/directory/centre/{centre_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="admin.change", target_id=centre_a.pk)
    assert entry.actor_uuid == network_admin.pk
    assert "name" in entry.reason.lower()


def test_deleting_in_the_admin_is_in_the_audit_chain(sign_in, network_admin):
    region = factories.make_region("Somewhere")
    response = sign_in(network_admin).post(
        f"/staff/admin/directory/region/{region.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin.delete").exists()


def test_a_network_admin_cannot_give_themselves_a_case_data_role(sign_in, network_admin, centre_a):
    own = network_admin.memberships.get()
    response = sign_in(network_admin).post(
        f"/staff/admin/accounts/user/{network_admin.pk}/change/",
        _user_form(
            network_admin,
            [
                (str(own.pk), Role.NETWORK_ADMIN, ""),
                ("", Role.CLINICIAN, str(centre_a.pk)),
            ],
            initial=1,
        ),
    )
    assert response.status_code == 400
    assert "break the glass" in response.content.decode()
    assert not network_admin.memberships.filter(role=Role.CLINICIAN).exists()
    assert not AuditEntry.objects.filter(action="membership.grant").exists()


@pytest.mark.parametrize(
    "role", [Role.CLINICIAN, Role.COUNSELLOR, Role.SAFEGUARDING_LEAD, Role.CENTRE_MANAGER]
)
def test_the_action_refuses_every_self_grant_that_opens_case_data(network_admin, centre_a, role):
    with pytest.raises(actions.SelfGrantRefused):
        actions.grant_role(network_admin, role, centre_a, by=network_admin)


def test_a_network_admin_may_still_grant_the_same_role_to_someone_else(
    network_admin, outsider, centre_a
):
    membership = actions.grant_role(outsider, Role.CLINICIAN, centre_a, by=network_admin)
    assert AuditEntry.objects.get(action="membership.grant").target_id == membership.pk
