"""Where a rendered page's time goes: CPU per request, and a profile.

``python -m bench.profile_pages [PATH ...] [--profile PATH] [--top N]``

Production settings on a seeded demo network (SQLite), as ``make bench``
serves it; the WSGI application is called directly in one process, so the
figures are the application's own CPU time per request, without gunicorn
or the load generator. Every page is requested as a visitor with a cookie
(the page cache never answers); ``/mailbox/`` is also requested as a
signed-in help-seeker with three messages (``/mailbox/#signed-in``). Staff
pages are not covered here (they need a second factor); see bench_cases.

Not a goal check: the goals are measured by ``make bench`` against a bare
view in the same run. This is the tool that shows *why* a page misses one.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.server import ROOT, _gunicorn, prepare, production_env

PAGES = [
    "/",
    "/centres/",
    "/help/self/",
    "/confidentiality/",
    "/self-check/",
    "/mailbox/",
    "/mailbox/start/",
    "/de/",
    "/mailbox/#signed-in",
    "/healthz",
]
SIGNED_IN = "/mailbox/#signed-in"
REPEATS = 300


def _environ(path: str, cookie: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "HTTP_ACCEPT_LANGUAGE": "en",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }


def _child(
    pages: list[str], profile: str | None, top: int, signed_in_cookie: str, dump: str
) -> None:
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def call(path: str) -> int:
        cookie = signed_in_cookie if path == SIGNED_IN else "bench=1"
        status: list[str] = []
        result = application(
            _environ(path.split("#")[0], cookie), lambda s, h, *a: status.append(s)
        )
        body = b"".join(result)
        if dump:
            name = path.strip("/").replace("/", "_").replace("#", "-") or "home"
            (Path(dump) / f"{name}.html").write_bytes(body)
        close = getattr(result, "close", None)
        if close:
            close()
        if not status or status[0][:1] not in "23":
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
        return len(body)

    del request_started, request_finished  # the handler sends them itself
    for path in pages:
        for _ in range(20):
            call(path)  # warm-up: imports, connections, per-process caches
    print(f"CPU per request (best of three runs of {REPEATS}):")
    for path in pages:
        best = float("inf")
        for _run in range(3):
            started = time.process_time()
            for _ in range(REPEATS):
                size = call(path)
            best = min(best, (time.process_time() - started) / REPEATS)
        print(f"  {path:28} {best * 1000:6.2f} ms  ({size / 1024:.1f} KB)")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(REPEATS):
            call(profile)
        profiler.disable()
        if os.environ.get("FORESTALL_PROFILE_DUMP"):  # as bench.profile_staff
            profiler.dump_stats(os.environ["FORESTALL_PROFILE_DUMP"])
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        print(out.getvalue())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_pages")
    parser.add_argument("pages", nargs="*")
    parser.add_argument("--profile", help="a page to profile with cProfile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", default="", help="a folder to write each page's HTML to")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cookie", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pages = args.pages or PAGES
    if args.child:
        import django

        django.setup()
        _child(pages, args.profile, args.top, args.cookie, args.dump)
        return 0
    from bench.bench_foundation import _signed_in_cookie

    with tempfile.TemporaryDirectory(prefix="forestall-profile-") as directory:
        env = production_env(Path(directory))
        env["DJANGO_SETTINGS_MODULE"] = "forestall.settings"
        if os.environ.get("FORESTALL_PROFILE_DUMP"):
            env["FORESTALL_PROFILE_DUMP"] = os.environ["FORESTALL_PROFILE_DUMP"]
        prepare(env)
        with _gunicorn("forestall.wsgi:application", env, "/healthz") as base_url:
            cookie = _signed_in_cookie(base_url)["Cookie"]
        command = [sys.executable, "-m", "bench.profile_pages", "--child", "--cookie", cookie]
        command += [*pages, "--top", str(args.top), "--dump", args.dump]
        if args.profile:
            command += ["--profile", args.profile]
        return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
