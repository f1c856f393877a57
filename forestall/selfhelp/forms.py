"""Forms of the self-help pages, built from the exercise definitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from forestall.inbox.models import Mailbox
from forestall.lib.codenames import contains_codename
from forestall.public.content import refused_links, refused_links_message
from forestall.selfhelp.content import (
    LANGUAGES,
    SOURCE_LIMIT,
    TEXT_LIMIT,
    ContentError,
    Exercise,
    Module,
    Rating,
    load_block,
    module_from_sources,
)

RATING_CHOICES = [(str(n), str(n)) for n in range(11)]


class ExerciseForm(forms.Form):
    """One exercise: a textarea per free-text field, radios for choices and 0 to 10 ratings.

    Every field is optional (a person may skip a question); ``values()`` gives
    the answers as they are kept (only the ids of options, never labels).
    """

    def __init__(
        self, *args: Any, exercise: Exercise, mailbox: Mailbox | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.exercise = exercise
        self.mailbox = mailbox
        for spec in exercise.fields:
            field: forms.Field
            if spec.kind == "text":
                field = forms.CharField(
                    label=spec.label,
                    required=False,
                    strip=True,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
            elif spec.kind == "choice":
                field = forms.ChoiceField(
                    label=spec.label,
                    required=False,
                    choices=[(o.id, o.label) for o in spec.options],
                    widget=forms.RadioSelect,
                    error_messages={"invalid_choice": _("Please choose one of the options.")},
                )
            elif spec.kind == "multi":
                field = forms.MultipleChoiceField(
                    label=spec.label,
                    required=False,
                    choices=[(o.id, o.label) for o in spec.options],
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={"invalid_choice": _("Please choose from the options.")},
                )
            else:
                field = forms.ChoiceField(
                    label=spec.label,
                    required=False,
                    choices=RATING_CHOICES,
                    widget=forms.RadioSelect(attrs={"class": "scale"}),
                    error_messages={"invalid_choice": _("Please choose a number from 0 to 10.")},
                )
            self.fields[spec.id] = field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for spec in self.exercise.fields:
            value = cleaned.get(spec.id)
            if spec.kind != "text" or not value:
                continue
            if len(value) > TEXT_LIMIT:
                self.add_error(
                    spec.id,
                    _(
                        "This answer is too long: please keep it to %(limit)s characters. "
                        "All of your text is still here."
                    )
                    % {"limit": number_format(TEXT_LIMIT, force_grouping=True)},
                )
            elif self.mailbox is not None and contains_codename(value, self.mailbox.codename_hash):
                self.add_error(
                    spec.id,
                    _(
                        "This answer contains your codename. Please remove it: your codename "
                        "is the key to your mailbox and should never be written anywhere here."
                    ),
                )
        return cleaned

    def values(self) -> dict[str, Any]:
        return {
            spec.id: self.cleaned_data.get(spec.id)
            for spec in self.exercise.fields
            if self.cleaned_data.get(spec.id) not in (None, "", [])
        }

    def entries(self) -> list[tuple[forms.BoundField, str]]:
        return [(self[spec.id], spec.kind) for spec in self.exercise.fields]


class RatingForm(forms.Form):
    """The optional before/after self-ratings of a module (0 to 10 each)."""

    moment = forms.ChoiceField(choices=[("before", "before"), ("after", "after")])

    def __init__(self, *args: Any, ratings: tuple[Rating, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ratings = ratings
        for rating in ratings:
            self.fields[rating.id] = forms.ChoiceField(
                label=rating.label,
                required=False,
                choices=RATING_CHOICES,
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                error_messages={"invalid_choice": _("Please choose a number from 0 to 10.")},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(r.id) for r in self.ratings):
            raise forms.ValidationError(_("Please choose at least one number from 0 to 10."))
        return cleaned

    def values(self) -> dict[str, int]:
        return {
            r.id: int(self.cleaned_data[r.id]) for r in self.ratings if self.cleaned_data.get(r.id)
        }

    def entries(self) -> list[forms.BoundField]:
        return [self[r.id] for r in self.ratings]


class ModuleEditForm(forms.Form):
    """A new version of a self-help module as a network admin writes it (staff side).

    One text per language: that language's block (YAML with Markdown
    sections and the exercise definitions, as in the shipped files). The
    whole module is validated like a shipped file; ``module`` is the result,
    ready to preview.
    """

    minutes = forms.IntegerField(label=_("Minutes it takes"), min_value=1, max_value=120)
    # The version the editor started from, so that a publish from a stale tab
    # cannot silently replace a version someone else published meanwhile.
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args: Any, current: Module, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self.module: Module | None = None
        for language in LANGUAGES:
            self.fields[f"text_{language}"] = forms.CharField(
                label=_("Text and exercises (%(language)s)") % {"language": language},
                widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true", "lang": language}),
                max_length=SOURCE_LIMIT,
                strip=False,
                help_text=_(
                    "YAML as in the shipped files: title, summary, sections (heading and "
                    "body in Markdown), exercises (id, title, intro, fields with id, kind "
                    "text/choice/multi/rating, label, options) and next. Every language "
                    "must ask the same exercises with the same ids."
                ),
            )

    def sources(self) -> dict[str, str]:
        return {language: self.cleaned_data[f"text_{language}"] for language in LANGUAGES}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.module = module_from_sources(
                self.current.programme,
                self.current.slug,
                self.current.order,
                self.current.version + 1,
                cleaned["minutes"],
                self.sources(),
                publishing=True,
            )
        except ContentError as error:
            raise forms.ValidationError(
                _("This version cannot be published yet: %(problem)s"),
                params={"problem": str(error)},
            ) from None
        return cleaned

    def refuse_foreign_links(self) -> bool:
        """Mark the texts wrong if they link where a public page may not; True if they do.

        Not part of ``clean``: a preview still shows what the sanitiser makes
        of such a link (plain words), alongside the error.
        """
        refused = [
            link
            for language, source in self.sources().items()
            for text in _strings(load_block(source, language))
            for link in refused_links(text)
        ]
        if refused:
            self.add_error(None, refused_links_message(list(dict.fromkeys(refused))))
        return bool(refused)


def _strings(value: Any) -> list[str]:
    """Every string in a loaded block (titles, Markdown bodies, labels, options)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
