"""Typed access to a form's fields, for choices and querysets set at run time.

``Form.fields`` maps names to ``Field``; a form that fills a choice field's
options in ``__init__`` (the centres a person works at, the staff of a
centre) reaches the field through these, so the type checker knows what it
is and a wrong field name fails loudly at once.
"""

from __future__ import annotations

from django import forms


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field ``name`` (a ``TypeError`` if it is another kind)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """The form's model choice field ``name`` (a ``TypeError`` if it is another kind)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field
