"""``{{ value|without_nul }}``: text a person typed, shown back without NUL characters.

A NUL in an answer is refused ("Null characters are not allowed."), but what
the person wrote is always shown back so nothing is lost. Shown raw, the NUL
would come straight back in the next POST and be refused again (and some
browsers drop or mangle it anyway); without it, the rest of the text is kept
exactly as typed and the form can be sent as it stands.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def without_nul(value: object) -> object:
    """``value`` without NUL characters if it is text; anything else unchanged."""
    return value.replace("\x00", "") if isinstance(value, str) else value
