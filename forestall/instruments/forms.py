"""Forms built from instrument definitions, in the person's language.

API used by staff recording, the mailbox questionnaire and the public self-check::

    from forestall.instruments.forms import instrument_form

    form = instrument_form("PHQ-9", "de", data=request.POST or None)
    if form.is_valid():
        form.answers   # {item id: value or None}, ready for actions / scoring
        form.result    # Score (scored instruments) or Recommendation (self-check)

Every item is a radio group; render the form with the include
``instruments/_questionnaire_fields.html`` (``{% include ... with form=form %}``),
which puts each item in a ``<fieldset>`` whose ``<legend>`` is the question and
links errors with ``aria-describedby``. Item fields are named after the item
ids (``q1``, ``worry``, ...). A scored instrument that allows missing answers
leaves items optional and reports "too many missing" as a form error; the
self-check's questions are all optional.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override

from forestall.instruments.catalogue import Definition, catalogue, localized
from forestall.instruments.models import Occasion
from forestall.instruments.scoring import (
    InvalidAnswers,
    normalise_answers,
    recommend,
    score_definition,
)
from forestall.lib.forms import choice_field


class InstrumentForm(forms.Form):
    """A questionnaire form for one version of one instrument."""

    definition: Definition
    language: str

    def __init__(self, *args: Any, definition: Definition, language: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{definition.key}-%s")
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.language = language
        self.answers: dict[str, Any] = {}
        self.result: Any = None
        optional = not definition.is_scored or definition.max_missing > 0
        for number, item in enumerate(definition.items, start=1):
            self.fields[item.id] = forms.ChoiceField(
                label=localized(item.text, language),
                choices=[
                    (str(option.value), localized(option.label, language))
                    for option in item.options
                ],
                widget=forms.RadioSelect,
                required=item.required and not optional,
                error_messages={
                    "required": _("Please choose an answer."),
                    "invalid_choice": _("Please choose one of the answers shown."),
                },
            )
            self.fields[item.id].number = number  # type: ignore[attr-defined]

    @property
    def title(self) -> str:
        return self.definition.localized("title", self.language)

    @property
    def instructions(self) -> str:
        return self.definition.localized("instructions", self.language)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        raw = {item.id: cleaned.get(item.id) or None for item in self.definition.items}
        try:
            self.answers = normalise_answers(self.definition, raw)
            if self.definition.is_scored:
                self.result = score_definition(self.definition, self.answers)
            else:
                self.result = recommend(
                    self.answers,
                    self.language,
                    version=self.definition.version,
                    instrument_id=self.definition.id,
                )
        except InvalidAnswers:
            raise forms.ValidationError(
                _("Some answers could not be read. Please choose them again."), code="invalid"
            ) from None
        if self.definition.is_scored and not self.result.complete:
            needed = len(self.definition.items) - self.definition.max_missing
            with override(self.language):
                message = ngettext(
                    "Please answer at least %(count)d question.",
                    "Please answer at least %(count)d of the %(total)d questions.",
                    needed,
                ) % {"count": needed, "total": len(self.definition.items)}
            raise forms.ValidationError(message, code="incomplete")
        return cleaned


def instrument_form(
    instrument_id: str,
    language: str,
    data: Any = None,
    *,
    version: int | None = None,
    prefix: str | None = None,
) -> InstrumentForm:
    """A form for ``instrument_id`` (newest version unless ``version``) in ``language``."""
    definition = catalogue().get(instrument_id, version)
    return InstrumentForm(data, definition=definition, language=language, prefix=prefix)


class OccasionForm(forms.Form):
    """Staff choose the occasion when recording or sending a questionnaire."""

    occasion = forms.ChoiceField(label=_("Occasion"), choices=Occasion.choices)


class SendToMailboxForm(OccasionForm):
    """Staff choose which questionnaire to send to the client's mailbox."""

    instrument = forms.ChoiceField(label=_("Questionnaire"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "instrument").choices = [
            (definition.id, definition.name) for definition in catalogue().latest(kind="score")
        ]
