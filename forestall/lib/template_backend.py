"""Django's template backend, with one library replaced on purpose.

``{% load i18n %}`` loads ``forestall.templatetags.remembered_i18n`` (Django's
``i18n`` library with fixed ``{% translate %}`` remembered per language; see
that module). Django warns when one library name points at two modules
(``templates.W003``), which is right for an accident and wrong for this
replacement: this backend's check leaves out exactly that pair, and still
warns about any other name used twice.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.checks import Warning
from django.template.backends import django as django_backend

# Library name → the modules it may name together, deliberately.
DELIBERATE = {"i18n": {"django.templatetags.i18n", "forestall.templatetags.remembered_i18n"}}


class DjangoTemplates(django_backend.DjangoTemplates):
    def _check_for_template_tags_with_the_same_name(self) -> list[Any]:
        libraries: defaultdict[str, set[str]] = defaultdict(set)
        for module_name, module_path in django_backend.get_template_tag_modules():
            libraries[module_name].add(module_path)
        for module_name, module_path in self.engine.libraries.items():
            libraries[module_name].add(module_path)
        return [
            Warning(
                f"{name!r} is used for multiple template tag modules: "
                + ", ".join(repr(item) for item in sorted(items)),
                obj=self,
                id="templates.W003",
            )
            for name, items in libraries.items()
            if len(items) > 1 and items != DELIBERATE.get(name)
        ]
