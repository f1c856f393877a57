"""Statements compiled once (forestall.lib.prepared) return exactly what the ORM returns."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.accounts.backends import StaffModelBackend
from forestall.accounts.models import Membership, Role, TOTPAuthenticator, User
from forestall.cases.models import GlassBreak
from forestall.lib.prepared import PreparedLookup
from tests import factories
from tests.factories_cases import make_case


def _fields(instance):
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def test_a_user_is_the_same_as_the_orm_reads_it(clinician_a):
    User.objects.filter(pk=clinician_a.pk).update(last_login=timezone.now(), language="de")
    [prepared] = PreparedLookup(User, where=["id"]).instances(clinician_a.pk)
    assert _fields(prepared) == _fields(User.objects.get(pk=clinician_a.pk))
    assert prepared._state.adding is False
    assert prepared._state.db == "default"


def test_an_authenticator_and_its_encrypted_secret_are_the_same(clinician_a):
    device = factories.totp_device(clinician_a)
    [prepared] = PreparedLookup(TOTPAuthenticator, where=["id"]).instances(device.pk)
    from_orm = TOTPAuthenticator.objects.get(pk=device.pk)
    assert _fields(prepared) == _fields(from_orm)
    assert prepared.bin_key == from_orm.bin_key


def test_columns_come_converted_as_the_orm_converts_them(clinician_a, centre_a, centre_b):
    factories.add_role(clinician_a, Role.COUNSELLOR, centre_b)
    factories.add_role(clinician_a, Role.ANALYST, None)
    lookup = PreparedLookup(Membership, where=["user"], fields=["role", "centre_id"])
    rows = sorted(map(tuple, lookup.rows(clinician_a.pk)), key=str)
    expected = sorted(
        Membership.objects.filter(user=clinician_a).values_list("role", "centre_id"), key=str
    )
    assert rows == expected
    assert any(centre is None for _role, centre in rows)


def test_a_later_than_condition_leaves_out_what_ended(network_admin, centre_a):
    live, ended = make_case(centre_a), make_case(centre_a)
    now = timezone.now()
    for case, expires in ((live, now + datetime.timedelta(hours=1)), (ended, now)):
        GlassBreak.objects.create(user=network_admin, case=case, reason="r", expires_at=expires)
    lookup = PreparedLookup(GlassBreak, where=["user", "expires_at__gt"], fields=["case_id"])
    assert lookup.rows(network_admin.pk, now) == [[live.pk]]


def test_nothing_found_is_an_empty_list(db):
    import uuid

    assert PreparedLookup(User, where=["id"]).instances(uuid.uuid4()) == []


def test_instances_need_every_column(db):
    with pytest.raises(TypeError):
        PreparedLookup(Membership, where=["user"], fields=["role"]).instances(None)


def test_the_session_backend_gives_no_inactive_or_unknown_user(clinician_a):
    backend = StaffModelBackend()
    assert backend.get_user(clinician_a.pk) == clinician_a
    assert backend.get_user("not a user id") is None
    User.objects.filter(pk=clinician_a.pk).update(is_active=False)
    assert backend.get_user(clinician_a.pk) is None
