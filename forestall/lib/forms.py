"""Typed access to a form's fields, for choices and querysets set at run time.

``Form.fields`` maps names to ``Field``; a form that fills a choice field's
options in ``__init__`` (the centres a person works at, the staff of a
centre) reaches the field through these, so the type checker knows what it
is and a wrong field name fails loudly at once.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field ``name`` (a ``TypeError`` if it is another kind)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


class _InPageLanguage:
    """Choices labelled with ``display_name``: a centre's or region's name in the language shown."""

    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "display_name", obj))


class NamedChoiceField(_InPageLanguage, forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model choice labelled in the page's language ("Präventionszentrum Berlin" in German)."""


class NamedMultipleChoiceField(_InPageLanguage, forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """The same, choosing several."""


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """The form's model choice field ``name`` (a ``TypeError`` if it is another kind)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field


# The days a staff form accepts. Python's dates end at the years 1 and 9999,
# and a day at either end (typed or forged) overflows as soon as anything
# adds a duration or a time zone to it: a 500 instead of a message. No form
# here has a reason to go near them.
EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2999, 12, 31)


def _out_of_range() -> forms.ValidationError:
    return forms.ValidationError(_("Choose a day between 1900 and 2999."), code="out_of_range")


class DayField(forms.DateField):
    """A ``DateField`` that refuses days before 1900 and after 2999 with a message."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise _out_of_range()


class MomentField(forms.DateTimeField):
    """A ``DateTimeField`` that refuses moments before 1900 and after 2999 with a message.

    Making year 1 or 9999 aware of the time zone can itself overflow (at
    0001-01-01 00:30 in Berlin), so that is answered with the same message.

    A wall-clock time the clocks skip or pass twice is taken, not refused:
    Django's field refused 02:00 to 02:59 on the night of each clock change
    ("couldn't be interpreted in time zone Europe/Berlin"), so a counsellor
    on a night shift could not log a call at 02:30. A time in the skipped
    hour is read as if the clocks had not changed yet (02:30 is 03:30
    summer time), one in the repeated hour as its first occurrence (summer
    time): the fold-0 reading of PEP 495.
    """

    def to_python(self, value: Any) -> datetime.datetime | None:
        try:
            return super().to_python(value)
        except OverflowError:
            raise _out_of_range() from None
        except forms.ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
        # Parsed again as a wall-clock time, without Django's refusal.
        with timezone.override(datetime.UTC):
            wall = super().to_python(value)
        if wall is None:
            return None
        zone = timezone.get_current_timezone()
        naive = wall.replace(tzinfo=None)
        try:
            # In UTC: a datetime in a gap or fold of its zone never compares
            # equal to one of another zone (PEP 495).
            return naive.replace(tzinfo=zone, fold=0).astimezone(datetime.UTC)
        except OverflowError:
            raise _out_of_range() from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        try:
            day = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        except OverflowError:
            raise _out_of_range() from None
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise _out_of_range()


def check_day_range(
    form: forms.BaseForm, data: dict[str, Any], *, longest: datetime.timedelta
) -> None:
    """The rule of a period typed as two days (``start`` and ``end``, both ``DayField``).

    Both or neither, the last not before the first, at most ``longest``
    apart; a day its field already refused is not judged again. Shared by
    the statistics and reach results period forms; call it from ``clean``.
    """
    if form.has_error("start") or form.has_error("end"):
        return
    start, end = data.get("start"), data.get("end")
    if (start is None) != (end is None):
        raise forms.ValidationError(_("Give both the first and the last day, or neither."))
    if start and end:
        if end < start:
            form.add_error("end", _("The period ends before it starts."))
        elif end - start > longest:
            form.add_error("end", _("A period can be at most ten years long."))
