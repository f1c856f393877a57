"""How the code is layered and configured, checked over the source.

- ``forestall/lib`` is Django-light helpers: it imports no forestall app (an
  app that lib needs registers itself, as the audit app does for retention).
- Every setting forestall reads is declared once in ``settings.py`` with its
  default; no module reads one with ``getattr(settings, name, default)``, which
  would hide a second, undocumented default.
- Every environment variable ``settings.py`` reads is in the configuration
  reference of ``docs/operating.md``.
- Views say which side they serve: an app's views live in ``public_views.py``
  (routed from its ``public_urls.py``) and/or ``staff_views.py`` (routed from
  ``staff_urls.py`` / ``two_factor_urls.py``); no app has a ``views.py``; a
  side's views are imported only by that side's URL modules and views.
- Model, form and choices class names are unique across forestall's apps, so
  that a name says which thing it is (``inbox.PresentingConcern`` is not
  ``safeguarding.Concern``).
- The confidential mailbox has one owner, the inbox app: its models, the views
  under ``/mailbox/``, its templates and modules are nowhere else.
- Every model that holds personal data (an encrypted field, or a link to a
  help-seeker's mailbox, client, case, conversation or concern) is erased by
  a declared retention rule (``forestall/<app>/retention.py``) or exempted
  there with a reason.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections import defaultdict
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


# --- views by audience ---------------------------------------------------------

VIEW_MODULES = {"public_views.py", "staff_views.py"}
# The modules that may import a side's views (besides tests and bench).
IMPORTERS = {
    "public_views": {"public_urls.py", "public_views.py"},
    "staff_views": {"staff_urls.py", "two_factor_urls.py", "staff_views.py"},
}
URL_SIDES = {
    "public_urls": "public_views",
    "staff_urls": "staff_views",
    "two_factor_urls": "staff_views",
}


def test_every_view_module_says_its_side():
    found = sorted(
        str(path.relative_to(ROOT))
        for path in _python_files(PACKAGE)
        if path.name.endswith("views.py") and path.name not in VIEW_MODULES
    )
    assert found == []
    assert not [app for app in APPS if (PACKAGE / app / "views.py").exists()]


def test_a_sides_views_are_imported_only_by_that_sides_urls_and_views():
    found = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in _python_files(PACKAGE)
        for module in _imported_modules(path)
        for side, importers in IMPORTERS.items()
        if module.startswith("forestall.")
        and module.split(".")[2:3] == [side]
        and path.name not in importers
    )
    assert found == []


def test_the_import_walk_sees_the_url_modules():
    public = PACKAGE / "public" / "public_urls.py"
    assert "forestall.public.public_views" in _imported_modules(public)
    staff = PACKAGE / "accounts" / "two_factor_urls.py"
    assert "forestall.accounts.staff_views" in _imported_modules(staff)


def _routed(patterns, urlconf: str = ""):
    from django.urls import URLPattern, URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            module = pattern.urlconf_module
            name = module.__name__ if inspect.ismodule(module) else urlconf
            yield from _routed(pattern.url_patterns, name)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            view = getattr(callback, "view_class", callback)
            yield urlconf, str(pattern.pattern), view.__module__


def test_every_routed_view_lives_in_its_sides_views_module():
    from django.urls import get_resolver

    routed = list(_routed(get_resolver().url_patterns))
    wrong = sorted(
        f"{urlconf} {route} -> {module}"
        for urlconf, route, module in routed
        if urlconf.rsplit(".", 1)[-1] in URL_SIDES
        # A library's own view used as it is (two_factor's SetupCompleteView).
        and module.startswith("forestall.")
        and module.rsplit(".", 1)[-1] != URL_SIDES[urlconf.rsplit(".", 1)[-1]]
    )
    assert wrong == []
    # Views anywhere else (the API, the admin, healthz) are not in a side's views module.
    stray = sorted(
        f"{urlconf} {route} -> {module}"
        for urlconf, route, module in routed
        if urlconf.rsplit(".", 1)[-1] not in URL_SIDES
        and module.rsplit(".", 1)[-1] in URL_SIDES.values()
    )
    assert stray == []
    sides = {urlconf.rsplit(".", 1)[-1] for urlconf, _route, _module in routed}
    assert {"public_urls", "staff_urls", "two_factor_urls"} <= sides


# --- names that say what they are -----------------------------------------------


def _app_modules() -> list[str]:
    return [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for app in sorted(APPS)
        for path in _python_files(PACKAGE / app)
    ]


def _defined_classes() -> dict[str, set[str]]:
    """Models, forms and choices defined at module level in an app: name -> where."""
    from django import forms
    from django.db import models

    kinds = (models.Model, forms.BaseForm, models.Choices)
    where: dict[str, set[str]] = defaultdict(set)
    for name in _app_modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and value.__qualname__ == attribute
                and issubclass(value, kinds)
            ):
                where[attribute].add(f"{module.__name__}.{attribute}")
    return where


def test_model_form_and_choices_names_are_unique_across_the_apps():
    where = _defined_classes()
    assert {name: sorted(places) for name, places in where.items() if len(places) > 1} == {}


def test_the_name_walk_finds_models_forms_and_choices():
    where = _defined_classes()
    assert where["Concern"] == {"forestall.safeguarding.models.Concern"}
    assert where["PresentingConcern"] == {"forestall.inbox.models.PresentingConcern"}
    assert where["ReferToCentreForm"] == {"forestall.cases.forms.ReferToCentreForm"}
    assert where["ReferToCaseWorkForm"] == {"forestall.inbox.forms.ReferToCaseWorkForm"}


# --- one owner of the mailbox ---------------------------------------------------


def _full_routes(patterns, prefix: str = ""):
    """Every routed view as (the address pattern from the root, the view's module)."""
    from django.urls import URLPattern, URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _full_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", pattern.callback)
            yield prefix + str(pattern.pattern), view.__module__


def test_only_the_inbox_serves_the_mailbox():
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):  # no language prefix
        routes = list(_full_routes(get_resolver().url_patterns))
    mailbox = sorted((route, module) for route, module in routes if route.startswith("mailbox/"))
    assert len(mailbox) >= 8
    assert {module for _route, module in mailbox} == {"forestall.inbox.public_views"}
    # ... and the inbox's public views serve nothing but the mailbox.
    elsewhere = [
        route
        for route, module in routes
        if module == "forestall.inbox.public_views" and not route.startswith("mailbox/")
    ]
    assert elsewhere == []


def test_no_app_but_the_inbox_defines_mailbox_models_templates_or_modules():
    from django.apps import apps

    models = sorted(
        model._meta.label for model in apps.get_models() if "mailbox" in model._meta.model_name
    )
    assert models == ["inbox.Mailbox", "inbox.MailboxSession", "inbox.MailboxStartSending"]
    files = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.glob("*/**/*mailbox*")
        if not {"migrations", "locale", "__pycache__"} & set(path.parts)
    )
    assert files and [name for name in files if not name.startswith("inbox/")] == []
    # Every foreign key to a mailbox points at the inbox's model.
    targets = {
        field.related_model._meta.label
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.name == "mailbox"
    }
    assert targets == {"inbox.Mailbox"}


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
