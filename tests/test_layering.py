"""How the code is layered and configured, checked over the source.

- ``forestall/lib`` is Django-light helpers: it imports no forestall app (an
  app that lib needs registers itself, as the audit app does for retention).
- Every setting forestall reads is declared once in ``settings.py`` with its
  default; no module reads one with ``getattr(settings, name, default)``, which
  would hide a second, undocumented default.
- Every environment variable ``settings.py`` reads is in the configuration
  reference of ``docs/operating.md``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "forestall"
APPS = {
    path.parent.name
    for path in PACKAGE.glob("*/apps.py")
    if path.parent.name not in ("lib", "management")
}


def _python_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_the_apps_are_found():
    assert {"audit", "cases", "inbox", "public", "stats"} <= APPS


def test_lib_imports_no_app():
    found = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in _python_files(PACKAGE / "lib")
        for module in _imported_modules(path)
        if module.split(".")[:2][-1] in APPS and module.startswith("forestall.")
    }
    assert sorted(found) == []


def test_no_setting_is_read_with_a_hidden_default():
    pattern = re.compile(r"getattr\(\s*settings\s*,")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _python_files(PACKAGE)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []


def test_every_forestall_setting_read_is_declared_in_settings():
    settings_source = (PACKAGE / "settings.py").read_text()
    declared = set(re.findall(r"^(FORESTALL_[A-Z0-9_]+)\s*=", settings_source, re.MULTILINE))
    read = {
        name
        for path in _python_files(PACKAGE)
        if path.name != "settings.py"
        for name in re.findall(r"settings\.(FORESTALL_[A-Z0-9_]+)", path.read_text())
    }
    assert read, "the scan found no setting at all"
    assert sorted(read - declared) == []


def test_every_environment_variable_is_in_the_configuration_reference():
    settings_source = (PACKAGE / "settings.py").read_text()
    variables = set(
        re.findall(
            r"""(?:env\.\w+|env\.db_url|_secret|os\.environ\.get)\(\s*["']([A-Z0-9_]+)["']""",
            settings_source,
        )
    )
    reference = (ROOT / "docs" / "operating.md").read_text()
    reference = reference[reference.index("## Configuration reference") :]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", reference, re.MULTILINE))
    assert {"DATABASE_URL", "FORESTALL_KEYS", "FORESTALL_DEBUG"} <= variables
    assert sorted(variables - documented) == []
