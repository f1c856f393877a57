"""``{% crisis_lines %}``: the configured crisis lines for the page language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from forestall.public.crisis import crisis_lines as configured_lines
from forestall.public.crisis import emergency_numbers

register = template.Library()


@register.inclusion_tag("public/_crisis_lines.html")
def crisis_lines(style: str = "footer") -> dict[str, Any]:
    return {"lines": configured_lines(translation.get_language() or "en"), "style": style}


@register.simple_tag
def emergency_number() -> str:
    """The deployment's emergency number (``FORESTALL_EMERGENCY_NUMBER``)."""
    return emergency_numbers()["emergency"]
