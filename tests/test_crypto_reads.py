"""Encrypted fields are read through model instances or with the row's key, never as plain values.

An encrypted field's column holds an envelope sealed to its row (the row id
is part of what is authenticated), so only the model's descriptor, or code
that opens the envelope with the field and the row's key
(``field.open_bytes`` / ``field.row_opener``, as the mailbox page and the
research export do), can turn it into text. ``values()`` and
``values_list()`` hand back the envelope itself: shown on a page it would
be gibberish, and compared or exported it would be wrong. The mailbox page
once showed envelopes this way before a test caught it; this check keeps the
whole class out, over the source.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from forestall.lib.crypto import _EncryptedMixin

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "forestall"

pytestmark = pytest.mark.django_db(databases=[])


def _encrypted_names() -> set[str]:
    return {
        field.name
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, _EncryptedMixin)
    }


def _opened_with_the_row_key(source: str) -> bool:
    return "open_bytes" in source or "row_opener" in source


def test_no_encrypted_field_is_read_as_a_plain_value():
    encrypted = _encrypted_names()
    assert {"body", "answers", "contact_summary"} <= encrypted  # the check sees them
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # data migrations seal and open envelopes themselves
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("values", "values_list")
            ):
                continue
            names = {
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            }
            names |= {name.split("__")[-1] for name in names}
            if names & encrypted and not _opened_with_the_row_key(source):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, (
        "values()/values_list() of an encrypted field gives its envelope, not its text "
        f"(open it with the field and the row's key, or read model instances): {found}"
    )
