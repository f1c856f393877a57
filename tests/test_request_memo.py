"""What a request remembers about its reader (roles, glass-break grants), and for how long."""

from __future__ import annotations

import datetime

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forestall.accounts.models import Membership, Role
from forestall.cases.models import Case, GlassBreak
from forestall.lib.requestmemo import RequestMemoMiddleware, remember
from tests import factories
from tests.factories_cases import make_case


def _in_a_request(view):
    """Run ``view()`` the way a request runs it: inside the memo's middleware."""
    results = []

    def respond(request: HttpRequest) -> HttpResponse:
        results.append(view())
        return HttpResponse()

    RequestMemoMiddleware(respond)(HttpRequest())
    return results[0]


def test_outside_a_request_nothing_is_remembered(clinician_a, centre_b):
    case = make_case(centre_b)
    assert not Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()
    factories.add_role(clinician_a, Role.CLINICIAN, centre_b)
    assert Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()


def test_a_request_reads_the_roles_once_for_all_its_gates(sign_in, clinician_a, centre_a):
    case = make_case(centre_a)
    client = sign_in(clinician_a)
    client.get(f"/staff/cases/{case.pk}/")  # warm-up
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    sqls = [query["sql"] for query in captured.captured_queries]
    assert sum('FROM "accounts_membership"' in sql for sql in sqls) == 1
    assert sum('FROM "cases_glassbreak"' in sql for sql in sqls) == 1


def test_a_role_granted_in_the_request_counts_at_once(clinician_a, centre_b):
    case = make_case(centre_b)

    def grant_then_read():
        before = Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()
        factories.add_role(clinician_a, Role.CLINICIAN, centre_b)
        return before, Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()

    assert _in_a_request(grant_then_read) == (False, True)


def test_a_role_removed_in_the_request_counts_at_once(clinician_a, centre_a):
    case = make_case(centre_a)

    def remove_then_read():
        before = Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()
        Membership.objects.filter(user=clinician_a).delete()
        return before, Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()

    assert _in_a_request(remove_then_read) == (True, False)


def test_a_glass_break_in_the_request_opens_the_case_at_once(network_admin, centre_a):
    case = make_case(centre_a)

    def break_then_read():
        before = Case.objects.workable_by(network_admin).filter(pk=case.pk).exists()
        GlassBreak.objects.create(
            user=network_admin,
            case=case,
            reason="test",
            expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
        return before, Case.objects.workable_by(network_admin).filter(pk=case.pk).exists()

    assert _in_a_request(break_then_read) == (False, True)


def test_nothing_outlives_its_request(clinician_a, centre_b):
    case = make_case(centre_b)
    assert not _in_a_request(
        lambda: Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists()
    )
    # Another request (say, an admin's) grants the role: the next request sees it.
    Membership.objects.create(user=clinician_a, centre=centre_b, role=Role.CLINICIAN)
    assert _in_a_request(lambda: Case.objects.workable_by(clinician_a).filter(pk=case.pk).exists())
    assert _in_a_request(lambda: remember("key", lambda: "first")) == "first"
    assert _in_a_request(lambda: remember("key", lambda: "second")) == "second"
