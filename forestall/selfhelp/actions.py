"""What a reader of the self-help programmes can change.

Saving needs a mailbox: answers, progress, the place and self-ratings go into
the mailbox's encrypted ``Workbook``. Every action adds to the de-identified
``ModuleCount`` (programme, module, language, day) and to nothing else; no
action logs what anyone wrote.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, override

from forestall.audit.actions import record_event
from forestall.inbox.actions import lock_mailbox, start_mailbox
from forestall.inbox.models import Mailbox
from forestall.lib.pagecache import public_pages_changed
from forestall.lib.stale_edits import ChangedMeanwhile
from forestall.selfhelp.content import (
    ContentError,
    Exercise,
    Module,
    catalogue,
    module_at_version,
    module_from_sources,
    shipped_catalogue,
    shipped_sources,
)
from forestall.selfhelp.models import CountEvent, ModuleCount, ModuleVersion, Workbook

if TYPE_CHECKING:
    from forestall.accounts.models import User

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
    """Apply ``change(data)`` to the locked workbook and save it, in one transaction.

    ``MailboxDeleted`` if the mailbox was deleted meanwhile (another tab):
    nothing is saved, and the reader is told so.
    """
    today = timezone.localdate()
    with transaction.atomic():
        lock_mailbox(mailbox.pk)
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
    """Add a before/after self-rating of ``module`` (0 to 10 values) to the person's history.

    The same rating sent again the same day (a double click on "Save" with
    JavaScript off, or a second tab) is kept once: the pages have no
    resubmission guard on the public side, and a repeated row would read as
    two check-ins.
    """

    def change(data: dict[str, Any], today: datetime.date) -> None:
        _started(data, module, today, language)
        entry = {"module": module_key(module), "moment": moment, "on": today.isoformat(), **values}
        if data["ratings"] and data["ratings"][-1] == entry:
            return
        data["ratings"].append(entry)
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


def answer_rows(exercise: Exercise, values: dict[str, Any]) -> list[tuple[str, Any]]:
    """(question, answer as shown) for each field: option labels, never ids; None if skipped."""
    rows = []
    for field in exercise.fields:
        value = values.get(field.id)
        if value in (None, "", []):
            shown = None
        elif field.kind == "choice":
            shown = field.option_label(str(value))
        elif field.kind == "multi" and isinstance(value, list):
            shown = ", ".join(field.option_label(str(v)) for v in value)
        else:
            shown = str(value)
        rows.append((field.label, shown))
    return rows


def saved_exercise(
    module: Module, exercise_id: str, entry: dict[str, Any], language: str
) -> Exercise | None:
    """The exercise as it was asked when ``entry`` was saved (its module version).

    After a network admin publishes a new version, earlier answers are still
    shown with the questions and options they answered. Falls back to the
    current exercise if that version is unknown.
    """
    version = entry.get("version")
    then = module_at_version(module, version) if isinstance(version, int) else None
    for candidate in (then, module):
        if candidate is not None:
            exercise = candidate.text(language).exercise(exercise_id)
            if exercise is not None:
                return exercise
    return None


def values_for_form(exercise: Exercise, values: dict[str, Any]) -> dict[str, Any]:
    """Saved values that the current exercise can still show in its form (same id and kind)."""
    kept: dict[str, Any] = {}
    for field in exercise.fields:
        value = values.get(field.id)
        if value in (None, "", []):
            continue
        options = {o.id for o in field.options}
        if field.kind == "text" and isinstance(value, str):
            kept[field.id] = value
        elif field.kind == "rating" and str(value).isdigit() and 0 <= int(value) <= 10:
            kept[field.id] = str(value)
        elif field.kind == "choice" and value in options:
            kept[field.id] = value
        elif field.kind == "multi" and isinstance(value, list):
            kept[field.id] = [v for v in value if v in options]
    return kept


def exercise_as_text(module: Module, exercise_id: str, entry: dict[str, Any], language: str) -> str:
    """A saved exercise and its answers as plain text (for the counsellor)."""
    exercise = saved_exercise(module, exercise_id, entry, language)
    if exercise is None:
        return ""
    with override(language):
        lines = [
            gettext("Shared from the self-help programme: %(module)s, %(exercise)s")
            % {"module": module.text(language).title, "exercise": exercise.title},
            "",
        ]
        for label, shown in answer_rows(exercise, entry.get("values", {})):
            lines += [label, shown if shown is not None else gettext("(no answer)"), ""]
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
    body = exercise_as_text(module, exercise_id, saved, language)
    with transaction.atomic():
        post_seeker_message(mailbox, body, None)
        record_count(CountEvent.SHARED, module, language)
    return True


class ModuleChangedMeanwhile(ChangedMeanwhile):
    """A newer version was published after the editor opened the module; nothing was published."""

    def __init__(
        self, newest: ModuleVersion | None, *, number: int = 0, not_sent: bool = False
    ) -> None:
        """``newest`` None: the shipped version ``number`` is the newest (nobody published)."""
        if newest is not None:
            number = newest.version
        super().__init__(
            version=str(number),
            saved_by=newest.published_by.get_username()
            if newest is not None and newest.published_by
            else "",
            saved_at=newest.published_at if newest is not None else None,
            number=number,
            published=True,
            not_sent=not_sent,
        )
        self.newest = newest


def publish_module_version(
    programme: str,
    module_slug: str,
    minutes: int,
    sources: dict[str, str],
    *,
    by: User,
    based_on: int | str | None = None,
) -> ModuleVersion:
    """Publish a new version of a self-help module (network admins, through the staff side).

    ``sources`` holds each language's block as the editor wrote it; it is
    validated exactly like a shipped file (raises ``ContentError`` and stores
    nothing if it does not hold together). The first publish of a module
    also keeps the shipped version it replaces, so answers given under that
    version keep their questions. Audited as ``selfhelp_module.publish``;
    the public pages show the new version at once. ``based_on`` is the
    version the editor started from: if a newer one exists by now, raises
    ``ModuleChangedMeanwhile`` and publishes nothing; ``""`` (the request did
    not say) is refused the same way (``lib.stale_edits``), None (no page
    asked) is not checked.
    """
    found = shipped_catalogue().find(programme, module_slug)
    if found is None:
        raise ContentError(f"{programme}/{module_slug}: no such module")
    shipped = found[1]
    try:
        with transaction.atomic():
            versions = ModuleVersion.objects.select_for_update().of(programme, module_slug)
            latest = versions.order_by("-version").first()
            if based_on == "":
                newest = latest if latest is not None and latest.version > shipped.version else None
                raise ModuleChangedMeanwhile(newest, number=shipped.version, not_sent=True)
            if isinstance(based_on, int) and latest is not None and latest.version > based_on:
                raise ModuleChangedMeanwhile(latest)
            number = max(shipped.version, latest.version if latest else 0) + 1
            module_from_sources(
                programme, module_slug, shipped.order, number, minutes, sources, publishing=True
            )
            if not versions.filter(version=shipped.version).exists():
                ModuleVersion.objects.create(
                    programme=programme,
                    module=module_slug,
                    version=shipped.version,
                    minutes=shipped.minutes,
                    texts=shipped_sources(programme, module_slug),
                    shipped=True,
                )
            published = ModuleVersion.objects.create(
                programme=programme,
                module=module_slug,
                version=number,
                minutes=minutes,
                texts={language: sources[language] for language in sorted(sources)},
                published_by=by,
            )
            record_event(by, "selfhelp_module.publish", published)
            transaction.on_commit(public_pages_changed)
    except IntegrityError:
        raise ContentError(
            gettext("%(where)s: another version was published at the same moment")
            % {"where": f"{programme}/{module_slug}"}
        ) from None
    return published


def start_mailbox_keeping_answers(
    language: str,
    pathway: str,
    module: Module,
    exercise: Exercise,
    values: dict[str, Any] | None,
    *,
    through_reach: bool = False,
) -> tuple[Mailbox, str]:
    """Start a mailbox for a reader without one and keep the exercise answers they chose to keep.

    The answers typed before the mailbox existed made the round trip inside
    the pages only; here they are stored for the first time, encrypted in
    the new mailbox's workbook, and nowhere else. ``values`` None: the reader
    chose not to keep them, and the mailbox starts empty. One transaction: no
    mailbox without the answers it was started to keep.
    """
    with transaction.atomic():
        mailbox, codename = start_mailbox(language, pathway, through_reach=through_reach)
        if values is not None:
            save_answer(mailbox, module, exercise, values, language)
    return mailbox, codename
