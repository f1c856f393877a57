"""What the rate limits and the mailbox session checks cost per request.

Goal (issue 11): the rate-limit and session checks add less than 10 % to the
home page's and the mailbox send's p50, against the same run without them.

Runs in a child process with production settings and a temporary SQLite
file, driving the whole Django stack in-process with the test client (no
network, so the comparison is not drowned in socket noise). Each round
measures, interleaved so that machine load hits both alike:

* the home page ``/`` (page cache off) and ``POST /mailbox/write/`` with the
  checks as shipped: the address hashing of the privacy middleware, the
  rate-limit counters (``over_any``: per mailbox and the global ceiling), the
  signed session cookie and its server-side session row;
* the same requests with those checks switched off in the child only: the
  address hash and the counters replaced by no-ops, and the session check
  (signature, server-side session row, refreshed cookie) replaced by what
  any mailbox request needs anyway: loading the mailbox by its id, unchecked.

Reported: p50 of each, and the overhead in per cent.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from bench.server import production_secrets, run_child

REQUESTS = int(os.environ.get("FORESTALL_BENCH_LIMIT_REQUESTS", "400"))
ROUNDS = 4


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="forestall-bench-limits-") as directory:
        return run_child(
            "bench_limits",
            {
                "FORESTALL_DEBUG": "0",
                "FORESTALL_ALLOWED_HOSTS": "testserver,localhost",
                "FORESTALL_VAR": directory,
                **production_secrets(),
                "FORESTALL_SSL_REDIRECT": "0",
                "FORESTALL_PAGE_CACHE_SECONDS": "0",
                "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3",
            },
        )


# --- the child process -------------------------------------------------------


class _Switch:
    """Turns the checks off and on again inside the child (never in the server)."""

    def __init__(self) -> None:
        from forestall.inbox import mailbox_session, public_views
        from forestall.lib import privacy

        self.privacy = privacy
        self.session = mailbox_session
        self.views = public_views
        self.saved = (
            privacy.rate_limit_key_for,
            public_views.over_any,
            mailbox_session.signed_in_mailbox,
            mailbox_session.sign_in,
        )
        self.mailbox = None

    def off(self, mailbox) -> None:
        self.mailbox = mailbox
        self.privacy.rate_limit_key_for = lambda address: "off"
        self.views.over_any = lambda *args, **kwargs: False

        from forestall.inbox.models import Mailbox

        def signed_in(request):
            return Mailbox.objects.filter(pk=self.mailbox.pk).first()

        def sign_in(response, mailbox):
            return response

        self.session.signed_in_mailbox = signed_in
        self.session.sign_in = sign_in
        self.views.signed_in_mailbox = signed_in
        self.views.sign_in = sign_in

    def on(self) -> None:
        key_for, over_any, signed_in, sign_in = self.saved
        self.privacy.rate_limit_key_for = key_for
        self.views.over_any = over_any
        self.session.signed_in_mailbox = signed_in
        self.session.sign_in = sign_in
        self.views.signed_in_mailbox = signed_in
        self.views.sign_in = sign_in


def _child() -> list[str]:
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from forestall.inbox.models import Mailbox

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    switch = _Switch()
    browser = Client()
    browser.get("/mailbox/start/")
    page = browser.post("/mailbox/start/", {"pathway": "self"}, follow=True).content.decode()
    codename = page.split('id="codename"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
    browser.post("/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"})
    mailbox = Mailbox.objects.get()

    def timed(function) -> float:
        started = time.perf_counter()
        function()
        return time.perf_counter() - started

    def home() -> None:
        assert browser.get("/").status_code == 200  # noqa: S101

    counter = iter(range(10**9))

    def send() -> None:
        cache.clear()  # the limits must never refuse during the measurement
        response = browser.post("/mailbox/write/", {"body": f"bench message {next(counter)}"})
        assert response.status_code == 302, response.status_code  # noqa: S101

    samples: dict[str, list[float]] = {"home on": [], "home off": [], "send on": [], "send off": []}
    for _round in range(ROUNDS):
        for state in ("on", "off"):
            if state == "off":
                switch.off(mailbox)
            else:
                switch.on()
            for _ in range(20):  # warm-up
                home()
            for _ in range(REQUESTS // ROUNDS):
                samples[f"home {state}"].append(timed(home))
                samples[f"send {state}"].append(timed(send))
    switch.on()
    lines = []
    for page in ("home", "send"):
        with_checks = statistics.median(samples[f"{page} on"]) * 1000
        without = statistics.median(samples[f"{page} off"]) * 1000
        overhead = (with_checks - without) / without * 100
        verdict = "meets" if overhead < 10 else "MISSES"
        name = "home page /" if page == "home" else "mailbox send POST /mailbox/write/"
        lines.append(
            f"{name}: p50 {with_checks:.2f} ms with the rate-limit and session checks, "
            f"{without:.2f} ms without = {overhead:+.1f} % ({verdict} goal < 10 %)"
        )
    lines.append(f"({REQUESTS} requests of each kind, {ROUNDS} interleaved rounds)")
    return lines


if __name__ == "__main__" and "--child" in sys.argv:
    import json

    print(json.dumps(_child()))
