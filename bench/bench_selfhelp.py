"""Self-help: a module page's throughput, and saving an exercise under 50 users.

1. Throughput of a module page (``/self-help/self/safety-plan/``, the
   longest module) against a bare Django view, measured in interleaved
   rounds like ``bench_foundation`` (goal: at least 0.5 of the bare view).
2. ``BENCH_SELFHELP_SEEKERS`` (50) concurrent help-seekers, each with a
   mailbox, save the safety plan again and again for
   ``BENCH_SELFHELP_SECONDS`` (60) and load the home page in between (goal:
   saving p95 within 3x the home page's p95 in the same run).

Serves forestall the production way (``bench/server.py``); afterwards every
seeker's saved answer is read back through its module page.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.bench_foundation import ROUNDS, _combined, _verdict, measure_throughput
from bench.bench_mailbox import Seeker, Timings, _percentile, _timed
from bench.server import serve, serve_bare

SEEKERS = int(os.environ.get("BENCH_SELFHELP_SEEKERS", "50"))
SECONDS = float(os.environ.get("BENCH_SELFHELP_SECONDS", "60"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_SELFHELP_THROUGHPUT_SECONDS", "12"))
THINK_SECONDS = (1.0, 3.0)
MODULE = "/self-help/self/safety-plan/"
_SAVED = re.compile(r"benchplan[0-9a-f]{32}")


def _throughput(bare_url: str, base_url: str) -> list[str]:
    targets = {"bare": (bare_url, "/"), "module": (base_url, MODULE)}
    for url, path in targets.values():
        measure_throughput(url, path, duration=1.5)  # warm-up
    parts: dict[str, list] = {name: [] for name in targets}
    for _round in range(ROUNDS):
        for name, (url, path) in targets.items():
            parts[name].append(measure_throughput(url, path, duration=THROUGHPUT_SECONDS / ROUNDS))
    bare, module = _combined(parts["bare"]), _combined(parts["module"])
    ratio = module.per_second / bare.per_second if bare.per_second else 0.0
    errors = f", {module.errors} errors" if module.errors else ""
    return [
        f"bare Django view: {bare.per_second:.0f} requests/s (baseline)",
        f"module page {MODULE}: {module.per_second:.0f} requests/s = {ratio:.2f} of the bare "
        f"view (goal ≥ 0.5: {_verdict(ratio >= 0.5)}){errors}",
    ]


def _seeker_loop(seeker: Seeker, timings: Timings, clock: dict, barrier, last: dict) -> None:
    try:
        seeker.start()
    except Exception as error:  # counted and reported; the run goes on
        timings.error(f"start: {str(error)[:60]}")
        barrier.wait()
        return
    barrier.wait()
    _status, page = seeker.request("GET", MODULE)
    while time.monotonic() < clock["deadline"]:
        token = f"benchplan{uuid.uuid4().hex}"
        form = {
            "csrfmiddlewaretoken": seeker.csrf(page),
            "exercise": "plan",
            "warning-signs": f"{token} late evenings alone",
            "reasons": "my family",
        }
        status, _page = _timed(
            timings, "send", lambda form=form: seeker.request("POST", MODULE, form)
        )
        if status == 302:
            last[id(seeker)] = token
        else:
            timings.error(f"save answered {status}")
        status, page = _timed(timings, "read", lambda: seeker.request("GET", MODULE))
        if status != 200:
            timings.error(f"module page answered {status}")
        status, _home = _timed(timings, "home", lambda: seeker.request("GET", "/"))
        if status != 200:
            timings.error(f"home answered {status}")
        time.sleep(random.uniform(*THINK_SECONDS))


def _concurrent(base_url: str) -> list[str]:
    timings = Timings()
    seekers = [Seeker(base_url, number) for number in range(SEEKERS)]
    clock: dict[str, float] = {}
    last: dict[int, str] = {}

    def start_clock() -> None:
        clock["deadline"] = time.monotonic() + SECONDS
        clock["started"] = time.perf_counter()

    barrier = threading.Barrier(SEEKERS + 1, action=start_clock)
    threads = [
        threading.Thread(
            target=_seeker_loop, args=(seeker, timings, clock, barrier, last), daemon=True
        )
        for seeker in seekers
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    elapsed = time.perf_counter() - clock["started"]
    lost = 0
    for seeker in seekers:
        if id(seeker) in last:
            _status, page = seeker.request("GET", MODULE)
            lost += last[id(seeker)] not in _SAVED.findall(page)
        seeker.connection.close()
    home_p50, home_p95 = _percentile(timings.home, 0.5), _percentile(timings.home, 0.95)
    save_p50, save_p95 = _percentile(timings.send, 0.5), _percentile(timings.send, 0.95)
    ratio = save_p95 / home_p95 if home_p95 else float("nan")
    lines = [
        f"{SEEKERS} concurrent help-seekers with mailboxes for {elapsed:.0f} s",
        f"home page:      p50 {home_p50 * 1000:.0f} ms, p95 {home_p95 * 1000:.0f} ms "
        f"(baseline, n={len(timings.home)})",
        f"save exercise:  p50 {save_p50 * 1000:.0f} ms, p95 {save_p95 * 1000:.0f} ms "
        f"= {ratio:.2f}x the home page's p95 (goal ≤ 3x: {_verdict(ratio <= 3)}, "
        f"n={len(timings.send)})",
        f"last saved answer missing when read back: {lost} (goal: zero)",
    ]
    if timings.errors:
        lines.append("errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(timings.errors.items())))
    return lines


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="forestall-bench-selfhelp-") as directory:
        database_url = os.environ.get("BENCH_DATABASE_URL") or (
            f"sqlite:///{Path(directory) / 'selfhelp.sqlite3'}"
        )
        env = {"DATABASE_URL": database_url, "FORESTALL_TRUSTED_PROXIES": "1"}
        with serve_bare() as bare_url, serve(env=env) as base_url:
            lines = _throughput(bare_url, base_url)
            lines += _concurrent(base_url)
    return lines
