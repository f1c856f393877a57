"""Where a staff page's time goes: CPU per request, queries, and a profile.

``python -m bench.profile_staff [--keep DIR] [--profile NAME] [--top N] [NAME ...]``

The staff counterpart of ``bench.profile_pages``: production settings
(DEBUG off, fresh secrets), the network ``bench_cases`` fills (100,000 cases
unless ``FORESTALL_BENCH_CASES`` says otherwise, the 200-conversation inbox
queue), and the WSGI application called directly in one process with a
signed-in, second-factor-verified staff session cookie, so every request
goes through the whole middleware, the session load and save, the audit
write and the staff menu, exactly as under gunicorn.

``--keep DIR`` keeps the filled database, its secrets and the staff cookies
in ``DIR`` (filled on first use, reused afterwards: the fill takes minutes).
Pages: ``floor`` ("my tasks", empty), ``case`` (a case page at the
2,000-case centre), ``queue`` (the inbox queue). ``--profile NAME`` runs
``cProfile`` over the page's requests and prints the top functions.
``FORESTALL_PROFILE_SQL=1`` prints each page's queries;
``FORESTALL_PROFILE_TEMPLATES=1`` the time each template's render takes;
``FORESTALL_PROFILE_WITHOUT=audit,session,user,otp`` takes those safeguards
out of the measuring process (an experiment: what they cost).
``--served`` measures the pages' requests per second under gunicorn against
the bare view, as ``bench_cases`` does (with ``FORESTALL_PROFILE_WITHOUT``,
served by ``bench.without_wsgi``).

Not a goal check: the goal is the throughput ratio ``bench_cases`` measures
under gunicorn. This is the tool that shows *why* a page misses it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.server import ROOT

REPEATS = 200


def _fill_child(state_file: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench import bench_cases

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    world = bench_cases._fill()
    big = bench_cases._signed_in(world["clinicians"]["big"])
    pages = {
        "floor": ["/staff/cases/tasks/", bench_cases._cookie(big)],
        "case": [f"/staff/cases/{world['sample']['big'].pk}/", bench_cases._cookie(big)],
        "queue": ["/staff/inbox/", bench_cases._inbox_queue(world["centres"]["big"])],
    }
    state_file.write_text(json.dumps(pages))


def _measure_child(
    pages: dict[str, list[str]], names: list[str], profile: str | None, top: int
) -> None:
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from bench.bench_cases import _environ

    application = get_wsgi_application()
    _leave_out(os.environ.get("FORESTALL_PROFILE_WITHOUT", ""))
    spent: dict[str, float] = {}
    if os.environ.get("FORESTALL_PROFILE_TEMPLATES"):
        from django.template import base as template_base

        original = template_base.Template._render

        def timed(self, context):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return original(self, context)
            finally:
                name = str(self.origin.template_name)
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        template_base.Template._render = timed  # type: ignore[method-assign]

    def call(name: str) -> int:
        path, cookie = pages[name]
        status: list[str] = []
        result = application(_environ(path, cookie), lambda s, h, *a: status.append(s))
        body = b"".join(result)
        result.close()  # type: ignore[attr-defined]
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path} answered {status[0]}")
        return len(body)

    for name in names:
        for _ in range(10):
            call(name)  # warm-up: imports, connections, per-process caches

    def queries(name: str) -> tuple[list[str], int]:
        seen: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            size = call(name)
        return seen, size

    print(f"CPU per request (best of three runs of {REPEATS}), queries per request:")
    for name in names:
        captured, size = queries(name)
        best = float("inf")
        for _run in range(3):
            started = time.process_time()
            for _ in range(REPEATS):
                call(name)
            best = min(best, (time.process_time() - started) / REPEATS)
        print(
            f"  {name:6} {best * 1000:6.2f} ms  {len(captured):3} queries  "
            f"({size / 1024:.1f} KB)  {pages[name][0]}"
        )
    if os.environ.get("FORESTALL_PROFILE_TEMPLATES"):
        for name in names:
            spent.clear()
            for _ in range(REPEATS):
                call(name)
            print(f"--- templates of {name} (ms per request, each including what it includes)")
            for template, seconds in sorted(spent.items(), key=lambda item: -item[1])[:15]:
                print(f"  {seconds * 1000 / REPEATS:6.3f}  {template}")
    if os.environ.get("FORESTALL_PROFILE_SQL"):
        for name in names:
            print(f"--- queries of {name}")
            for sql in queries(name)[0]:
                print("  ", sql[:300])
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(REPEATS):
            call(profile)
        profiler.disable()
        if os.environ.get("FORESTALL_PROFILE_DUMP"):
            profiler.dump_stats(os.environ["FORESTALL_PROFILE_DUMP"])
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        print(out.getvalue())


def _leave_out(parts: str) -> None:
    """An experiment, never a setting: take parts of the staff floor out of this process.

    ``FORESTALL_PROFILE_WITHOUT=audit,session,user,otp`` measures what each
    safeguard every staff page runs costs, by taking it out: ``audit`` makes
    the audit entry of every read a no-op; ``session``, ``user`` and ``otp``
    answer the session row, the signed-in user and the second-factor device
    from the first request's result instead of the database. What is left is
    what a staff page would cost without them.
    """
    wanted = {part.strip() for part in parts.split(",") if part.strip()}
    unknown = wanted - {"audit", "session", "user", "otp"}
    if unknown:
        raise SystemExit(f"FORESTALL_PROFILE_WITHOUT: unknown {sorted(unknown)}")
    if "audit" in wanted:

        def nothing(*args: object, **kwargs: object) -> None:
            return None

        for module in list(sys.modules.values()):
            name = getattr(module, "__name__", "")
            if name.startswith("forestall.") and name != "forestall.audit.actions.chain":
                for attribute in ("record_read", "record_event"):
                    if callable(getattr(module, attribute, None)):
                        setattr(module, attribute, nothing)

    def remembered(owner: Any, method: str, key: Any) -> None:
        original = getattr(owner, method)
        seen: dict[Any, Any] = {}

        def answer(self: Any, *args: Any) -> Any:
            found = key(self, *args)
            if found not in seen:
                seen[found] = original(self, *args)
            return seen[found]

        setattr(owner, method, answer)

    if "session" in wanted:
        from forestall.accounts.sessions import SessionStore

        original = SessionStore._get_session_from_db
        rows: dict[str, tuple[Any, Any]] = {}

        def session_row(store: Any) -> Any:
            if store.session_key not in rows:
                rows[store.session_key] = (original(store), store._stored_expiry)
            found, store._stored_expiry = rows[store.session_key]
            return found

        SessionStore._get_session_from_db = session_row  # type: ignore[method-assign]
    if "user" in wanted:
        from forestall.accounts.backends import StaffModelBackend

        remembered(StaffModelBackend, "get_user", lambda backend, user_id: user_id)
    if "otp" in wanted:
        from forestall.accounts.middleware import StaffOTPMiddleware

        remembered(StaffOTPMiddleware, "_device_from_persistent_id", lambda mw, pid: pid)
    if wanted:
        print(f"left out of every request: {', '.join(sorted(wanted))}")


def _served(env: dict[str, str], pages: dict[str, list[str]], names: list[str]) -> int:
    """The pages' requests per second under gunicorn against the bare view, as ``bench_cases``.

    With ``FORESTALL_PROFILE_WITHOUT`` the server runs ``bench.without_wsgi``:
    the same measure with those safeguards taken out.
    """
    from bench.bench_foundation import CONCURRENCY, DURATION, ROUNDS, measure_throughput
    from bench.server import _gunicorn, serve_bare, server_cpu_seconds

    env = {**os.environ, **env}
    app = (
        "bench.without_wsgi:application"
        if env.get("FORESTALL_PROFILE_WITHOUT")
        else "forestall.wsgi:application"
    )
    with serve_bare() as bare_url, _gunicorn(app, env, "/healthz") as base_url:
        targets = {"bare": (bare_url, "/", {})}
        for name in names or list(pages):
            path, cookie = pages[name]
            targets[name] = (base_url, path, {"Cookie": cookie})
        for url, path, headers in targets.values():
            measure_throughput(url, path, duration=1.0, headers=headers)  # warm-up
        counts = {name: [0, 0.0, 0.0, 0] for name in targets}
        for _round in range(ROUNDS):
            for name, (url, path, headers) in targets.items():
                before = server_cpu_seconds(url)
                result = measure_throughput(url, path, duration=DURATION / ROUNDS, headers=headers)
                counts[name][0] += result.requests
                counts[name][1] += result.seconds
                counts[name][2] += server_cpu_seconds(url) - before
                counts[name][3] += result.errors
    bare = counts["bare"][0] / counts["bare"][1]
    print(f"under gunicorn ({CONCURRENCY} keep-alive clients, {ROUNDS} interleaved rounds):")
    for name, (requests, seconds, cpu, errors) in counts.items():
        rate = requests / seconds
        print(
            f"  {name:6} {rate:6.0f} requests/s = {rate / bare:.3f} of the bare view; "
            f"{cpu * 1000 / max(requests, 1):.2f} ms server CPU per request"
            + (f", {errors} errors" if errors else "")
        )
    return 0


def _child_env(settings: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key.startswith("FORESTALL_BENCH_")
        or key.startswith("FORESTALL_PROFILE_")
        or not key.startswith(("FORESTALL_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "forestall.settings", "PYTHONPATH": str(ROOT)})
    env.update(settings)
    return env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_staff")
    parser.add_argument("pages", nargs="*")
    parser.add_argument("--keep", help="a directory to keep the filled database in")
    parser.add_argument("--profile", help="a page to profile with cProfile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--served",
        action="store_true",
        help="requests per second under gunicorn, against the bare view",
    )
    parser.add_argument("--child", choices=["fill", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "fill":
        _fill_child(Path(args.state))
        return 0
    if args.child == "measure":
        pages = json.loads(Path(args.state).read_text())
        _measure_child(pages, args.pages or list(pages), args.profile, args.top)
        return 0

    from bench.bench_cases import _settings

    with tempfile.TemporaryDirectory(prefix="forestall-profile-staff-") as scratch:
        directory = Path(args.keep or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        settings_file = directory / "settings.json"
        state = directory / "pages.json"
        if settings_file.exists():
            settings = json.loads(settings_file.read_text())
        else:
            settings = _settings(str(directory))
            settings_file.write_text(json.dumps(settings))
        env = _child_env(settings)
        module = [sys.executable, "-m", "bench.profile_staff", "--state", str(state)]
        if not state.exists():
            started = time.perf_counter()
            subprocess.run([*module, "--child", "fill"], env=env, cwd=ROOT, check=True)
            print(f"filled in {time.perf_counter() - started:.0f} s")
        if args.served:
            return _served(env, json.loads(state.read_text()), args.pages)
        command = [*module, "--child", "measure", *args.pages, "--top", str(args.top)]
        if args.profile:
            command += ["--profile", args.profile]
        return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
