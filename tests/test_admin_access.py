"""The Django admin at /staff/admin/: network admins with a verified second factor only."""

from __future__ import annotations

import pytest
from django.test import Client

from forestall.accounts.models import (
    BackupCode,
    BackupCodeSet,
    Membership,
    Role,
    TOTPAuthenticator,
    User,
)
from tests import factories
from tests.factories_accounts import (
    LOGIN_URL,
    backup_codes,
    current_totp,
    post_password,
    post_token,
)

ADMIN = "/staff/admin/"
ADMIN_PAGES = [
    ADMIN,
    "/staff/admin/accounts/user/",
    "/staff/admin/accounts/user/add/",
    "/staff/admin/directory/centre/",
    "/staff/admin/directory/region/",
]


def _assert_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == LOGIN_URL, response.redirect_chain
    assert all(
        not hop.startswith(ADMIN) or hop.startswith("/staff/admin/login/")
        for hop, _status in response.redirect_chain
    )
    assert b"forestall administration" not in response.content


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_an_anonymous_visitor_is_sent_to_the_staff_sign_in(client, db, url):
    _assert_sent_to_sign_in(client, url)


@pytest.mark.parametrize("persona", ["analyst", "clinician_a", "manager_a", "network_counsellor"])
def test_verified_staff_without_the_network_admin_role_never_get_in(request, sign_in, persona):
    client = sign_in(request.getfixturevalue(persona))
    for url in ADMIN_PAGES:
        _assert_sent_to_sign_in(client, url)


def test_they_are_told_why(sign_in, analyst):
    response = sign_in(analyst).get(ADMIN, follow=True)
    assert b"only open to network admins" in response.content


def test_a_superuser_flag_without_the_role_is_not_enough(sign_in, outsider):
    outsider.is_superuser = True
    outsider.is_staff = True
    outsider.save()
    _assert_sent_to_sign_in(sign_in(outsider), ADMIN)


def test_a_network_admin_who_only_gave_the_password_is_not_let_in(network_admin):
    factories.totp_device(network_admin)
    client = Client()
    post_password(client, network_admin.username, factories.PASSWORD)
    _assert_sent_to_sign_in(client, ADMIN)


def test_a_network_admin_signed_in_without_a_second_factor_is_not_let_in(network_admin):
    client = Client()
    client.force_login(network_admin)  # a session without a verified device
    response = client.get(ADMIN, follow=True)
    assert response.request["PATH_INFO"] in (LOGIN_URL, "/staff/two-factor/setup/")
    assert b"forestall administration" not in response.content


def test_a_verified_network_admin_gets_in(sign_in, network_admin):
    client = sign_in(network_admin)
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"forestall administration" in client.get(ADMIN).content


def test_a_network_admin_gets_in_through_the_real_sign_in(network_admin):
    device = factories.totp_device(network_admin)
    client = Client()
    post_password(client, network_admin.username, factories.PASSWORD, next_url=ADMIN)
    response = post_token(client, current_totp(device), next_url=ADMIN)
    assert response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_the_admin_index_lists_users_regions_and_centres(sign_in, network_admin):
    content = sign_in(network_admin).get(ADMIN).content.decode()
    for path in (
        "/staff/admin/accounts/user/",
        "/staff/admin/directory/centre/",
        "/staff/admin/directory/region/",
    ):
        assert path in content


def test_the_admin_offers_no_groups_and_no_empty_lockout_tables(sign_in, network_admin):
    content = sign_in(network_admin).get(ADMIN).content.decode()
    assert "/staff/admin/auth/group/" not in content
    assert "/staff/admin/axes/" not in content


def test_no_admin_page_shows_anyone_s_totp_secret_or_backup_codes(sign_in, network_admin):
    client = sign_in(network_admin)
    content = client.get(ADMIN).content.decode()
    assert "/staff/admin/otp_totp/" not in content
    assert "/staff/admin/otp_static/" not in content
    assert client.get("/staff/admin/otp_totp/totpdevice/").status_code == 404
    assert "totpauthenticator" not in content
    assert client.get("/staff/admin/accounts/totpauthenticator/").status_code == 404
    assert "backupcode" not in content
    assert client.get("/staff/admin/accounts/backupcodeset/").status_code == 404
    assert client.get("/staff/admin/accounts/backupcode/").status_code == 404


def test_the_user_page_edits_roles_inline(sign_in, network_admin, clinician_a, centre_b):
    client = sign_in(network_admin)
    page = client.get(f"/staff/admin/accounts/user/{clinician_a.pk}/change/")
    assert page.status_code == 200
    assert b"memberships-TOTAL_FORMS" in page.content
    membership = clinician_a.memberships.get()
    response = client.post(
        f"/staff/admin/accounts/user/{clinician_a.pk}/change/",
        {
            "username": clinician_a.username,
            "first_name": "",
            "last_name": "",
            "email": "",
            "language": "",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(membership.pk),
            "memberships-0-user": str(clinician_a.pk),
            "memberships-0-role": Role.CLINICIAN,
            "memberships-0-centre": str(membership.centre_id),
            "memberships-1-user": str(clinician_a.pk),
            "memberships-1-role": Role.CLINICIAN,
            "memberships-1-centre": str(centre_b.pk),
            "edited_from": clinician_a.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert clinician_a.has_role_at(centre_b.pk, Role.CLINICIAN)


def test_resetting_two_factor_removes_every_device(sign_in, network_admin, clinician_a):
    factories.totp_device(clinician_a)
    backup_codes(clinician_a)
    client = sign_in(network_admin)
    response = client.post(
        "/staff/admin/accounts/user/",
        {"action": "reset_two_factor", "_selected_action": [str(clinician_a.pk)]},
    )
    assert response.status_code == 302
    assert not TOTPAuthenticator.objects.filter(user=clinician_a).exists()
    assert not BackupCodeSet.objects.filter(user=clinician_a).exists()
    assert not BackupCode.objects.filter(device__user=clinician_a).exists()
    # ... so the next sign-in leads to enrolment.
    again = Client()
    post_password(again, clinician_a.username, factories.PASSWORD)
    assert again.get("/staff/")["Location"] == "/staff/two-factor/setup/"


def test_the_admin_pages_keep_the_strict_headers(sign_in, network_admin):
    response = sign_in(network_admin).get("/staff/admin/accounts/user/")
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


def test_django_permissions_follow_the_network_admin_role(network_admin, analyst, outsider):
    assert network_admin.has_perm("accounts.change_user")
    assert network_admin.has_module_perms("directory")
    assert not analyst.has_perm("accounts.change_user")
    assert not analyst.has_module_perms("accounts")
    outsider.is_active = False
    factories.add_role(outsider, Role.NETWORK_ADMIN)
    assert not outsider.has_perm("accounts.change_user")


def test_the_admin_site_is_the_one_the_whole_project_registers_with():
    from django.contrib import admin

    from forestall.accounts.admin_site import StaffAdminSite

    assert isinstance(
        admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, StaffAdminSite
    )
    assert User in admin.site._registry
    assert Membership not in admin.site._registry  # edited inline on the user
