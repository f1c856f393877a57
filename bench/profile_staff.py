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
``FORESTALL_PROFILE_TEMPLATES=1`` the time each template's render takes.

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
        command = [*module, "--child", "measure", *args.pages, "--top", str(args.top)]
        if args.profile:
            command += ["--profile", args.profile]
        return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
