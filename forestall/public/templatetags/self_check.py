"""``{% self_check_length %}``: how many questions the self-check asks now.

Pages that invite people to the self-check say how long it is; the number
comes from the published definition, so a new version with more or fewer
questions never leaves a promise of "four questions" in front of five.
"""

from __future__ import annotations

from django import template

from forestall.instruments.catalogue import catalogue
from forestall.public.selfcheck import SELF_CHECK_ID

register = template.Library()


@register.simple_tag
def self_check_length() -> int:
    return len(catalogue().get(SELF_CHECK_ID).items)
