"""Stale-tab protection for staff pages that change an object in place.

The defect this closes: two people (or one person with a forgotten second
tab) open the same edit page; the first saves, then the second saves the
page they opened earlier, and every field of it, the old values too,
silently replaces the first save. Nobody is told, and the first person's
work is gone.

The mechanism, shared by every such page:

- the form carries, in the hidden field ``edited_from`` (``EditedFromField``,
  added by ``GuardsStaleEdits``), the version of the object the page was
  opened with: ``version_of(obj)``, its ``updated_at`` as ISO 8601;
- the action that saves, inside its transaction, calls
  ``check_unchanged(model, pk, edited_from)``, which locks the row
  (``select_for_update``; on SQLite the transaction already holds the write
  lock from ``BEGIN IMMEDIATE``) and raises ``ChangedMeanwhile`` if the row
  was saved since, naming who saved it and when; nothing is saved;
- the view answers **409** with ``form_after_change(...)``: the form again,
  with everything the person typed, now counting as opened from the newer
  save, so that saving from that answer (after comparing) is a deliberate
  choice to replace it.

A model guarded this way has ``updated_at`` (``auto_now``) and
``updated_by`` (a nullable foreign key to the staff user), set by the action
that saves. Versioned content that never changes in place (the public
pages, self-help modules, reach message texts) uses the same exception and
message, with the newest version's number as the version
(``ChangedMeanwhile(version=…, number=…)``).

A request without ``edited_from`` (a page from before an update, a request
made by hand) is refused the same way, 409 with everything typed kept and the
page now counting as opened from the version saved last: it cannot show that
nobody saved in the meantime, and accepting it silently replaced any newer
save. Every page rendered by forestall sends it (``tests/test_stale_edits.py``
asserts it for every form using this module), so only such a request meets
the refusal. The checks tell the two apart by the value: ``""`` is a request
that did not say (refused), ``None`` a caller that shows no page at all (a
command, another action, the demo) and is not checked.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.forms.utils import ErrorList
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

EDITED_FROM = "edited_from"
CHANGED_MEANWHILE = "changed_meanwhile"

_Form = TypeVar("_Form", bound=forms.BaseForm)


class EditedFromField(forms.CharField):
    """The hidden version a page was opened with (never shown, never required)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)


class AnnouncedErrorList(ErrorList):
    """Errors of the form as a whole inside ``role="alert"``, so a screen reader says them.

    The refusal of a stale save ("Nothing was saved: … saved this on …") is
    such an error; printed as a plain list, nothing announced it, and on a
    long page nobody saw it either. Field errors stay as they were (each is
    tied to its field by ``aria-describedby``). The list stays a list inside
    the alert (a ``ul`` with ``role="alert"`` would no longer be one).
    """

    def render(self, template_name: Any = None, context: Any = None, renderer: Any = None) -> Any:
        rendered = super().render(template_name, context, renderer)
        if not self or "nonfield" not in (self.error_class or ""):
            return rendered
        return format_html('<div class="refusal" role="alert">{}</div>', rendered)

    __str__ = render  # type: ignore[assignment]
    __html__ = render


