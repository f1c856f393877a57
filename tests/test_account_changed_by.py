"""A staff account's ``updated_by`` names who made its last change, or nobody.

The defect: a new password set on the admin's "change password" page (or
with Django's ``changepassword`` command) moved the account's
``updated_at`` but left ``updated_by`` naming whoever had saved the
account before, so the account's history, and the refusal of an admin page
opened before the change ("… saved this on …"), named the wrong person.
Every path that saves an account now names its maker, or nobody where
nobody signed in made it (a command); a save of the last sign-in is not
a change of the account and keeps both.

A language chosen on the profile page was not counted as a change either,
so a network admin who had the account's admin page open from before saved
it and silently wrote the old language back. It is a change now, named after
the person who chose: the stale admin page is refused (409), what the admin
typed kept, the person's choice too.
"""

from __future__ import annotations

import html
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from forestall.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_by_someone_else(clinician_a):
    """The clinician's account, last changed by another network admin."""
    earlier_admin = factories.make_user("network_admin", username="earlier_admin")
    clinician_a.changed_by(earlier_admin)
    clinician_a.first_name = "Alex"
    clinician_a.save()
    assert User.objects.get(pk=clinician_a.pk).updated_by == earlier_admin
    return clinician_a


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_a_password_changed_in_the_admin_names_the_admin(
    sign_in, network_admin, changed_by_someone_else
):
    before = _fresh(changed_by_someone_else).updated_at
    password = "a new and long enough passphrase 42"
    response = sign_in(network_admin).post(
        f"/staff/admin/accounts/user/{changed_by_someone_else.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = _fresh(changed_by_someone_else)
    assert after.check_password(password)
    assert after.updated_at > before
    assert after.updated_by == network_admin


def test_a_password_set_without_anyone_named_names_nobody(changed_by_someone_else):
    # What Django's ``changepassword`` command and password forms do: set and save.
    user = _fresh(changed_by_someone_else)
    user.set_password("another long enough passphrase 7")
    user.save()
    assert _fresh(user).updated_by is None


def test_an_admin_change_of_the_account_names_the_admin(
    sign_in, network_admin, changed_by_someone_else
):
    from tests.test_admin_audit import _user_form

    user = changed_by_someone_else
    membership = user.memberships.get()
    data = _user_form(
        user, [(str(membership.pk), membership.role, str(membership.centre_id))], initial=1
    )
    data["first_name"] = "Alexandra"
    data["edited_from"] = _fresh(user).updated_at.isoformat()
    response = sign_in(network_admin).post(f"/staff/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302
    assert (_fresh(user).first_name, _fresh(user).updated_by) == ("Alexandra", network_admin)


def test_a_role_granted_on_the_command_line_that_changes_the_account_names_nobody(
    changed_by_someone_else,
):
    before = _fresh(changed_by_someone_else).updated_at
    call_command(
        "grant-role", changed_by_someone_else.username, "network_admin", stdout=io.StringIO()
    )
    after = _fresh(changed_by_someone_else)
    assert after.is_superuser
    assert after.updated_at > before
    assert after.updated_by is None


def test_signing_in_is_not_a_change_of_the_account(changed_by_someone_else):
    before = _fresh(changed_by_someone_else)
    user = _fresh(changed_by_someone_else)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    after = _fresh(changed_by_someone_else)
    assert after.last_login is not None
    assert (after.updated_at, after.updated_by) == (before.updated_at, before.updated_by)


def test_choosing_a_language_is_a_change_named_after_the_person(sign_in, changed_by_someone_else):
    before = _fresh(changed_by_someone_else)
    sign_in(changed_by_someone_else).post("/staff/language/", {"language": "de"})
    after = _fresh(changed_by_someone_else)
    assert after.language == "de"
    assert after.updated_at > before.updated_at
    assert after.updated_by == changed_by_someone_else


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_admin_page_opened_before_a_language_choice_cannot_write_it_back(
    sign_in, network_admin, clinician_a, language
):
    from tests.stale import opened
    from tests.test_admin_audit import _user_form

    admin = sign_in(network_admin)
    url = f"/staff/admin/accounts/user/{clinician_a.pk}/change/"
    version = opened(admin, url)
    # Meanwhile the clinician chooses German on their profile page.
    sign_in(clinician_a).post("/staff/language/", {"language": "de"})
    membership = clinician_a.memberships.get()
    data = _user_form(
        clinician_a, [(str(membership.pk), membership.role, str(membership.centre_id))], 1
    )
    data |= version | {"first_name": "Typed by the admin", "language": "en"}
    response = admin.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 409
    page = html.unescape(response.content.decode())
    assert "Typed by the admin" in page
    assert clinician_a.username in page  # who saved meanwhile
    assert ("Nothing was saved" if language == "en" else "Nichts wurde gespeichert") in page
    after = _fresh(clinician_a)
    assert (after.language, after.first_name) == ("de", clinician_a.first_name)


def test_a_named_maker_counts_for_one_save_only(changed_by_someone_else, network_admin):
    user = _fresh(changed_by_someone_else)
    user.changed_by(network_admin)
    user.save()
    user.email = "alex@example.org"
    user.save()
    assert _fresh(user).updated_by is None
