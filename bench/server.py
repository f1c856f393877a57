"""Serve forestall (or the bare baseline) the way production does, for benchmarks.

``serve()`` is a context manager that yields the base URL of a gunicorn
server on a free loopback port::

    with serve(env={"DATABASE_URL": "postgres://..."}) as base_url:
        ...

It builds a production environment (DEBUG off, freshly generated secrets,
``FORESTALL_SSL_REDIRECT=0`` because loopback is plain HTTP), migrates a
temporary SQLite database (unless ``DATABASE_URL`` is given), seeds the demo
network, collects static files into a temporary directory, and stops the
server and removes everything on exit. ``serve_bare()`` serves the bare Django
project in ``bench/bare`` with exactly the same gunicorn settings, as the
baseline every figure is divided by.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The production server setup: gunicorn with threaded workers (keep-alive
# capable), no access log (forestall never logs requests), loopback only.
WORKERS = int(os.environ.get("FORESTALL_BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("FORESTALL_BENCH_THREADS", "4"))


def gunicorn_args(app: str, port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_secrets() -> dict[str, str]:
    """Every secret production mode requires, freshly generated: the one list to extend."""
    return {
        "FORESTALL_SECRET_KEY": secrets.token_urlsafe(50),
        "FORESTALL_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "FORESTALL_PEPPER": secrets.token_urlsafe(48),
        "FORESTALL_AUDIT_KEY": secrets.token_urlsafe(48),
        "FORESTALL_RESEARCH_SECRET": secrets.token_urlsafe(48),
        "FORESTALL_REACH_SIGNING_KEYS": "r1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def client_env() -> dict[str, str]:
    """Production settings as the test suite runs them: for children that drive
    forestall in-process with Django's test client (plain HTTP, static files
    from the apps' folders, no page cache), with freshly generated secrets."""
    return {
        **production_secrets(),
        "FORESTALL_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "FORESTALL_SSL_REDIRECT": "0",
        "FORESTALL_STATIC_FROM_APPS": "1",
        "FORESTALL_PAGE_CACHE_SECONDS": "0",
    }


def production_env(var_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a production-mode forestall with freshly generated secrets."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FORESTALL_", "DJANGO_", "PYTEST")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "FORESTALL_DEBUG": "0",
            "FORESTALL_VAR": str(var_dir),
            **production_secrets(),
            "FORESTALL_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Loopback is plain HTTP; everything else stays as in production.
            "FORESTALL_SSL_REDIRECT": "0",
            "FORESTALL_LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite:///{var_dir / 'forestall.sqlite3'}",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra or {})
    return env


def run_child(module: str, settings: Mapping[str, str]) -> list[str]:
    """Run ``python -m bench.<module> --child`` with ``settings`` and return its report.

    The child starts from this process's environment without any forestall,
    Django or database settings (``FORESTALL_BENCH_*`` sizes pass through),
    so nothing of the developer's own configuration leaks into a measurement.
    It prints its report lines as JSON on its last line; a failure returns
    the end of its stderr instead.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key.startswith("FORESTALL_BENCH_")
        or not key.startswith(("FORESTALL_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "forestall.settings", "PYTHONPATH": str(ROOT)})
    env.update(settings)
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return ["FAILED:", *completed.stderr.strip().splitlines()[-15:]]
    return list(json.loads(completed.stdout.strip().splitlines()[-1]))


def ensure_postgres_database(url: str, *, fresh: bool = False) -> str | None:
    """Create the bench database (anew if ``fresh``); a "skipped" line if unreachable."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            if fresh:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        return f"skipped: PostgreSQL not reachable ({str(error).splitlines()[0]})"
    return None


def _forestall(env: Mapping[str, str], *args: str) -> None:
    subprocess.run(
        [str(BIN / "forestall"), *args],
        env=dict(env),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepare(env: Mapping[str, str], *, seed: bool = True) -> None:
    """Migrate, seed the demo network and collect static files, as a deployment would."""
    _forestall(env, "migrate", "--no-input", "-v", "0")
    if seed:
        # seed-demo runs in debug mode only (its passwords are public); the
        # server itself stays in production mode.
        _forestall({**env, "FORESTALL_DEBUG": "1"}, "seed-demo")
    _forestall(env, "collectstatic", "--no-input", "-v", "0")


def _wait_until_ready(port: int, path: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start (exit code {process.returncode})")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {path} within {timeout:.0f} s")


# Base URL → process id of the gunicorn master serving it (while it runs).
_SERVERS: dict[str, int] = {}


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def _status_kb(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def stack_memory(base_url: str) -> tuple[float, float, int]:
    """Memory of the server at ``base_url`` and everything it started (Linux ``/proc``).

    Returns (resident MB summed over the processes, proportional MB — shared
    pages divided among the processes that share them —, number of processes).
    The resident sum counts pages the forked workers share with the master
    more than once, so it is the upper bound.
    """
    pids = _descendants(_SERVERS[base_url])
    resident = sum(_status_kb(Path(f"/proc/{pid}/status"), "VmRSS") for pid in pids)
    proportional = sum(_status_kb(Path(f"/proc/{pid}/smaps_rollup"), "Pss") for pid in pids)
    return resident / 1024, proportional / 1024, len(pids)


def server_cpu_seconds(base_url: str) -> float:
    """CPU seconds (user and system) used so far by the server at ``base_url`` and its workers.

    Read before and after a measurement, the difference divided by the
    requests answered is the server's CPU per request under load: unlike the
    in-process figure, it includes the HTTP server and the cost of sharing
    the cores with the load generator.
    """
    ticks = 0
    for pid in _descendants(_SERVERS[base_url]):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended in between
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def _gunicorn(app: str, env: Mapping[str, str], ready_path: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(gunicorn_args(app, port), env=dict(env), cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    _SERVERS[base_url] = process.pid
    try:
        _wait_until_ready(port, ready_path, process, timeout=60)
        yield base_url
    finally:
        _SERVERS.pop(base_url, None)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve(env: Mapping[str, str] | None = None, *, seed: bool = True) -> Iterator[str]:
    """Run forestall in production mode; yield its base URL (``http://127.0.0.1:PORT``).

    ``env`` adds or overrides environment variables (e.g. ``DATABASE_URL`` for
    PostgreSQL; that database is migrated and seeded, not created or dropped).
    """
    with tempfile.TemporaryDirectory(prefix="forestall-bench-") as directory:
        full_env = production_env(Path(directory), env)
        prepare(full_env, seed=seed)
        with _gunicorn("forestall.wsgi:application", full_env, "/healthz") as base_url:
            yield base_url


@contextmanager
def serve_bare() -> Iterator[str]:
    """Run the bare Django project (one "hello" view) with the same gunicorn settings."""
    with tempfile.TemporaryDirectory(prefix="forestall-bare-") as directory:
        env = production_env(Path(directory))
        env["DJANGO_SETTINGS_MODULE"] = "bench.bare.settings"
        with _gunicorn("bench.bare.wsgi:application", env, "/") as base_url:
            yield base_url
