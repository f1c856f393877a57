"""What a reader of the self-help programmes can change.

Saving needs a mailbox: answers, progress, the place and self-ratings go into
the mailbox's encrypted ``Workbook``. Every action adds to the de-identified
``ModuleCount`` (programme, module, language, day) and to nothing else; no
action logs what anyone wrote.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, override

from forestall.inbox.models import Mailbox
from forestall.selfhelp.content import Exercise, Module, catalogue
from forestall.selfhelp.models import CountEvent, ModuleCount, Workbook

# The most self-ratings kept per workbook (the oldest go first).
RATINGS_KEPT = 200


def record_count(
    event: str, module: Module, language: str, *, day: datetime.date | None = None
) -> None:
    """Add one to the de-identified daily count of ``event`` in ``module``."""
    if event not in CountEvent.values:
        raise ValueError(f"unknown self-help event {event!r}")
    key = {
        "day": day or timezone.localdate(),
        "programme": module.programme,
        "module": module.slug,
        "language": language,
        "event": event,
    }
    with transaction.atomic():
        if ModuleCount.objects.filter(**key).update(count=F("count") + 1):
            return
        try:
            with transaction.atomic():
                ModuleCount.objects.create(count=1, **key)
        except IntegrityError:  # another request created the row first
            ModuleCount.objects.filter(**key).update(count=F("count") + 1)


def module_key(module: Module) -> str:
    return f"{module.programme}/{module.slug}"


def read_workbook(mailbox: Mailbox) -> dict[str, Any]:
    """The mailbox's self-help data (empty if it has saved nothing yet)."""
    workbook = Workbook.objects.filter(mailbox=mailbox).first()
    return _normalised(workbook.data if workbook else None)


def _normalised(data: Any) -> dict[str, Any]:
    data = dict(data) if isinstance(data, dict) else {}
    data.setdefault("modules", {})
    data.setdefault("answers", {})
    data.setdefault("ratings", [])
    data.setdefault("place", "")
    return data


def _change(mailbox: Mailbox, change: Any) -> dict[str, Any]:
    """Apply ``change(data)`` to the locked workbook and save it, in one transaction."""
    today = timezone.localdate()
    with transaction.atomic():
        Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        workbook = Workbook.objects.filter(mailbox=mailbox).first()
        if workbook is None:
            workbook = Workbook(mailbox=mailbox, updated_on=today)
        data = _normalised(workbook.data)
        change(data, today)
        workbook.data = data  # type: ignore[assignment]
        workbook.updated_on = today
        workbook.save()
        if mailbox.last_active_on != today:
            Mailbox.objects.filter(pk=mailbox.pk).update(last_active_on=today)
            mailbox.last_active_on = today
    return data


def _started(data: dict[str, Any], module: Module, today: datetime.date, language: str) -> None:
    progress = data["modules"].setdefault(module_key(module), {})
    if "started" not in progress:
        progress["started"] = today.isoformat()
        record_count(CountEvent.STARTED, module, language)
    progress["version"] = module.version
    data["place"] = module_key(module)


def save_answer(
    mailbox: Mailbox, module: Module, exercise: Exercise, values: dict[str, Any], language: str
) -> dict[str, Any]:
    """Keep the answers to one exercise (replacing earlier ones) under the module's version.

    The first thing saved in a module counts it as started.
    """

    def change(data: dict[str, Any], today: datetime.date) -> None:
        _started(data, module, today, language)
        data["answers"][f"{module_key(module)}/{exercise.id}"] = {
            "version": module.version,
            "saved_on": today.isoformat(),
            "values": values,
        }

    return _change(mailbox, change)


def save_rating(
    mailbox: Mailbox, module: Module, moment: str, values: dict[str, int], language: str
) -> dict[str, Any]:
    """Add a before/after self-rating of ``module`` (0 to 10 values) to the person's history."""

    def change(data: dict[str, Any], today: datetime.date) -> None:
        _started(data, module, today, language)
        data["ratings"].append(
            {"module": module_key(module), "moment": moment, "on": today.isoformat(), **values}
        )
        del data["ratings"][:-RATINGS_KEPT]

    return _change(mailbox, change)


def complete_module(mailbox: Mailbox | None, module: Module, language: str) -> None:
    """ "I have finished this module": kept in the workbook if there is one, and counted.

    Without a mailbox nothing is stored and a separate count is all that
    remains (it cannot be matched to a start, so it stays out of the
    completion rate); a mailbox counts each module as completed once.
    """
    if mailbox is None:
        record_count(CountEvent.READ_THROUGH, module, language)
        return

    def change(data: dict[str, Any], today: datetime.date) -> None:
        _started(data, module, today, language)
        progress = data["modules"][module_key(module)]
        if "completed" not in progress:
            progress["completed"] = today.isoformat()
            record_count(CountEvent.COMPLETED, module, language)
        following = catalogue().programme(module.programme)
        after = following.after(module) if following else None
        if after is not None:
            data["place"] = module_key(after)

    _change(mailbox, change)


def note_place(mailbox: Mailbox, module: Module) -> None:
    """Remember the module a signed-in reader is on, so they can come back to it."""
    if read_workbook(mailbox)["place"] == module_key(module):
        return

    def change(data: dict[str, Any], today: datetime.date) -> None:
        data["place"] = module_key(module)

    _change(mailbox, change)


def exercise_as_text(
    module: Module, exercise_id: str, values: dict[str, Any], language: str
) -> str:
    """The exercise and its answers as plain text (for the counsellor and the print page)."""
    text = module.text(language)
    exercise = text.exercise(exercise_id)
    if exercise is None:
        return ""
    with override(language):
        lines = [
            gettext("Shared from the self-help programme: %(module)s, %(exercise)s")
            % {"module": text.title, "exercise": exercise.title},
            "",
        ]
        for field in exercise.fields:
            value = values.get(field.id)
            if value in (None, "", []):
                shown = gettext("(no answer)")
            elif field.kind == "choice":
                shown = field.option_label(str(value))
            elif field.kind == "multi":
                shown = ", ".join(field.option_label(str(v)) for v in value)
            else:
                shown = str(value)
            lines += [field.label, shown, ""]
    return "\n".join(lines).strip()


def share_exercise(mailbox: Mailbox, module: Module, exercise_id: str, language: str) -> bool:
    """Send the saved answers of one exercise to the mailbox's conversation with a counsellor.

    The answers become a message from the person (encrypted like every
    message), so the counsellor sees them in the conversation and replies
    there. Returns False if nothing was saved for the exercise.
    """
    from forestall.inbox.actions import post_seeker_message

    saved = read_workbook(mailbox)["answers"].get(f"{module_key(module)}/{exercise_id}")
    if not saved:
        return False
    body = exercise_as_text(module, exercise_id, saved.get("values", {}), language)
    with transaction.atomic():
        post_seeker_message(mailbox, body, None)
        record_count(CountEvent.SHARED, module, language)
    return True
