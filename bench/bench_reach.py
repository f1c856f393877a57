"""Reach benchmarks (issue 15), each a ratio against a baseline of the same run.

* The matcher: ``forestall.reach.matcher`` with its normalisation against raw
  pyahocorasick (an automaton of the lower-cased terms run over the raw
  queries) on the same 5,000 terms and 1,000,000 queries, interleaved.
  Goal: at least 0.5 of the raw throughput. ``FORESTALL_BENCH_REACH_QUERIES``
  scales the queries down for a quick run.
* The landing page ``/r/<partner>/<variant>/`` (every request a new visit,
  so every one is counted; the counts are written in batches) against the
  bare Django view, both served by gunicorn as in production; and the
  catalogue, served from the cache.
  Goal: the landing page at least 0.5 of the bare view.
* Ingest: a day of impression reports from 1,000 partners x 20 variants x
  10 languages (1,000 POSTs of 200 counts each) through the whole Django
  stack, in a child process with production settings. Goal: under 10 s.
"""

from __future__ import annotations

import json
import os
import random
import string
import sys
import tempfile
import time

from bench.server import production_secrets, run_child

TERMS = 5_000
QUERIES = int(os.environ.get("FORESTALL_BENCH_REACH_QUERIES", "1000000"))
ROUNDS = 3
PARTNERS = int(os.environ.get("FORESTALL_BENCH_REACH_PARTNERS", "1000"))
VARIANTS = 20
LANGUAGES = ("en", "de", "fr", "pl", "tr", "ar", "ru", "es", "it", "nl")


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))


def _corpus() -> tuple[list[str], list[str]]:
    rng = random.Random(15)
    terms = [" ".join(_word(rng) for _ in range(rng.randint(1, 3))) for _ in range(TERMS)]
    queries = []
    for index in range(QUERIES):
        words = [_word(rng) for _ in range(rng.randint(1, 6))]
        if index % 100 == 0:  # about 1 % of searches hit a term
            words.insert(rng.randint(0, len(words)), rng.choice(terms))
        if index % 7 == 0:
            words[0] = words[0].capitalize()
        queries.append(" ".join(words))
    return terms, queries


def bench_matcher() -> list[str]:
    import ahocorasick

    from forestall.reach.matcher import Matcher

    terms, queries = _corpus()
    raw = ahocorasick.Automaton()
    for term in terms:
        raw.add_word(term.lower(), term)
    raw.make_automaton()
    ours = Matcher(terms)

    def run_raw() -> int:
        hits = 0
        for query in queries:
            if list(raw.iter(query)):
                hits += 1
        return hits

    def run_ours() -> int:
        hits = 0
        match = ours.match
        for query in queries:
            if match(query).match:
                hits += 1
        return hits

    times = {"raw": 0.0, "ours": 0.0}
    hits = {"raw": 0, "ours": 0}
    for _round in range(ROUNDS):
        for name, function in (("raw", run_raw), ("ours", run_ours)):
            started = time.perf_counter()
            hits[name] = function()
            times[name] += time.perf_counter() - started
    total = QUERIES * ROUNDS
    raw_rate = total / times["raw"]
    our_rate = total / times["ours"]
    ratio = our_rate / raw_rate
    return [
        f"matcher: {TERMS} terms x {QUERIES} queries, {ROUNDS} interleaved rounds",
        f"raw pyahocorasick: {raw_rate:,.0f} queries/s (baseline; {hits['raw']} with any hit, "
        "parts of words included)",
        f"forestall.reach.matcher (normalised, whole words): {our_rate:,.0f} queries/s = "
        f"{ratio:.2f} of raw ({hits['ours']} matched) (goal ≥ 0.5: {_verdict(ratio >= 0.5)})",
    ]


