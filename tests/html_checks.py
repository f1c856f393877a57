"""Checks on rendered pages that any crawl can apply: every id a page refers to is on it.

A label's ``for``, ``aria-describedby``, ``aria-labelledby`` and the like
name elements by id. One that names no element leaves a field without its
label or its help read out: Django gives every field with help text
``aria-describedby="<id>_helptext"``, and a form template that prints the
help with another id (or none) breaks the link without any visible sign.
"""

from __future__ import annotations

import re

# An attribute inside a tag (after whitespace, so ``data-id`` is not ``id``).
# Text and attribute values are escaped by the templates (``"`` is
# ``&quot;``), so a quoted value is always the attribute's own. Regular
# expressions rather than an HTML parser: every page of the suite goes
# through this (``tests/conftest.py``), and a parser cost seconds a run.
_IDS = re.compile(r'\sid="([^"]*)"')
_ANY_REFERENCE = re.compile(
    r"\s(for|list|form|aria-activedescendant|aria-errormessage|"
    r'aria-describedby|aria-labelledby|aria-controls|aria-owns|aria-details)="([^"]*)"'
)
_TAG = re.compile(r"<(\w+)(\s[^>]*)>")


def broken_id_references(html: str) -> list[str]:
    """Each ``<tag attribute="id">`` of the page whose id is on no element of it."""
    ids = set(_IDS.findall(html))
    broken = []
    for tag, attributes in _TAG.findall(html):
        if tag in ("output", "script", "style"):
            continue
        for attribute, value in _ANY_REFERENCE.findall(attributes):
            broken += [f'<{tag} {attribute}="{part}">' for part in value.split() if part not in ids]
    return broken
