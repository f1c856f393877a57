"""A thread's database connection is released when the thread ends.

A server that starts a thread per request (Django's development server, which
``make demo`` runs) opens a connection in every thread. The statements
forestall compiles once per connection (``forestall.lib.prepared``,
``forestall.lib.rows``) hold the connection's converters, and those hold the
connection: kept in a dictionary outside it, they kept every connection open
after its thread ended. The demo ran out of file descriptors after about
10,000 requests (every later request answered 500, "unable to open database
file"). These tests run real requests in threads that end, and fail if
anything still holds a connection afterwards.
"""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from forestall.accounts.models import Role
from tests import factories
from tests.factories_cases import make_case


def _in_threads(work, count: int = 5) -> list[weakref.ref]:
    """Run ``work`` in ``count`` threads, one after another; their connections, weakly."""
    released: list[weakref.ref] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
            released.append(weakref.ref(connections["default"]))
        except BaseException as error:  # reported in the test's own thread
            failures.append(error)

    for _ in range(count):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    assert not failures, failures
    assert len(released) == count
    return released


@pytest.mark.django_db(transaction=True)
def test_a_staff_page_in_a_thread_leaves_no_connection_behind():
    centre = factories.make_centre("Centre A", factories.make_region("North"))
    clinician = factories.make_user(Role.CLINICIAN, centre, username="clinician_a")
    case = make_case(centre)
    cookie = factories.signed_in_client(clinician).cookies[settings.SESSION_COOKIE_NAME].value

    def staff_pages() -> None:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        # The floor of every staff page (session, user, second factor, the
        # audit entry) and the prepared queries of a case page and a list.
        for path in ("/staff/cases/tasks/", f"/staff/cases/{case.pk}/", "/staff/inbox/"):
            assert client.get(path).status_code == 200, path
        connections["default"].close_if_unusable_or_obsolete()  # as at a request's end

    released = _in_threads(staff_pages)
    gc.collect()
    assert [ref for ref in released if ref() is not None] == []


@pytest.mark.django_db(transaction=True)
def test_public_pages_in_a_thread_leave_no_connection_behind():
    def public_pages() -> None:
        client = Client()
        for path in ("/", "/centres/", "/mailbox/", "/self-help/", "/staff/login/"):
            assert client.get(path).status_code == 200, path

    released = _in_threads(public_pages)
    gc.collect()
    assert [ref for ref in released if ref() is not None] == []