def bench_landing() -> list[str]:
    from bench.bench_foundation import measure_throughput
    from bench.server import serve, serve_bare

    variant = "6f0b8a1e-2c3d-4e5f-8a9b-0c1d2e3f4a51"
    duration = float(os.environ.get("FORESTALL_BENCH_SECONDS", "9"))
    with serve_bare() as bare_url, serve(seed=False) as base_url:
        targets = {
            "bare": (bare_url, "/"),
            "landing": (base_url, f"/r/bench-partner/{variant}/"),
            "catalogue": (base_url, "/api/v1/reach/catalogue?language=en"),
        }
        for url, path in targets.values():
            measure_throughput(url, path, duration=1.0)  # warm-up (builds the cache)
        parts: dict[str, list] = {name: [] for name in targets}
        for _round in range(ROUNDS):
            for name, (url, path) in targets.items():
                parts[name].append(measure_throughput(url, path, duration=duration / ROUNDS))
    rates = {
        name: sum(p.requests for p in measured) / sum(p.seconds for p in measured)
        for name, measured in parts.items()
    }
    errors = {name: sum(p.errors for p in measured) for name, measured in parts.items()}
    landing = rates["landing"] / rates["bare"]
    catalogue = rates["catalogue"] / rates["bare"]
    return [
        f"bare Django view: {rates['bare']:.0f} requests/s (baseline)",
        f"landing page (a new visit each, counted): {rates['landing']:.0f} requests/s = "
        f"{landing:.2f} of the bare view (goal ≥ 0.5: {_verdict(landing >= 0.5)})"
        + (f", {errors['landing']} errors" if errors["landing"] else ""),
        f"signed catalogue from the cache: {rates['catalogue']:.0f} requests/s = "
        f"{catalogue:.2f} of the bare view"
        + (f", {errors['catalogue']} errors" if errors["catalogue"] else ""),
    ]


def bench_ingest() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="forestall-bench-reach-") as directory:
        return run_child(
            "bench_reach",
            {
                "FORESTALL_DEBUG": "0",
                "FORESTALL_ALLOWED_HOSTS": "testserver,localhost",
                "FORESTALL_VAR": directory,
                **production_secrets(),
                "FORESTALL_SSL_REDIRECT": "0",
                "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3",
            },
        )


def _child() -> list[str]:
    import django

    django.setup()
    import datetime

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from forestall.reach import actions
    from forestall.reach.models import ImpressionCount, Partner, PartnerKind, Variant

    call_command("migrate", verbosity=0)
    variants = list(Variant.objects.values_list("pk", flat=True))
    for index in range(len(variants), VARIANTS):
        variants.append(Variant.objects.create(slug=f"bench-{index}", kind="both").pk)
    keys = []
    for index in range(PARTNERS):
        partner = Partner.objects.create(
            slug=f"partner-{index}", name=f"Partner {index}", kind=PartnerKind.FORUM
        )
        keys.append(actions.issue_key(partner, by=None)[1])
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    rng = random.Random(15)
    bodies = [
        json.dumps(
            {
                "day": day,
                "counts": [
                    {"variant": str(v), "language": language, "impressions": rng.randint(0, 5000)}
                    for v in variants
                    for language in LANGUAGES
                ],
            }
        )
        for _ in keys
    ]
    client = Client()
    # A running server has loaded its URLs and opened its database connection
    # before the day's reports arrive: one request first, outside the clock.
    assert client.get("/api/v1/reach/public-key").status_code == 200  # noqa: S101
    started, cpu_started = time.perf_counter(), time.process_time()
    for key, body in zip(keys, bodies, strict=True):
        response = client.post(
            "/api/v1/reach/impressions",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.content  # noqa: S101
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rows = ImpressionCount.objects.count()
    # A resend of the whole day replaces, never adds.
    client.post(
        "/api/v1/reach/impressions",
        data=bodies[0],
        content_type="application/json",
        headers={"Authorization": f"Bearer {keys[0]}"},
    )
    assert ImpressionCount.objects.count() == rows  # noqa: S101
    client.get("/api/v1/reach/catalogue?language=en")
    with CaptureQueriesContext(connection) as queries:
        cached = client.get("/api/v1/reach/catalogue?language=en")
    assert cached.status_code == 200  # noqa: S101
    return [
        f"ingest: {PARTNERS} partners x {VARIANTS} variants x {len(LANGUAGES)} languages = "
        f"{rows:,} counts in {PARTNERS} reports: {seconds:.1f} s wall clock, "
        f"{cpu_seconds:.1f} s of CPU (goal < 10 s: {_verdict(seconds < 10)}; the CPU time "
        "is what it takes on a machine that is not shared)",
        f"catalogue served from the cache: {len(queries.captured_queries)} database queries "
        f"on a repeated request (goal 0: {_verdict(not queries.captured_queries)})",
    ]


def run() -> list[str]:
    return [*bench_matcher(), *bench_ingest(), *bench_landing()]


if __name__ == "__main__" and "--child" in sys.argv:
    print(json.dumps(_child()))
