"""Research export benchmark: 100,000 cases and 1,000,000 questionnaires in under a minute.

Runs in a child process with its own settings and a temporary file-backed
SQLite database (``BENCH_DATABASE_URL`` selects a scratch PostgreSQL database
instead). The network is bulk-inserted in two steps: first a tenth of it
(10,000 cases with 10 completed, encrypted PHQ-9 administrations each,
every case with research consent), which is exported; then the rest, and
the whole network is exported again. Each export runs as
``forestall export-research`` in a process of its own, so that its peak
resident memory (``wait4``'s ``ru_maxrss``) is its own and nothing else's.

Measured:

* wall time of the full export: goal under 60 seconds;
* peak RSS of the export at a tenth of the size and at full size: constant
  memory means the second is within 1.25 times the first (it would be about
  ten times if anything were built in memory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import ROOT, client_env, run_child

TOTAL_CASES = int(os.environ.get("FORESTALL_BENCH_RESEARCH_CASES", "100000"))
PER_CASE = 10
CENTRES = 20
GOAL_SECONDS = 60
GOAL_MEMORY_RATIO = 1.25


def run() -> list[str]:
    """Run the measurements in a fresh interpreter and return the report lines."""
    with tempfile.TemporaryDirectory(prefix="forestall-bench-research-") as directory:
        return run_child(
            "bench_research",
            {
                **client_env(),
                "FORESTALL_VAR": directory,
                "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
                or f"sqlite:///{directory}/bench.sqlite3",
                "FORESTALL_BENCH_RESEARCH_CASES": str(TOTAL_CASES),
            },
        )


# --- the child process -------------------------------------------------------


def _fill(first: int, count: int, study, centres) -> None:
    """Bulk-insert ``count`` consented cases (numbered from ``first``) with their measures."""
    import datetime
    import random
    import uuid

    from django.utils import timezone

    from forestall.cases.models import Case, CaseTransition, Client, Programme
    from forestall.cases.pathway import Stage
    from forestall.instruments.models import Administration, Occasion, Status
    from forestall.research.models import ResearchConsent

    rng = random.Random(first)
    now = timezone.now()
    stages = [Stage.SCREENING, Stage.IN_TREATMENT, Stage.CLOSED, Stage.WITHDREW]
    programmes = [Programme.INDIVIDUAL, Programme.GROUP]
    bands = ["minimal", "mild", "moderate", "moderately_severe", "severe"]
    clients, cases, steps, consents, measures = [], [], [], [], []

    def flush() -> None:
        Client.objects.bulk_create(clients, batch_size=2000)
        Case.objects.bulk_create(cases, batch_size=2000)
        CaseTransition.objects.bulk_create(steps, batch_size=2000)
        ResearchConsent.objects.bulk_create(consents, batch_size=2000)
        Administration.objects.bulk_create(measures, batch_size=2000)
        for batch in (clients, cases, steps, consents, measures):
            batch.clear()

    for serial in range(first, first + count):
        centre = centres[serial % len(centres)]
        opened = now - datetime.timedelta(days=rng.randint(30, 700))
        stage = rng.choice(stages)
        client = Client(id=uuid.uuid4(), reference=f"K-{serial:06d}-RS")
        case = Case(
            id=uuid.uuid4(),
            client=client,
            centre=centre,
            programme=rng.choice(programmes),
            stage=stage,
            opened_at=opened,
            stage_changed_at=opened,
            attended_sessions=rng.randint(0, 30),
        )
        clients.append(client)
        cases.append(case)
        steps.append(
            CaseTransition(id=uuid.uuid4(), case=case, centre=centre, to_stage=stage, at=opened)
        )
        consents.append(
            ResearchConsent(id=uuid.uuid4(), case=case, study=study, given_on=opened.date())
        )
        for week in range(PER_CASE):
            answers = {f"q{n}": rng.randint(0, 3) for n in range(1, 10)}
            total = sum(answers.values())
            measures.append(
                Administration(
                    id=uuid.uuid4(),
                    client=client,
                    centre=centre,
                    instrument="phq9",
                    version=1,
                    occasion=Occasion.INTAKE if week == 0 else Occasion.SESSION,
                    status=Status.COMPLETED,
                    answers=answers,
                    total=total,
                    band=bands[min(total // 5, 4)],
                    caseness=total >= 10,
                    completed_at=opened + datetime.timedelta(weeks=week),
                )
            )
        if len(cases) >= 2000:
            flush()
    flush()


def _export(directory: Path, name: str) -> tuple[float, int, dict, float, float]:
    """Run ``forestall export-research`` in its own process.

    Returns (wall seconds, peak RSS in kB, manifest, CPU seconds of the export
    process, load average when it ended). On the shared machine the CPU time is
    the steadier figure: the wall time also counts the time other processes
    had the cores.
    """
    out = directory / name
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "forestall.cli",
            "export-research",
            "--study",
            "bench",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(process.stderr.read().decode() if process.stderr else "export failed")
    manifest = json.loads((out / "manifest.json").read_text())
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss, manifest, cpu, os.getloadavg()[0]


def _child() -> list[str]:
    import datetime

    import django

    django.setup()
    from django.core.management import call_command

    from forestall.directory.models import Centre, Region
    from forestall.research.models import Study

    call_command("migrate", verbosity=0)
    regions = [Region.objects.create(slug=f"bench-{n}", name=f"Bench {n}") for n in range(4)]
    centres = Centre.objects.bulk_create(
        [
            Centre(slug=f"bench-{n}", name=f"Bench centre {n}", region=regions[n % 4])
            for n in range(CENTRES)
        ]
    )
    study = Study.objects.create(slug="bench", title="Bench", starts_on=datetime.date(2000, 1, 1))
    tenth = TOTAL_CASES // 10
    lines = []
    with tempfile.TemporaryDirectory(prefix="forestall-bench-exports-") as scratch:
        directory = Path(scratch)
        started = time.perf_counter()
        _fill(0, tenth, study, centres)
        lines.append(
            f"filled {tenth:,} cases, {tenth * PER_CASE:,} questionnaires in "
            f"{time.perf_counter() - started:.0f} s"
        )
        small_seconds, small_rss, small, small_cpu, small_load = _export(directory, "small")
        started = time.perf_counter()
        _fill(tenth, TOTAL_CASES - tenth, study, centres)
        lines.append(
            f"filled to {TOTAL_CASES:,} cases, {TOTAL_CASES * PER_CASE:,} questionnaires "
            f"in {time.perf_counter() - started:.0f} s more"
        )
        seconds, rss, full, cpu, load = _export(directory, "full")
    rows = full["row_counts"]
    if rows["cases.csv"] + full["left_out"]["disclosure_control"]["cases"] != TOTAL_CASES:
        raise RuntimeError(f"the export is incomplete: {rows}")
    lines.append(
        f"export at {tenth:,} cases: {small_seconds:.1f} s ({small_cpu:.1f} s CPU, load "
        f"{small_load:.1f}), peak RSS {small_rss / 1024:.0f} MB "
        f"({small['row_counts']['administrations.csv']:,} questionnaire rows)"
    )
    lines.append(
        f"export at {TOTAL_CASES:,} cases: {seconds:.1f} s ({cpu:.1f} s CPU, load {load:.1f}), "
        f"peak RSS {rss / 1024:.0f} MB "
        f"({rows['administrations.csv']:,} questionnaire rows, k reached "
        f"{full['disclosure']['k_reached']}) — goal under {GOAL_SECONDS} s: "
        f"{'met' if seconds < GOAL_SECONDS else 'MISSED'}"
    )
    ratio = rss / small_rss
    lines.append(
        f"peak RSS at full size / at a tenth = {ratio:.2f} (goal at most {GOAL_MEMORY_RATIO}: "
        f"{'met, constant memory' if ratio <= GOAL_MEMORY_RATIO else 'MISSED'})"
    )
    return lines


if __name__ == "__main__" and "--child" in sys.argv:
    print(json.dumps(_child()))
