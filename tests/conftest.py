"""Standing personas and shared fixtures.

The network: centre A and centre B in the north, centre C in the south.
People: a clinician at A, a clinician at B, a counsellor at A, a network
counsellor, a safeguarding lead at A (and a second one, for two-person rules),
a manager of A, an analyst, a network admin.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from forestall.accounts.models import Role
from tests import factories

# Test values for settings, applied once for the whole run (Django's
# override_settings, the ordinary way). Each is a cost, never a behaviour:
TEST_SETTINGS = {
    # Argon2 is the production hasher (tested on its own in
    # test_staff_signin); tests create thousands of users.
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Every test Client builds its own middleware chain, and WhiteNoise's
    # constructor otherwise stats every static file of every app (about 9 ms
    # of CPU a client, and the suite makes thousands of clients); with
    # autorefresh it looks a file up when it is asked for instead.
    "WHITENOISE_AUTOREFRESH": True,
}


_travel = None


def pytest_configure(config):
    """``FORESTALL_TEST_CLOCK=2026-12-31T23:58:30+01:00`` runs the suite as if started then.

    The clock still ticks from that instant, and it is set before the tests
    are collected, as a real run's would be. CI runs at any hour, and its
    failures included tests that passed only while the local and the UTC
    date agreed (from 23:00 Berlin time) and a run that crossed midnight;
    ``make test-clocks`` runs the fast suite from the awkward instants
    (docs/development.md). Every xdist worker sets its own clock.
    """
    global _travel
    instant = os.environ.get("FORESTALL_TEST_CLOCK", "")
    if instant:
        import datetime

        import time_machine

        _travel = time_machine.travel(datetime.datetime.fromisoformat(instant), tick=True)
        _travel.start()


def pytest_unconfigure(config):
    if _travel is not None:
        _travel.stop()


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    with override_settings(**TEST_SETTINGS):
        yield


@pytest.fixture(scope="session", autouse=True)
def _every_page_s_labels_point_at_something():
    """Every HTML page any test gets through the test client has no reference to a missing id.

    A label's ``for``, ``aria-describedby`` and the like that name no element
    leave a field without its label, help or error read out, with nothing to
    see (``tests/html_checks.py``). Checked here, on every page of every test,
    because the pages that break it are the awkward states (a refused form,
    a bad filter) that only the tests of those states reach.
    """
    from django.test import client as test_client

    from tests.html_checks import broken_id_references

    original = test_client.Client.request

    def request(self, **request):
        response = original(self, **request)
        if (
            response.status_code < 500
            and not response.streaming
            and "text/html" in response.get("Content-Type", "")
        ):
            broken = broken_id_references(response.content.decode(errors="replace"))
            assert not broken, (request.get("PATH_INFO"), response.status_code, broken)
        return response

    test_client.Client.request = request
    yield
    test_client.Client.request = original


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language and leaves none behind.

    A request through the test client activates its language in the thread
    (the locale middleware) and leaves it active; a German request would
    otherwise make the next test in the same worker reverse German URLs.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _rate_limit_windows_that_do_not_end_mid_test(monkeypatch):
    """The rate limiter's clock stands still at the start of a day in every test.

    Its counters are fixed windows of wall-clock time (a minute, five
    minutes, an hour, a day): a test that makes six sign-in attempts and then
    checks the seventh is refused failed whenever a window ended in between
    (under load, a few times in a hundred runs). At one second past midnight
    UTC every window has just begun, whatever its length, and stays open for
    the test. ``test_a_new_window_starts_counting_again`` moves the clock on
    itself.
    """
    from forestall.lib import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: 1_796_083_201.0)


# Test modules are compiled once, with pytest's assertions rewritten, and the
# result kept in tests/__pycache__ even where PYTHONDONTWRITEBYTECODE is set
# (rewriting every test file cost each xdist worker about 5 s of CPU).
sys.dont_write_bytecode = False

# The secrets a database's rows were written with (encrypted fields, the audit
# chain's seal), as the environment variables a child process reads them from.
_SECRET_SETTINGS = {
    "FORESTALL_SECRET_KEY": "SECRET_KEY",
    "FORESTALL_KEYS": "FORESTALL_KEYS",
    "FORESTALL_PEPPER": "FORESTALL_PEPPER",
    "FORESTALL_AUDIT_KEY": "FORESTALL_AUDIT_KEY",
    "FORESTALL_RESEARCH_SECRET": "FORESTALL_RESEARCH_SECRET",
    "FORESTALL_REACH_SIGNING_KEYS": "FORESTALL_REACH_SIGNING_KEYS",
}


def _migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "migrated.sqlite3"


# The migrated test database of an earlier run, kept next to the test modules'
# bytecode (tests/__pycache__, ignored by git) under a key that changes with
# anything the migrations could come out differently for.
_MIGRATION_CACHE = Path(__file__).parent / "__pycache__"


def _migration_key() -> str:
    """A digest of everything a migrated test database depends on.

    Every Python file of forestall (the migrations, the models and fields they
    import, the code their data migrations run, the settings), every
    installed distribution and its version (Django's and the other apps'
    migrations), the Python and SQLite versions, and the environment the
    settings and the data migrations read (among it the secrets a data
    migration seals or encrypts with).
    """
    import hashlib
    import importlib.metadata
    import platform
    import sqlite3

    import forestall

    digest = hashlib.sha256()
    root = Path(forestall.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    installed = {f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()}
    digest.update("\n".join(sorted(installed)).encode())
    digest.update(f"\n{platform.python_version()} {sqlite3.sqlite_version}".encode())
    for name in sorted(os.environ):
        if name.startswith("FORESTALL_") or name == "DATABASE_URL":
            digest.update(f"\n{name}={os.environ[name]}".encode())
    return digest.hexdigest()[:32]


@pytest.fixture(scope="session")
def _migrations_from_cache(request: pytest.FixtureRequest) -> Iterator[Path | None]:
    """While pytest-django creates the test database: migrate it, or copy an earlier run's.

    Migrating a new database costs each xdist worker several seconds of CPU.
    On SQLite (in memory, as in the test run), the first run with a given
    ``_migration_key`` migrates as usual and keeps the result
    (``django_db_setup`` below); a later run with the same key copies it into
    its new test database instead of running ``migrate`` (SQLite's backup
    API: milliseconds). Anything that could change the migrated database
    changes the key, so an outdated copy is never used. Yields the file the
    migrated database is kept in (None: no cache, as on PostgreSQL or with
    ``--nomigrations``).
    """
    import sqlite3

    import django.core.management
    from django.db import connections

    creation = connection.creation
    if (
        connection.vendor != "sqlite"
        or not creation.is_in_memory_db(creation._get_test_db_name())
        or request.config.getvalue("nomigrations")
    ):
        yield None
        return
    cached = _MIGRATION_CACHE / f"migrated-{_migration_key()}.sqlite3"
    call_command = django.core.management.call_command

    def migrate_or_copy(name: str, *args: object, **options: object) -> object:
        # Only the migrate that Django's create_test_db runs (with run_syncdb).
        if name == "migrate" and options.get("run_syncdb") and cached.exists():
            target = connections[str(options.get("database", "default"))]
            target.ensure_connection()
            source = sqlite3.connect(cached)
            try:
                source.backup(target.connection)
            finally:
                source.close()
            return None
        return call_command(name, *args, **options)

    django.core.management.call_command = migrate_or_copy
    try:
        yield cached
    finally:
        django.core.management.call_command = call_command


@pytest.fixture(scope="session")
def django_db_setup(_migrations_from_cache, django_db_setup, django_db_blocker, tmp_path_factory):
    """The test database, migrated once per worker; on SQLite also kept as a file.

    The file (``VACUUM INTO`` right after the migrations, before any test
    writes) lets a test that runs forestall in a child process start it on an
    up-to-date database file instead of migrating one more from scratch
    (``migrated_sqlite``): migrating costs several seconds of CPU a process.
    It is also kept for later runs (``_migrations_from_cache``), which copy
    it instead of migrating.
    """
    if connection.vendor == "sqlite":
        migrated = _migrated_file(tmp_path_factory)
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(migrated)])
        cached = _migrations_from_cache
        if cached is not None and not cached.exists():
            cached.parent.mkdir(exist_ok=True)
            for outdated in cached.parent.glob("migrated-*.sqlite3"):
                outdated.unlink(missing_ok=True)
            partial = cached.with_name(f"{cached.name}.{os.getpid()}")
            shutil.copyfile(migrated, partial)
            partial.replace(cached)


@pytest.fixture(scope="session")
def migrated_sqlite(django_db_setup, tmp_path_factory) -> Callable[[Path], dict[str, str]]:
    """``migrated_sqlite(var_dir)`` → the environment for a child on a migrated copy.

    Copies the migrated test database to ``var_dir/forestall.sqlite3`` (where
    a child with ``FORESTALL_VAR=var_dir`` and no ``DATABASE_URL`` opens it)
    and returns the secrets its rows were written with; the child's
    ``migrate`` then finds nothing to apply. On PostgreSQL (no file) it copies
    nothing and returns nothing: the child migrates its own database.
    """
    from django.conf import settings

    template = _migrated_file(tmp_path_factory)

    def prepare(var_dir: Path) -> dict[str, str]:
        if not template.exists():
            return {}
        var_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, var_dir / "forestall.sqlite3")
        return {name: getattr(settings, setting) for name, setting in _SECRET_SETTINGS.items()}

    return prepare


@pytest.fixture(autouse=True)
def _fast_hashing():
    """Kept for tests that name it; the session-wide TEST_SETTINGS do the work."""


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """The database for data built once per test module (Django's setUpTestData).

    A module-scoped fixture that depends on this one may write rows; they live
    in a transaction that is rolled back after the module's last test. Each
    test still runs in its own savepoint (the ``db`` fixture), so what a test
    changes is undone before the next one, while the rows built here stay.
    Return ids or plain values rather than model instances a test could
    change in memory. Not for modules with ``transactional_db`` tests.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # As under Django's TestCase: a durable atomic block in the code under
        # test is not refused for being nested in this one.
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache, caches

    cache.clear()
    caches["public_pages"].clear()
    yield
    cache.clear()
    caches["public_pages"].clear()


@pytest.fixture
def north(db):
    return factories.make_region("North")


@pytest.fixture
def south(db):
    return factories.make_region("South")


@pytest.fixture
def centre_a(north):
    return factories.make_centre("Centre A", north)


@pytest.fixture
def centre_b(north):
    return factories.make_centre("Centre B", north)


@pytest.fixture
def centre_c(south):
    return factories.make_centre("Centre C", south)


@pytest.fixture
def clinician_a(centre_a):
    return factories.make_user(Role.CLINICIAN, centre_a, username="clinician_a")


@pytest.fixture
def clinician_b(centre_b):
    return factories.make_user(Role.CLINICIAN, centre_b, username="clinician_b")


@pytest.fixture
def counsellor_a(centre_a):
    return factories.make_user(Role.COUNSELLOR, centre_a, username="counsellor_a")


@pytest.fixture
def network_counsellor(db):
    return factories.make_user(Role.COUNSELLOR, None, username="network_counsellor")


@pytest.fixture
def safeguarding_lead_a(centre_a):
    return factories.make_user(Role.SAFEGUARDING_LEAD, centre_a, username="safeguarding_a")


@pytest.fixture
def second_safeguarding_lead_a(centre_a):
    return factories.make_user(Role.SAFEGUARDING_LEAD, centre_a, username="safeguarding_a2")


@pytest.fixture
def manager_a(centre_a):
    return factories.make_user(Role.CENTRE_MANAGER, centre_a, username="manager_a")


@pytest.fixture
def analyst(db):
    return factories.make_user(Role.ANALYST, None, username="analyst")


@pytest.fixture
def network_admin(db):
    return factories.make_user(Role.NETWORK_ADMIN, None, username="network_admin")


@pytest.fixture
def outsider(db):
    """A staff account with no role anywhere."""
    return factories.make_user(None, None, username="outsider")


@pytest.fixture
def sign_in():
    """``sign_in(user)`` → a test client with a verified staff session."""
    return factories.signed_in_client
