"""``{% selfhelp_modules pathway worry %}``: links into the self-help modules that fit."""

from __future__ import annotations

from typing import Any

from django import template

from forestall.selfhelp.links import matching_modules

register = template.Library()


@register.inclusion_tag("selfhelp/_matching_modules.html")
def selfhelp_modules(pathway: str, worry: str = "") -> dict[str, Any]:
    return {"modules": matching_modules(str(pathway or ""), str(worry or ""))}
