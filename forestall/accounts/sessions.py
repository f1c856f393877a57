"""The staff session store: Django's database sessions, written only when something changed.

Staff sessions end after ``SESSION_COOKIE_AGE`` without activity (30
minutes): ``SESSION_SAVE_EVERY_REQUEST`` moves the session's expiry forward
on every request. With Django's own store that is a write on every staff
page — on SQLite a turn at the one write lock, on any database a row
rewritten with unchanged data — only to move a deadline by the seconds since
the previous page.

This store skips that write when nothing in the session changed and the
deadline would move by less than ``REFRESH`` (one minute). The idle timeout
therefore ends a session between ``SESSION_COOKIE_AGE - REFRESH`` and
``SESSION_COOKIE_AGE`` after the last request — never later than configured.
Any change to the session's data (sign-in, second factor, sign-out, a
message shown on the next page) is saved as before, and a session past its
deadline is gone exactly as before (the expiry is checked when it is read).

Reading a session is one fixed statement (no ORM query building on every
staff request); the row and its signed data are checked exactly as Django
checks them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime

# The deadline moves only when it would move by at least this much.
REFRESH = datetime.timedelta(minutes=1)


def _aware(value: Any) -> datetime.datetime | None:
    """A stored expiry as an aware datetime (SQLite returns text, PostgreSQL a datetime)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


class SessionStore(db.SessionStore):
    # The expiry the row had when this request read it (None: not read, or no row).
    _stored_expiry: datetime.datetime | None = None

    def _get_session_from_db(self) -> Any:
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')}, {quote('expire_date')} FROM {table} "  # noqa: S608 - our own names
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(now)],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        self._stored_expiry = expiry = _aware(row[1])
        if expiry is None:  # pragma: no cover - the column is NOT NULL
            self._session_key = None
            return None
        return model(session_key=str(self.session_key), session_data=row[0], expire_date=expiry)

    def save(self, must_create: bool = False) -> None:
        if (
            not must_create
            and not self.modified
            and self._stored_expiry is not None  # read in this request, unchanged since
            and self.session_key is not None
            and self.get_expiry_date() - self._stored_expiry < REFRESH
        ):
            return
        super().save(must_create=must_create)
        self._stored_expiry = None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a HEAD request does not keep a staff session alive.

    Threat model: a session left open on a shared or stolen machine. Staff
    sessions end after ``SESSION_COOKIE_AGE`` without activity, and a HEAD
    (a link checker, a browser's or a chat app's preview, a script) is not a
    person at work: it must not move that deadline. A change a HEAD makes to
    the session itself (none of forestall's views make one) is still saved.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if request.method == "HEAD" and session is not None and not session.modified:
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
