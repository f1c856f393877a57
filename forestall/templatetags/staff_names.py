"""How staff members are named on the staff pages, whatever state the record is in.

A person field can be empty for two honest reasons: nobody was assigned yet
(an appointment booked without a clinician), or the account was deleted and
the field set to NULL (``on_delete=SET_NULL``). A template that follows
``user.username`` through an empty field fails with ``VariableDoesNotExist``
inside filter arguments, so every staff name goes through ``staff_name``.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def staff_name(user: object, missing: str = "") -> str:
    """The person's full name or username; ``missing`` (or "former staff member") when empty."""
    if user is None or not getattr(user, "pk", None):
        return missing or gettext("former staff member")
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or str(getattr(user, "username", "")) or gettext("former staff member")
