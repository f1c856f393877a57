"""The access layer stays the only place that gates staff objects and audits reads.

Each app that serves staff pages has one ``access.py``; its ``access_*``
helpers fetch through the model's ``visible_to`` gate (404 for missing and
forbidden alike) and write the audit read entry themselves. These tests read
the source (``ast``) so that a view that writes its own read entry, or an
``access_*`` helper written outside an ``access.py``, fails here rather than
in a review. That every page really writes its entry is shown by the URL
walks (``test_access_matrix.py``, ``test_awkward_states.py``).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from forestall.accounts.models import Role
from forestall.audit.actions import record_read
from forestall.audit.models import AuditEntry
from forestall.directory.models import Centre
from tests import factories

PACKAGE = Path(__file__).resolve().parent.parent / "forestall"
# The functions that write audit entries; view modules call none of them.
AUDIT_WRITERS = {"record_event", "record_read", "read_or_404"}
# Apps with staff pages: each fetches its objects through its own access.py.
APPS_WITH_STAFF_OBJECTS = (
    "audit",
    "cases",
    "directory",
    "inbox",
    "instruments",
    "public",
    "reach",
    "research",
    "safeguarding",
    "selfhelp",
    "stats",
)


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts)


def _is_view_module(path: Path) -> bool:
    return path.name.endswith("_views.py")


def _names_used(tree: ast.AST) -> set[str]:
    """Every name a module imports or calls (``record_event`` or ``x.record_event``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name):
                names.add(function.id)
            elif isinstance(function, ast.Attribute):
                names.add(function.attr)
    return names


def _relative(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_no_view_module_writes_an_audit_entry_itself():
    offenders = {
        _relative(path): sorted(_names_used(ast.parse(path.read_text())) & AUDIT_WRITERS)
        for path in _modules()
        if _is_view_module(path)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_walk_over_view_modules_finds_the_staff_views():
    views = {_relative(path) for path in _modules() if _is_view_module(path)}
    assert {
        "forestall/cases/staff_views.py",
        "forestall/inbox/staff_views.py",
        "forestall/instruments/staff_views.py",
        "forestall/safeguarding/staff_views.py",
    } <= views


def test_only_access_modules_record_reads():
    callers = {
        _relative(path)
        for path in _modules()
        if {"record_read", "read_or_404"} & _names_used(ast.parse(path.read_text()))
        and path.name != "access.py"
    }
    # The audit app defines them; nothing else but the access modules uses them.
    assert callers == {"forestall/audit/actions.py"}


def test_access_helpers_live_only_in_access_modules():
    outside = sorted(
        f"{_relative(path)}:{node.name}"
        for path in _modules()
        if path.name != "access.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("access_")
    )
    assert outside == []


@pytest.mark.parametrize("app", APPS_WITH_STAFF_OBJECTS)
def test_each_app_with_staff_objects_has_one_access_module(app):
    assert [p.name for p in (PACKAGE / app).glob("access*.py")] == ["access.py"]


def test_access_client_is_written_once():
    definitions = [
        _relative(path)
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == "access_client"
    ]
    assert definitions == ["forestall/cases/access.py"]


def test_a_change_cannot_be_recorded_as_a_read(db, clinician_a):
    with pytest.raises(ValueError, match="not a read action"):
        record_read(clinician_a, "case.update")
    record_read(clinician_a, "case.list")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["case.list"]


# --- Centres where a person holds roles ---------------------------------------


def test_where_holds_finds_the_centres_of_the_roles_asked_for(db):
    north = factories.make_region("North")
    centre_a, centre_b, centre_c = (
        factories.make_centre(name, north) for name in ("Centre A", "Centre B", "Centre C")
    )
    person = factories.make_user(Role.CLINICIAN, centre_a)
    factories.add_role(person, Role.COUNSELLOR, centre_b)
    factories.add_role(person, Role.ANALYST, None)

    assert set(Centre.objects.where_holds(person, Role.CLINICIAN)) == {centre_a}
    assert set(Centre.objects.where_holds(person, Role.CLINICIAN, Role.COUNSELLOR)) == {
        centre_a,
        centre_b,
    }
    # A network-wide role holds at no centre.
    assert set(Centre.objects.where_holds(person, Role.ANALYST)) == set()
    assert set(Centre.objects.where_holds(person)) == set()
    assert centre_c not in Centre.objects.where_holds(person, *Role.values)
    assert sorted(person.centre_ids_with(Role.CLINICIAN, Role.COUNSELLOR)) == sorted(
        [centre_a.pk, centre_b.pk]
    )


def test_no_view_filters_memberships_itself():
    offenders = sorted(
        _relative(path)
        for path in _modules()
        if _is_view_module(path)
        and any(
            word in path.read_text()
            # Filters on roles held (the home page listing one's own roles is none).
            for word in ("memberships__", "centre_ids_with(")
        )
    )
    assert offenders == []


# --- No copied access code ----------------------------------------------------


@pytest.mark.skipif(
    shutil.which("duplicates") is None, reason="the duplicates tool is not installed"
)
def test_duplicates_finds_no_copied_code_in_the_access_layer():
    """The ``duplicates`` tool (six lines of the same shape) finds no pair in an access module."""
    run = subprocess.run(  # noqa: S603 - a fixed local tool, no shell, no input from outside
        ["duplicates", "--repo", str(PACKAGE), "--most", "200", "--seconds", "120"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    rows = [line for line in run.stdout.splitlines() if line.startswith("D")]
    assert "incomplete" not in run.stdout
    assert [row for row in rows if "access.py" in row] == []
