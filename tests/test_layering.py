"""How the code is layered and configured, checked over the source.

- ``forestall/lib`` is Django-light helpers: it imports no forestall app (an
  app that lib needs registers itself, as the audit app does for retention).
- Every setting forestall reads is declared once in ``settings.py`` with its
  default; no module reads one with ``getattr(settings, name, default)``, which
  would hide a second, undocumented default.
- Every environment variable ``settings.py`` reads is in the configuration
  reference of ``docs/operating.md``.
- Every model that holds personal data (an encrypted field, or a link to a
  help-seeker's mailbox, client, case, conversation or concern) is erased by
  a declared retention rule (``forestall/<app>/retention.py``) or exempted
  there with a reason.
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


def _reads_a_setting_with_a_default(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) == 3
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "settings"
    )


def test_no_setting_is_read_with_a_hidden_default():
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _python_files(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if _reads_a_setting_with_a_default(node)
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


# The records a help-seeker leaves behind, and the models that point at them.
_PERSON_MODELS = {
    "public.Mailbox",
    "cases.Client",
    "cases.Case",
    "inbox.Conversation",
    "safeguarding.Concern",
}


def _holds_personal_data(model) -> bool:
    from forestall.lib.crypto import EncryptedJSONField, EncryptedTextField

    fields = model._meta.concrete_fields
    encrypted = any(isinstance(f, EncryptedTextField | EncryptedJSONField) for f in fields)
    linked = any(f.is_relation and f.related_model._meta.label in _PERSON_MODELS for f in fields)
    return encrypted or linked or model._meta.label in _PERSON_MODELS


def test_every_model_holding_personal_data_has_a_retention_rule_or_an_exemption():
    from django.apps import apps

    from forestall.lib import retention

    covered = retention.coverage()
    exempted = retention.exemptions()
    personal = [
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("forestall.") and _holds_personal_data(model)
    ]
    assert "inbox.Message" in personal and "cases.Note" in personal
    assert sorted(label for label in personal if label not in covered | exempted.keys()) == []
    assert set(covered) & set(exempted) == set(), "covered and exempted at once"


def test_every_retention_rule_reads_a_declared_setting(settings):
    from forestall.lib import retention

    for policy in retention.policies():
        assert hasattr(settings, policy.setting), policy.name
        assert policy.period >= 1, policy.name
