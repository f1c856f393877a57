"""100 concurrent help-seekers writing and reading their mailboxes.

Serves forestall the production way (``bench/server.py``: gunicorn, DEBUG
off, a fresh database) and lets ``BENCH_MAILBOX_SEEKERS`` (100) simulated
help-seekers, each a thread with its own keep-alive connection and cookies,
start a mailbox, sign in, and then for ``BENCH_MAILBOX_SECONDS`` (120) write
messages carrying unique tokens, read their mailbox and load the home page,
with a few seconds' thought in between. Each seeker comes from its own
address (``X-Forwarded-For``, as behind the TLS proxy), so the per-address
rate limits apply to each of them as they would in real life.

Reported: throughput, p50/p95 of sending a message against the home page's
p50/p95 in the same run (goal: send p95 <= 3 x home p95), and messages lost
or duplicated, checked afterwards both in the database (row count) and
through each mailbox (every acknowledged token exactly once; goal: zero);
answers with a 5xx status (goal: zero — on SQLite no "database is locked");
and the resident memory of the whole server (gunicorn and every process it
started) after the load (goal: under 300 MB).

``BENCH_DATABASE_URL`` selects PostgreSQL (migrated and seeded, not created);
otherwise a temporary SQLite file.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import sqlite3
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.server import serve, stack_memory

SEEKERS = int(os.environ.get("BENCH_MAILBOX_SEEKERS", "100"))
SECONDS = float(os.environ.get("BENCH_MAILBOX_SECONDS", "120"))
# Below the public write limit (30 per 10 minutes per address) on purpose:
# the bench measures service, not refusals.
MAX_MESSAGES_PER_SEEKER = 25
MEMORY_GOAL_MB = 300
THINK_SECONDS = (2.0, 5.0)

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CODENAME = re.compile(r'id="codename"[^>]*>([^<]+)<')


@dataclass
class Timings:
    home: list[float] = field(default_factory=list)
    send: list[float] = field(default_factory=list)
    read: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            getattr(self, kind).append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


class Seeker:
    """One help-seeker's browser: a keep-alive connection and a cookie jar."""

    def __init__(self, base_url: str, number: int) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.address = f"10.{number // 250}.{number % 250}.{random.randint(1, 250)}"
        self.acknowledged: list[str] = []
        self.unacknowledged: list[str] = []

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        headers = {"X-Forwarded-For": self.address, "Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # A dropped keep-alive connection: reconnect once.
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, text

    def csrf(self, page: str) -> str:
        match = _CSRF.search(page)
        if not match:
            raise RuntimeError("no CSRF token on the page")
        return match.group(1)

    def start(self) -> None:
        _status, page = self.request("GET", "/mailbox/start/")
        status, page = self.request(
            "POST", "/mailbox/start/", {"csrfmiddlewaretoken": self.csrf(page), "pathway": "self"}
        )
        if status != 302:
            raise RuntimeError(f"starting a mailbox answered {status}")
        # On to the codename page, as a browser follows the redirect.
        status, page = self.request("GET", "/mailbox/start/codename/")
        match = _CODENAME.search(page)
        if status != 200 or not match:
            raise RuntimeError(f"the codename page answered {status}")
        codename = match.group(1).strip()
        status, _page = self.request(
            "POST",
            "/mailbox/start/confirm/",
            {"csrfmiddlewaretoken": self.csrf(page), "codename": codename, "confirmed": "on"},
        )
        if status != 302:
            raise RuntimeError(f"confirming the codename answered {status}")


def _timed(timings: Timings, kind: str, call) -> tuple[int, str]:
    started = time.perf_counter()
    status, page = call()
    timings.add(kind, time.perf_counter() - started)
    return status, page


def _seeker_loop(seeker: Seeker, timings: Timings, clock: dict[str, float], barrier) -> None:
    """Start a mailbox, wait for everyone, then write/read/home until the deadline."""
    try:
        seeker.start()
    except Exception as error:  # counted and reported; the run goes on
        timings.error(f"start: {type(error).__name__}")
        barrier.wait()
        return
    barrier.wait()  # after this, ``run`` has set the deadline
    deadline = clock["deadline"]
    _status, page = seeker.request("GET", "/mailbox/")
    while time.monotonic() < deadline and len(seeker.acknowledged) < MAX_MESSAGES_PER_SEEKER:
        token = f"benchtoken{uuid.uuid4().hex}"
        form = {
            "csrfmiddlewaretoken": seeker.csrf(page),
            "body": f"{token} I would like to talk to someone about my thoughts.",
            "centre": "",
        }
        try:
            status, _page = _timed(
                timings, "send", lambda form=form: seeker.request("POST", "/mailbox/write/", form)
            )
        except (http.client.HTTPException, OSError):
            status = 0
        if status == 302:
            seeker.acknowledged.append(token)
        else:
            seeker.unacknowledged.append(token)
            timings.error(f"send answered {status}")
        status, page = _timed(timings, "read", lambda: seeker.request("GET", "/mailbox/"))
        if status != 200:
            timings.error(f"read answered {status}")
        status, _home = _timed(timings, "home", lambda: seeker.request("GET", "/"))
        if status != 200:
            timings.error(f"home answered {status}")
        time.sleep(random.uniform(*THINK_SECONDS))


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _stored_seeker_messages(database_url: str) -> int:
    query = "SELECT COUNT(*) FROM inbox_message WHERE author_kind = 'seeker'"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return int(connection.execute(query).fetchone()[0])
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        return int(connection.execute(query).fetchone()[0])  # type: ignore[index]


def _check_mailboxes(seekers: list[Seeker]) -> tuple[int, int, int]:
    """Read every mailbox back: acknowledged tokens missing, duplicated; stray unacknowledged."""
    lost = duplicated = stray = 0
    for seeker in seekers:
        if not seeker.acknowledged and not seeker.unacknowledged:
            continue
        _status, page = seeker.request("GET", "/mailbox/")
        for token in seeker.acknowledged:
            seen = page.count(token)
            lost += seen == 0
            duplicated += max(0, seen - 1)
        stray += sum(1 for token in seeker.unacknowledged if token in page)
        seeker.connection.close()
    return lost, duplicated, stray


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="forestall-bench-mailbox-") as directory:
        database_url = os.environ.get("BENCH_DATABASE_URL") or (
            f"sqlite:///{Path(directory) / 'mailbox.sqlite3'}"
        )
        engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        # One trusted proxy: each seeker's X-Forwarded-For counts as its address.
        with serve(
            env={"DATABASE_URL": database_url, "FORESTALL_TRUSTED_PROXIES": "1"}
        ) as base_url:
            before = _stored_seeker_messages(database_url)
            timings = Timings()
            seekers = [Seeker(base_url, number) for number in range(SEEKERS)]
            # The clock starts once every seeker has a mailbox: the barrier's
            # action sets the deadline before any seeker goes on.
            clock: dict[str, float] = {}

            def start_clock() -> None:
                clock["deadline"] = time.monotonic() + SECONDS
                clock["started"] = time.perf_counter()

            barrier = threading.Barrier(SEEKERS + 1, action=start_clock)
            threads = [
                threading.Thread(
                    target=_seeker_loop, args=(seeker, timings, clock, barrier), daemon=True
                )
                for seeker in seekers
            ]
            for thread in threads:
                thread.start()
            barrier.wait()
            for thread in threads:
                thread.join(timeout=SECONDS + 120)
            elapsed = time.perf_counter() - clock["started"]
            lost, duplicated, stray = _check_mailboxes(seekers)
            stored = _stored_seeker_messages(database_url) - before
            resident_mb, proportional_mb, processes = stack_memory(base_url)
        acknowledged = sum(len(seeker.acknowledged) for seeker in seekers)
        unacknowledged = sum(len(seeker.unacknowledged) for seeker in seekers)
        requests = len(timings.home) + len(timings.send) + len(timings.read)
        home_p50, home_p95 = _percentile(timings.home, 0.5), _percentile(timings.home, 0.95)
        send_p50, send_p95 = _percentile(timings.send, 0.5), _percentile(timings.send, 0.95)
        read_p50, read_p95 = _percentile(timings.read, 0.5), _percentile(timings.read, 0.95)
        ratio = send_p95 / home_p95 if home_p95 else float("nan")
        server_errors = sum(
            count
            for what, count in timings.errors.items()
            if what.split()[-1].isdigit() and int(what.split()[-1]) >= 500
        )
        lines = [
            f"{SEEKERS} concurrent help-seekers for {elapsed:.0f} s on {engine} "
            f"(gunicorn, production settings)",
            f"throughput: {requests / elapsed:.1f} requests/s, "
            f"{acknowledged / elapsed:.1f} messages/s ({acknowledged} messages sent)",
            f"home page:     p50 {home_p50 * 1000:.0f} ms, p95 {home_p95 * 1000:.0f} ms "
            f"(baseline, n={len(timings.home)})",
            f"send message:  p50 {send_p50 * 1000:.0f} ms, p95 {send_p95 * 1000:.0f} ms "
            f"= {send_p50 / home_p50:.2f}x / {ratio:.2f}x the home page "
            f"(goal p95 <= 3x: {'met' if ratio <= 3 else 'NOT met'})",
            f"read mailbox:  p50 {read_p50 * 1000:.0f} ms, p95 {read_p95 * 1000:.0f} ms "
            f"= {read_p50 / home_p50:.2f}x / {read_p95 / home_p95:.2f}x the home page",
            f"messages lost: {lost}, duplicated: {duplicated} "
            f"(rows stored {stored} for {acknowledged} acknowledged; goal: zero: "
            f"{'met' if not lost and not duplicated and stored == acknowledged else 'NOT met'})",
            f"server errors (5xx): {server_errors} "
            f"(goal: zero: {'met' if not server_errors else 'NOT met'})",
            f"memory of the whole server after the load ({processes} processes): "
            f"{resident_mb:.0f} MB resident, {proportional_mb:.0f} MB proportional "
            f"(goal < {MEMORY_GOAL_MB} MB resident: "
            f"{'met' if resident_mb < MEMORY_GOAL_MB else 'NOT met'})",
        ]
        if stored != acknowledged + stray:
            lines.append(
                f"database mismatch: {stored} rows for {acknowledged} acknowledged "
                f"+ {stray} unacknowledged but stored"
            )
        if unacknowledged or timings.errors:
            lines.append(
                f"not acknowledged: {unacknowledged}; errors: "
                + (", ".join(f"{k} x{v}" for k, v in sorted(timings.errors.items())) or "none")
            )
        return lines
