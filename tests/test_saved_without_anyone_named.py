"""A save that moves an object's version without naming who made it names nobody.

An outside tester found it on the demo: a clinician started a client's
treatment, which recomputes the centre's typical wait and saves the centre
(``update_fields=["typical_wait_weeks", "updated_at"]``). ``updated_by``
still named the centre manager who had saved the profile an hour before, so
the manager, whose profile page was opened before the case moved, was told
"you saved this yourself on <the time of the move>", a save they never made
(and anyone else was told the manager had saved it). Such a save now names
nobody, and the refusal says the page changed without a staff member named.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.apps import apps
from django.utils import timezone, translation

from forestall.accounts.models import User
from forestall.cases.actions import StageChanged, transition_case
from forestall.cases.models import Priority
from forestall.cases.pathway import Stage
from forestall.directory.models import Centre
from forestall.lib.stale_edits import ChangedMeanwhile, NamesItsLastEditor
from tests.factories_cases import make_case
from tests.test_directory import profile_data

pytestmark = pytest.mark.django_db


def _edited_from(page: str) -> str:
    return re.search(r'name="edited_from" value="([^"]+)"', page).group(1)


def _a_start_that_changes_the_typical_wait(centre, clinician) -> None:
    waiting = make_case(
        centre,
        stage=Stage.WAITING_LIST,
        waitlisted_ago=datetime.timedelta(weeks=11),
        priority=Priority.ROUTINE,
    )
    transition_case(waiting, Stage.IN_TREATMENT, by=clinician)


@pytest.mark.parametrize(
    ("language", "said", "not_said"),
    [
        ("en", "without a staff member named", "you saved this yourself"),
        ("de", "ohne dass eine Mitarbeiterin oder ein Mitarbeiter", "Sie selbst haben"),
    ],
)
def test_a_profile_page_opened_before_an_automatic_update_does_not_blame_its_reader(
    sign_in, manager_a, clinician_a, centre_a, language, said, not_said
):
    edit = f"/staff/centres/{centre_a.id}/edit/"
    manager = sign_in(manager_a)
    first = profile_data(typical_wait_weeks="3")
    first["edited_from"] = _edited_from(manager.get(edit).content.decode())
    assert manager.post(edit, first).status_code == 302
    assert Centre.objects.get(pk=centre_a.pk).updated_by == manager_a
    opened = _edited_from(manager.get(edit).content.decode())

    _a_start_that_changes_the_typical_wait(centre_a, clinician_a)
    updated = Centre.objects.get(pk=centre_a.pk)
    assert updated.typical_wait_weeks not in (None, 3)
    assert updated.updated_by is None

    stale = profile_data(typical_wait_weeks="3", opening_hours="Di 10-12", edited_from=opened)
    with translation.override(language):
        response = manager.post(edit, stale, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 409
    page = response.content.decode()
    assert said in page
    assert not_said not in page
    assert "manager_a" not in page.split("<main", 1)[-1].split("</main>")[0]
    assert "Di 10-12" in page
    assert Centre.objects.get(pk=centre_a.pk).typical_wait_weeks == updated.typical_wait_weeks


def test_every_model_guarded_against_stale_pages_names_nobody_for_an_unnamed_save():
    guarded = [
        model
        for model in apps.get_models()
        if {"updated_at", "updated_by"} <= {field.name for field in model._meta.get_fields()}
    ]
    assert Centre in guarded
    # Staff accounts have their own, stricter rule (User.save, test_account_changed_by).
    unguarded = [
        model._meta.label
        for model in guarded
        if model is not User and not issubclass(model, NamesItsLastEditor)
    ]
    assert unguarded == []


def test_the_message_for_a_change_without_anyone_named_is_translated():
    changed = ChangedMeanwhile(version="v")
    assert changed.message().startswith("Nothing was saved: this was changed on —")
    assert "an account since removed" in changed.message()
    with translation.override("de"):
        assert changed.message().startswith("Nichts wurde gespeichert:")
        assert "ohne dass eine Mitarbeiterin oder ein Mitarbeiter" in changed.message()


def test_a_case_moved_without_anyone_named_says_so_instead_of_a_dash():
    changed = StageChanged(Stage.WAITING_LIST, moved_at=timezone.now())
    assert "without a staff member named" in changed.message("clinician_a")
    assert "— moved" not in changed.message()
    with translation.override("de"):
        assert "Dieser Fall wurde am" in changed.message()
        assert "ohne dass eine Mitarbeiterin oder ein Mitarbeiter" in changed.message()