class GuardsStaleEdits(forms.BaseForm):
    """A form mixin: adds ``edited_from``, filled from ``instance`` for a model form.

    A plain form that edits an object passes ``edited_from=version_of(obj)``
    (the object it shows) instead. Errors of the whole form, the refusal of a
    stale save among them, are announced (``AnnouncedErrorList``).
    """

    def __init__(self, *args: Any, edited_from: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_class", AnnouncedErrorList)
        super().__init__(*args, **kwargs)
        self.fields[EDITED_FROM] = EditedFromField()
        instance = getattr(self, "instance", None)
        if edited_from is None and instance is not None and instance.pk is not None:
            edited_from = version_of(instance)
        if edited_from:
            self.initial.setdefault(EDITED_FROM, edited_from)

    @property
    def has_field_errors(self) -> bool:
        """True when a field was refused (not only the form as a whole, as a stale save is)."""
        return any(name != NON_FIELD_ERRORS for name in self.errors)

    @property
    def edited_from(self) -> str:
        """The version the page was opened with ("" when the request did not say)."""
        return str(getattr(self, "cleaned_data", {}).get(EDITED_FROM) or "")


class NamesItsLastEditor:
    """Model mixin: a save that moves ``updated_at`` without naming who names nobody.

    ``updated_by`` is read as "who made the save that gave ``updated_at``"
    (the stale-tab refusal names them). The actions that save on a person's
    behalf set it, but a save of a few fields that moves ``updated_at``
    without ``updated_by`` (``update_fields=[…, "updated_at"]``: the centre's
    typical wait, recomputed when a case starts treatment) kept the name of
    whoever saved before: a centre manager whose profile page was opened
    before such an update was told "you saved this yourself" at a time they
    saved nothing, or another person was named for it. Such a save now names
    nobody (the refusal says it was changed without a person named). A full
    save is unchanged: whoever saves that way sets ``updated_by`` (or, for
    staff accounts, ``User.save`` does the same for full saves too).
    """

    if TYPE_CHECKING:
        updated_by: Any  # the model's foreign key to the staff user

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if (
            update_fields is not None
            and "updated_at" in update_fields
            and "updated_by" not in update_fields
        ):
            self.updated_by = None
            kwargs["update_fields"] = {*update_fields, "updated_by"}
        super().save(*args, **kwargs)  # type: ignore[misc]


# The version of an object not saved yet (a contact summary nobody wrote).
NOT_SAVED_YET = "new"


def version_of(obj: Any, *, at: str = "updated_at") -> str:
    """The version an edit page of ``obj`` is opened with: its ``updated_at``.

    ``NOT_SAVED_YET`` for ``None`` (or no time yet), an object that does not
    exist yet but may be created by either of two tabs. ``at`` names another
    attribute holding the time of the last save (``recorded_at``).
    """
    saved_at = getattr(obj, at, None) if obj is not None else None
    return saved_at.isoformat() if saved_at is not None else NOT_SAVED_YET


class ChangedMeanwhile(Exception):
    """Someone saved the object after the page was opened; nothing was saved.

    ``version`` is the newer version (what the page counts as opened from
    after this answer), ``saved_by`` the username of whoever saved it ("" if
    unknown or deleted), ``saved_at`` when, and ``number`` a version number
    for content that is kept in numbered versions (``published``: a
    published version, said so). ``not_sent``: the request did not say which
    version it was opened from, so nobody can tell whether it is stale.
    """

    def __init__(
        self,
        *,
        version: str,
        saved_by: str = "",
        saved_at: datetime.datetime | None = None,
        number: int | None = None,
        published: bool = False,
        not_sent: bool = False,
    ) -> None:
        super().__init__(version)
        self.version = version
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.number = number
        self.published = published
        self.not_sent = not_sent

    def message(self, viewer: str = "") -> str:
        """What the 409 page says, in the active language.

        ``viewer`` is the username of whoever is refused. When they made the
        newer save themselves (a second tab, or Save pressed twice: the
        browser shows the answer to the second press), the page says so
        instead of naming them like someone else, which read as if their
        save had been lost.
        """
        if self.not_sent:
            return _(
                "Nothing was saved: this page did not say which version it was opened from "
                "(a page from before an update, or a request not sent by forestall's page), "
                "so a newer save could have been replaced without anyone noticing. What you "
                "typed is still here. Compare it with the saved version (open this page in a "
                "new tab); saving again replaces it."
            )
        if viewer and self.saved_by == viewer:
            return self._own_message()
        who = self.saved_by or "—"
        when = self._when()
        if not self.saved_by and self.number is None:
            # An automatic update or a command (``NamesItsLastEditor``): "— saved
            # this" read as a broken page, and named nobody the person could ask.
            return _(
                "Nothing was saved: this was changed on %(when)s, after you opened this "
                "page, without a staff member named (an automatic update, a command, or an "
                "account since removed). What you typed is still here. Compare it with the "
                "saved version (open this page in a new tab); saving again replaces it."
            ) % {"when": when}
        if self.published:
            return _(
                "Nothing was published: %(who)s published version %(number)s on %(when)s, "
                "after you opened this page. What you typed is still here. Compare it with "
                "their version in the history; publishing again replaces it."
            ) % {"who": who, "number": self.number, "when": when}
        if self.number is not None:
            return _(
                "Nothing was saved: %(who)s saved version %(number)s on %(when)s, after you "
                "opened this page. What you typed is still here. Compare it with their "
                "version (open this page in a new tab); saving again replaces it."
            ) % {"who": who, "number": self.number, "when": when}
        return _(
            "Nothing was saved: %(who)s saved this on %(when)s, after you opened this page. "
            "What you typed is still here. Compare it with their version (open this page "
            "in a new tab); saving again replaces it."
        ) % {"who": who, "when": when}

    def _own_message(self) -> str:
        when = self._when()
        if self.published:
            return _(
                "Nothing more was published: you published version %(number)s yourself on "
                "%(when)s, after this page was opened (in another tab, or by pressing the "
                "button twice). What you typed is still here; publishing again replaces "
                "that version."
            ) % {"number": self.number, "when": when}
        if self.number is not None:
            return _(
                "Nothing more was saved: you saved version %(number)s yourself on %(when)s, "
                "after this page was opened (in another tab, or by pressing the button "
                "twice). What you typed is still here; saving again replaces that version."
            ) % {"number": self.number, "when": when}
        return _(
            "Nothing more was saved: you saved this yourself on %(when)s, after this page "
            "was opened (in another tab, or by pressing the button twice). What you typed "
            "is still here; saving again replaces that save."
        ) % {"when": when}

    def _when(self) -> str:
        if self.saved_at is None:
            return "—"
        return formats.date_format(timezone.localtime(self.saved_at), "SHORT_DATETIME_FORMAT")


def version_sent(number: int | None) -> int | str:
    """A numbered version from a form's optional hidden field; ``""`` when it was not sent.

    For the pages of content kept in numbered versions (``based_on``): a
    request without it is refused like any other that did not say.
    """
    return "" if number is None else number


def check_unchanged(model: type[models.Model], pk: Any, edited_from: str | None) -> None:
    """Raise ``ChangedMeanwhile`` if the row ``pk`` was saved after ``edited_from``.

    Call it inside the saving action's transaction, before the save: the row
    stays locked until the transaction ends, so two saves from pages opened
    at the same version cannot both pass. ``edited_from`` ``""``: the request
    did not say, refused (``not_sent``); ``None``: no page asked, not checked.
    """
    if edited_from is None:
        return
    updated_at, updated_by_id = (
        model._default_manager.select_for_update()
        .filter(pk=pk)
        .values_list("updated_at", "updated_by_id")
        .get()
    )
    if updated_at is not None and updated_at.isoformat() == edited_from:
        return
    raise ChangedMeanwhile(
        version=updated_at.isoformat() if updated_at is not None else "",
        saved_by=_username(updated_by_id),
        saved_at=updated_at,
        not_sent=not edited_from,
    )


def check_locked(
    row: Any, edited_from: str | None, *, at: str = "updated_at", by: str = "updated_by"
) -> None:
    """Raise ``ChangedMeanwhile`` if ``row`` is not the version ``edited_from``.

    For an object fetched by the caller under a lock it holds (or ``None``:
    not saved yet), when ``check_unchanged``'s lookup by primary key does not
    fit; ``at`` and ``by`` name when and by whom it was saved last.
    ``edited_from`` ``""`` is refused, ``None`` not checked (``check_unchanged``).
    """
    if edited_from is None or version_of(row, at=at) == edited_from:
        return
    saved_by = getattr(row, by, None) if row is not None else None
    raise ChangedMeanwhile(
        version=version_of(row, at=at),
        saved_by=saved_by.get_username() if saved_by is not None else "",
        saved_at=getattr(row, at, None) if row is not None else None,
        not_sent=not edited_from,
    )


def check_newest_version(
    newest: Any,
    edited_from: str | None,
    *,
    by: str = "created_by",
    at: str = "created_at",
    published: bool = False,
) -> None:
    """For content kept in numbered versions: raise if ``newest`` is not the one opened.

    ``newest`` is the newest saved version (its ``version`` number, and who
    saved it and when in the attributes ``by`` and ``at``), fetched under the
    caller's lock; ``edited_from`` the number the page was opened with ("0"
    before the first). ``""`` is refused, ``None`` not checked (``check_unchanged``).
    """
    if edited_from is None:
        return
    number = newest.version if newest is not None else 0
    if str(number) == edited_from:
        return
    saved_by = getattr(newest, by, None) if newest is not None else None
    raise ChangedMeanwhile(
        version=str(number),
        saved_by=saved_by.get_username() if saved_by is not None else "",
        saved_at=getattr(newest, at, None) if newest is not None else None,
        number=number,
        published=published,
        not_sent=not edited_from,
    )


def _username(user_id: Any) -> str:
    if user_id is None:
        return ""
    from django.contrib.auth import get_user_model

    user = get_user_model()._default_manager.filter(pk=user_id).first()
    return user.get_username() if user is not None else ""


def refuse_as_changed(form: forms.BaseForm, changed: ChangedMeanwhile, viewer: str = "") -> None:
    """Add the "changed meanwhile" error to ``form`` (bound and validated).

    ``viewer``: the username of the person refused (see ``ChangedMeanwhile.message``).
    """
    form.add_error(None, ValidationError(changed.message(viewer), code=CHANGED_MEANWHILE))


def form_after_change(
    form_class: type[_Form],
    data: QueryDict,
    changed: ChangedMeanwhile,
    *,
    version_field: str = EDITED_FROM,
    viewer: Any = None,
    **kwargs: Any,
) -> _Form:
    """The form again with what the person typed, saying who saved first and when.

    It now counts as opened from that newer save (its ``edited_from``, or
    ``version_field``, is the newer version): saving again, after comparing,
    replaces it on purpose. ``viewer`` is the user refused (the message
    says "you" when they made the newer save themselves); ``kwargs`` are the
    form's other arguments (a fresh ``instance``).
    """
    again_data = data.copy()
    prefix = kwargs.get("prefix")
    again_data[f"{prefix}-{version_field}" if prefix else version_field] = changed.version
    kwargs.setdefault("error_class", AnnouncedErrorList)
    again = form_class(again_data, **kwargs)
    again.is_valid()
    refuse_as_changed(again, changed, viewer.get_username() if viewer is not None else "")
    return again


def was_changed_meanwhile(form: forms.BaseForm) -> bool:
    """True for a form refused because the object changed after it was opened."""
    return form.has_error(NON_FIELD_ERRORS, CHANGED_MEANWHILE)
