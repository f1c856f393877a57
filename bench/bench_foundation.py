"""Foundation benchmark: throughput of the public pages and the home page's weight.

Throughput of ``/`` and ``/centres/`` is divided by that of a bare Django
"hello" view served by the same gunicorn settings in the same run (goal: at
least 0.5). The home page's weight is measured in headless Chromium: total
bytes transferred (goal: under 30 KB) and number of requests (goal: at most 4).
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.server import THREADS, WORKERS, serve, serve_bare

DURATION = float(os.environ.get("FORESTALL_BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("FORESTALL_BENCH_CONCURRENCY", "4"))
ROUNDS = 3
CHROMIUM = os.environ.get("FORESTALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class Throughput:
    requests: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def measure_throughput(
    base_url: str,
    path: str,
    *,
    duration: float = DURATION,
    concurrency: int = CONCURRENCY,
    headers: dict[str, str] | None = None,
) -> Throughput:
    """Requests per second for ``path``: ``concurrency`` keep-alive clients for ``duration`` s.

    Each client thread reuses one HTTP/1.1 connection (``http.client``
    reconnects by itself if the server closes it). Only 200 answers count.
    """
    address = urlsplit(base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    request_headers = {"Accept-Language": "en", **(headers or {})}
    counts = [0] * concurrency
    errors = [0] * concurrency
    start_line = threading.Barrier(concurrency + 1)
    deadline = 0.0

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=10)
        start_line.wait()
        while time.perf_counter() < deadline:
            try:
                connection.request("GET", path, headers=request_headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
        connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline = started + duration
    start_line.wait()
    for thread in threads:
        thread.join()
    return Throughput(sum(counts), sum(errors), time.perf_counter() - started)


@dataclass
class PageWeight:
    requests: int
    bytes: int
    scripts: int
    urls: list[str]


def measure_page_weight(url: str, *, javascript: bool = True) -> PageWeight:
    """Bytes on the wire (headers and bodies) and requests for one visit to ``url``."""
    from playwright.sync_api import sync_playwright

    finished: list = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
            page = context.new_page()
            page.on("requestfinished", lambda request: finished.append(request))
            page.goto(url, wait_until="networkidle")
            total = 0
            for request in finished:
                sizes = request.sizes()
                total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
            context.close()
        finally:
            browser.close()
    return PageWeight(
        requests=len(finished),
        bytes=total,
        scripts=sum(1 for request in finished if request.resource_type == "script"),
        urls=[request.url for request in finished],
    )


def _verdict(ok: bool) -> str:
    return "ok" if ok else "BELOW GOAL"


def _combined(parts: list[Throughput]) -> Throughput:
    return Throughput(
        requests=sum(part.requests for part in parts),
        errors=sum(part.errors for part in parts),
        seconds=sum(part.seconds for part in parts),
    )


# Every public page a visitor reaches, rendered for someone who carries a
# cookie (so the page cache never answers): goal at least RENDERED_GOAL of
# the bare view; the mailbox page of a signed-in help-seeker MAILBOX_GOAL.
RENDERED_PAGES = [
    "/",
    "/centres/",
    "/help/self/",
    "/confidentiality/",
    "/self-check/",
    "/mailbox/",
    "/mailbox/start/",
    "/de/",
]
CACHED_GOAL, RENDERED_GOAL, MAILBOX_GOAL = 0.5, 0.3, 0.2
SIGNED_IN = "/mailbox/ (signed-in help-seeker, 3 messages)"


def _signed_in_cookie(base_url: str) -> dict[str, str]:
    """Start a mailbox through the real pages, write three messages; the session cookie."""
    from bench.bench_mailbox import Seeker

    seeker = Seeker(base_url, 0)
    seeker.start()
    _status, page = seeker.request("GET", "/mailbox/")
    for number in range(3):
        form = {
            "csrfmiddlewaretoken": seeker.csrf(page),
            "body": f"Message {number}: I would like to talk to someone about my thoughts.",
            "centre": "",
        }
        seeker.request("POST", "/mailbox/write/", form)
        _status, page = seeker.request("GET", "/mailbox/")
    seeker.connection.close()
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in seeker.cookies.items())}


def _goal(name: str) -> float:
    if name == SIGNED_IN:
        return MAILBOX_GOAL
    return RENDERED_GOAL if "rendered" in name else CACHED_GOAL


def run() -> list[str]:
    lines = [
        f"{CONCURRENCY} keep-alive clients, {DURATION:.0f} s per page in {ROUNDS} interleaved "
        f"rounds, gunicorn gthread {WORKERS}x{THREADS}"
    ]
    with serve_bare() as bare_url, serve() as base_url:
        # A visitor with any cookie (a mailbox session, say) is never served
        # from the page cache: the "rendered" lines show the cost of rendering.
        cookie = {"Cookie": "bench=1"}
        targets: dict[str, tuple[str, str, dict[str, str] | None]] = {
            "bare": (bare_url, "/", None),
            "/ (page cache)": (base_url, "/", None),
            "/centres/ (page cache)": (base_url, "/centres/", None),
        }
        for path in RENDERED_PAGES:
            targets[f"{path} (rendered, with a cookie)"] = (base_url, path, cookie)
        targets[SIGNED_IN] = (base_url, "/mailbox/", _signed_in_cookie(base_url))
        for url, path, headers in targets.values():
            measure_throughput(url, path, duration=1.0, headers=headers)  # warm-up
        # Interleaving the baseline with the pages spreads any change in the
        # machine's load (other processes) evenly over all of them.
        parts: dict[str, list[Throughput]] = {name: [] for name in targets}
        for _round in range(ROUNDS):
            for name, (url, path, headers) in targets.items():
                parts[name].append(
                    measure_throughput(url, path, duration=DURATION / ROUNDS, headers=headers)
                )
        weight = measure_page_weight(base_url + "/")
        weight_without_js = measure_page_weight(base_url + "/", javascript=False)
    bare = _combined(parts.pop("bare"))
    results = {name: _combined(measured) for name, measured in parts.items()}
    lines.append(f"bare Django view: {bare.per_second:.0f} requests/s (baseline)")

    for name, result in results.items():
        ratio = result.per_second / bare.per_second if bare.per_second else 0.0
        errors = f", {result.errors} errors" if result.errors else ""
        goal = _goal(name)
        lines.append(
            f"{name}: {result.per_second:.0f} requests/s = {ratio:.2f} of the bare view "
            f"(goal ≥ {goal}: {_verdict(ratio >= goal and not result.errors)}){errors}"
        )
    lines.append(
        f"home page weight: {weight.bytes / 1024:.1f} KB in {weight.requests} requests, "
        f"{weight.scripts} script(s) (goal < 30 KB: {_verdict(weight.bytes < 30 * 1024)}, "
        f"≤ 4 requests: {_verdict(weight.requests <= 4)})"
    )
    lines.append(
        f"home page without JavaScript: {weight_without_js.bytes / 1024:.1f} KB "
        f"in {weight_without_js.requests} requests"
    )
    lines.append("home page requests: " + ", ".join(urlsplit(url).path for url in weight.urls))
    return lines
