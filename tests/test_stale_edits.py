"""A page saved from a stale tab never silently replaces a newer save.

The defect class: two people (or one person's forgotten second tab) open the
same staff edit page; the first saves; the second saves the page they opened
earlier, and every field of it, the old values too, replaced the first save
without a word. The public pages, self-help modules and centre profiles were
fixed one by one; ``forestall.lib.stale_edits`` is now the one mechanism, and
every page that changes an object in place uses it: the later save answers
409, names who saved and when, keeps what was typed, and saving again from
that answer is deliberate and goes through.

Each page is driven through HTTP as two tabs: A opens the form, B opens it
and saves, A saves → 409, B's value intact, A's typed text on the page.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation

from forestall.accounts.models import Role
from forestall.cases.models import Client
from forestall.cases.pathway import Stage
from forestall.directory.models import Centre
from forestall.inbox.models import ContactSummary, ReplyTemplate
from forestall.reach.models import Variant, VariantText
from tests import factories
from tests.factories_cases import make_case
from tests.factories_inbox import make_conversation
from tests.factories_reach import (  # noqa: F401 - reach_defaults: the autouse fixture
    DETERRENT_ID,
    reach_defaults,
    shipped_variant,
)

pytestmark = pytest.mark.django_db


def edited_from(page: str) -> str:
    """The version a rendered page was opened with (its hidden ``edited_from``)."""
    found = re.search(r'name="edited_from" value="([^"]+)"', page)
    assert found, "the page carries no edited_from"
    return found.group(1)


def assert_refused(response, typed: str, saved_by: str) -> str:
    assert response.status_code == 409
    page = response.content.decode()
    assert typed in page
    assert saved_by in page
    assert_the_refusal_is_clear(page)
    return page


_REFUSAL = re.compile(r"Nothing (more )?was (saved|published)|Nichts wurde|Es wurde nichts weiter")
_ALERT = re.compile(r'<(div|p|section|ul)\b[^>]*role="alert"[^>]*>(.*?)</\1>', re.S)


def assert_the_refusal_is_clear(page: str) -> None:
    """The 409 says what happened, where a screen reader announces it, and nothing else.

    It used to open with "Please correct the marked fields." above the
    refusal, with no field marked: nothing was wrong with what was typed.
    """
    for misleading in ("Please correct the marked fields", "markierten Felder"):
        assert misleading not in page
    assert any(_REFUSAL.search(inner) for _tag, inner in _ALERT.findall(page)), (
        "the refusal is not inside a role=alert element"
    )


# --- Inbox reply templates -----------------------------------------------


@pytest.fixture
def reply_template(network_counsellor):
    return ReplyTemplate.objects.create(
        language="en", title="Welcome", body="Thank you for writing.", updated_by=None
    )


def _template_data(version: str, **fields: str) -> dict[str, str]:
    return {
        "language": "en",
        "title": "Welcome",
        "body": "Thank you for writing.",
        "is_active": "on",
        "edited_from": version,
        **fields,
    }


def test_a_reply_template_saved_from_a_stale_tab_is_refused(
    sign_in, network_counsellor, manager_a, reply_template
):
    url = f"/staff/inbox/templates/{reply_template.pk}/"
    tab_a, tab_b = sign_in(network_counsellor), sign_in(manager_a)
    opened_a = edited_from(tab_a.get(url).content.decode())
    opened_b = edited_from(tab_b.get(url).content.decode())
    assert tab_b.post(url, _template_data(opened_b, body="B's newer text.")).status_code == 302

    with translation.override("de"):
        response = tab_a.post(
            url, _template_data(opened_a, body="A's stale text."), HTTP_ACCEPT_LANGUAGE="de"
        )
    page = assert_refused(response, "A&#x27;s stale text.", "manager_a")
    assert "Nichts wurde gespeichert" in page
    assert ReplyTemplate.objects.get().body == "B's newer text."

    # Saving again from the 409 is a deliberate choice and goes through.
    again = _template_data(edited_from(page), body="A's stale text.")
    assert tab_a.post(url, again).status_code == 302
    assert ReplyTemplate.objects.get().body == "A's stale text."


def test_a_reply_template_saved_from_a_fresh_tab_goes_through(
    sign_in, network_counsellor, reply_template
):
    url = f"/staff/inbox/templates/{reply_template.pk}/"
    client = sign_in(network_counsellor)
    for body in ("First.", "Second."):
        opened = edited_from(client.get(url).content.decode())
        assert client.post(url, _template_data(opened, body=body)).status_code == 302
    assert ReplyTemplate.objects.get().body == "Second."


# --- Reach: a variant's settings and its texts ---------------------------


@pytest.fixture
def second_admin(db):
    return factories.make_user(Role.NETWORK_ADMIN, None, username="second_admin")


def test_variant_settings_saved_from_a_stale_tab_are_refused(sign_in, network_admin, second_admin):
    url = f"/staff/reach/variants/{DETERRENT_ID}/"
    tab_a, tab_b = sign_in(network_admin), sign_in(second_admin)
    opened_a = edited_from(tab_a.get(url).content.decode())
    opened_b = edited_from(tab_b.get(url).content.decode())
    taken_out = {"kind": "deterrent", "weight": "1", "edited_from": opened_b}
    assert tab_b.post(url, taken_out).status_code == 302

    stale = {"kind": "deterrent", "weight": "7", "active": "on", "edited_from": opened_a}
    page = assert_refused(tab_a.post(url, stale), 'value="7"', "second_admin")
    variant = Variant.objects.get(pk=DETERRENT_ID)
    assert (variant.active, variant.weight) == (False, 1)

    assert tab_a.post(url, {**stale, "edited_from": edited_from(page)}).status_code == 302
    variant.refresh_from_db()
    assert (variant.active, variant.weight, variant.updated_by) == (True, 7, network_admin)


def test_variant_settings_saved_from_a_fresh_tab_go_through(sign_in, network_admin):
    url = f"/staff/reach/variants/{DETERRENT_ID}/"
    client = sign_in(network_admin)
    for weight in ("2", "3"):
        opened = edited_from(client.get(url).content.decode())
        data = {"kind": "deterrent", "weight": weight, "active": "on", "edited_from": opened}
        assert client.post(url, data).status_code == 302
    assert Variant.objects.get(pk=DETERRENT_ID).weight == 3


def _text(version: str, title: str) -> dict[str, str]:
    return {
        "title": title,
        "crime": "It is a crime.",
        "harm": "It harms children.",
        "consequences": "There are consequences.",
        "help": "Confidential help is available.",
        "publish": "1",
        "edited_from": version,
    }


def test_a_variant_text_published_from_a_stale_tab_is_refused(sign_in, network_admin, second_admin):
    url = f"/staff/reach/variants/{DETERRENT_ID}/en/"
    tab_a, tab_b = sign_in(network_admin), sign_in(second_admin)
    opened_a = edited_from(tab_a.get(url).content.decode())
    opened_b = edited_from(tab_b.get(url).content.decode())
    assert tab_b.post(url, _text(opened_b, "B's newer title")).status_code == 302
    newest = VariantText.objects.current(shipped_variant(), "en")
    assert newest.title == "B's newer title"

    response = tab_a.post(url, _text(opened_a, "A's stale title"))
    page = assert_refused(response, "A&#x27;s stale title", "second_admin")
    assert f"version {newest.version}" in page
    assert VariantText.objects.current(shipped_variant(), "en") == newest

    assert tab_a.post(url, _text(edited_from(page), "A's stale title")).status_code == 302
    assert VariantText.objects.current(shipped_variant(), "en").title == "A's stale title"


def test_a_variant_text_published_from_a_fresh_tab_goes_through(sign_in, network_admin):
    url = f"/staff/reach/variants/{DETERRENT_ID}/en/"
    client = sign_in(network_admin)
    for title in ("One", "Two"):
        opened = edited_from(client.get(url).content.decode())
        assert client.post(url, _text(opened, title)).status_code == 302
    assert VariantText.objects.current(shipped_variant(), "en").title == "Two"


# --- A client's contact details ------------------------------------------


@pytest.fixture
def second_clinician_a(centre_a):
    return factories.make_user(Role.CLINICIAN, centre_a, username="second_clinician_a")


def test_contact_details_saved_from_a_stale_tab_are_refused(
    sign_in, clinician_a, second_clinician_a, centre_a
):
    case = make_case(centre_a)
    url = f"/staff/cases/clients/{case.client_id}/"
    tab_a, tab_b = sign_in(clinician_a), sign_in(second_clinician_a)
    opened_a = edited_from(tab_a.get(url).content.decode())
    opened_b = edited_from(tab_b.get(url).content.decode())
    newer = {"phone": "0170 111111", "edited_from": opened_b}
    assert tab_b.post(url, newer).status_code == 302

    stale = {"name": "Jan", "email": "jan@example.org", "edited_from": opened_a}
    page = assert_refused(tab_a.post(url, stale), "jan@example.org", "second_clinician_a")
    assert "Jan" in page
    assert Client.objects.get(pk=case.client_id).contact_details == {"phone": "0170 111111"}

    assert tab_a.post(url, {**stale, "edited_from": edited_from(page)}).status_code == 302
    assert Client.objects.get(pk=case.client_id).contact_details == {
        "name": "Jan",
        "email": "jan@example.org",
    }


def test_contact_details_saved_from_a_fresh_tab_go_through(sign_in, clinician_a, centre_a):
    case = make_case(centre_a)
    url = f"/staff/cases/clients/{case.client_id}/"
    client = sign_in(clinician_a)
    for phone in ("0170 1", "0170 2"):
        opened = edited_from(client.get(url).content.decode())
        assert client.post(url, {"phone": phone, "edited_from": opened}).status_code == 302
    assert Client.objects.get(pk=case.client_id).contact_details == {"phone": "0170 2"}


# --- The staff admin: accounts with their roles, centres ------------------


def _admin_data(page) -> dict:
    """What the admin change page would post unchanged (its form and inlines)."""
    form = page.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name == "password":
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(getattr(item, "pk", item)) for item in value]
            continue
        data[name] = str(getattr(value, "pk", value))
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = str(management.initial.get(name, 0))
        for number, inline_form in enumerate(formset.initial_forms):
            data[f"{formset.prefix}-{number}-id"] = str(inline_form.instance.pk)
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is not None:
                    data[f"{formset.prefix}-{number}-{name}"] = str(getattr(value, "pk", value))
    data["edited_from"] = edited_from(page.content.decode())
    return data


def test_an_account_saved_from_a_stale_admin_tab_does_not_undo_a_deactivation(
    sign_in, network_admin, second_admin, clinician_a
):
    url = f"/staff/admin/accounts/user/{clinician_a.pk}/change/"
    tab_a, tab_b = sign_in(network_admin), sign_in(second_admin)
    stale = _admin_data(tab_a.get(url))
    deactivated = _admin_data(tab_b.get(url))
    del deactivated["is_active"]
    assert tab_b.post(url, deactivated).status_code == 302

    stale["first_name"] = "Kim from tab A"
    response = tab_a.post(url, stale)
    assert_refused(response, "Kim from tab A", "second_admin")
    clinician_a.refresh_from_db()
    assert not clinician_a.is_active
    assert clinician_a.first_name == ""
    assert clinician_a.updated_by == second_admin


def test_an_account_saved_from_a_fresh_admin_tab_goes_through(sign_in, network_admin, clinician_a):
    url = f"/staff/admin/accounts/user/{clinician_a.pk}/change/"
    client = sign_in(network_admin)
    for name in ("Kim", "Kai"):
        data = _admin_data(client.get(url))
        data["first_name"] = name
        assert client.post(url, data).status_code == 302
    clinician_a.refresh_from_db()
    assert clinician_a.first_name == "Kai"
    assert clinician_a.memberships.count() == 1


def test_a_centre_saved_from_a_stale_admin_tab_is_refused(
    sign_in, network_admin, second_admin, centre_a
):
    url = f"/staff/admin/directory/centre/{centre_a.pk}/change/"
    tab_a, tab_b = sign_in(network_admin), sign_in(second_admin)
    stale = _admin_data(tab_a.get(url))
    newer = _admin_data(tab_b.get(url))
    newer["opening_hours"] = "Mo-Fr 9-17"
    assert tab_b.post(url, newer).status_code == 302

    stale["opening_hours"] = "Tab A's hours"
    page = assert_refused(tab_a.post(url, stale), "Tab A&#x27;s hours", "second_admin")
    assert Centre.objects.get(pk=centre_a.pk).opening_hours == "Mo-Fr 9-17"

    stale["edited_from"] = edited_from(page)
    assert tab_a.post(url, stale).status_code == 302
    assert Centre.objects.get(pk=centre_a.pk).opening_hours == "Tab A's hours"


# --- The contact summary of a conversation ---------------------------------


@pytest.fixture
def second_counsellor_a(centre_a):
    return factories.make_user(Role.COUNSELLOR, centre_a, username="second_counsellor_a")


def test_a_contact_summary_from_a_stale_tab_does_not_take_away_risk_indicators(
    sign_in, counsellor_a, second_counsellor_a, centre_a
):
    conversation = make_conversation(centre_a)
    page_url = f"/staff/inbox/{conversation.pk}/"
    url = f"/staff/inbox/{conversation.pk}/summary/"
    tab_a, tab_b = sign_in(counsellor_a), sign_in(second_counsellor_a)
    opened_a = edited_from(tab_a.get(page_url).content.decode())
    opened_b = edited_from(tab_b.get(page_url).content.decode())
    recorded = {
        "writer": "self",
        "risk_indicators": ["isolation", "escalating_use"],
        "edited_from": opened_b,
    }
    assert tab_b.post(url, recorded).status_code == 302

    stale = {"writer": "self", "concern": "viewing_images", "edited_from": opened_a}
    page = assert_refused(
        tab_a.post(url, stale), "Nothing was saved: second_counsellor_a saved this on", ""
    )
    assert re.search(r'value="viewing_images"\s+selected', page)
    summary = ContactSummary.objects.get(conversation=conversation)
    assert summary.risk_indicators == ["escalating_use", "isolation"]
    assert summary.concern == ""

    assert tab_a.post(url, {**stale, "edited_from": edited_from(page)}).status_code == 302
    assert ContactSummary.objects.get(conversation=conversation).concern == "viewing_images"


def test_a_contact_summary_from_a_fresh_tab_is_saved(sign_in, counsellor_a, centre_a):
    conversation = make_conversation(centre_a)
    page_url = f"/staff/inbox/{conversation.pk}/"
    url = f"/staff/inbox/{conversation.pk}/summary/"
    client = sign_in(counsellor_a)
    for concern in ("viewing_images", "thoughts_only"):
        opened = edited_from(client.get(page_url).content.decode())
        data = {"writer": "self", "concern": concern, "edited_from": opened}
        assert client.post(url, data).status_code == 302
    assert ContactSummary.objects.get(conversation=conversation).concern == "thoughts_only"


# --- The whole class ---------------------------------------------------------

# Every form that edits a saved object in place, with the page that shows it;
# each has its two-tab test above. A new guarded form must be added here.
GUARDED_FORMS = {
    "forestall.inbox.forms.ReplyTemplateForm": "inbox:template_edit",
    "forestall.inbox.forms.ContactSummaryForm": "inbox:conversation",
    "forestall.reach.forms.VariantSettingsForm": "reach_staff:variant",
    "forestall.reach.forms.VariantTextForm": "reach_staff:variant_text",
    "forestall.cases.forms.ContactDetailsForm": "cases:client",
    "forestall.cases.forms.AttendanceForm": "cases:appointment",
    "forestall.directory.forms.CentreProfileForm": "directory:edit",
    "forestall.directory.forms.CentreAdminForm": "directory:edit",
}

# Model forms of a model that changes in place which only ever create.
CREATE_ONLY_FORMS = {
    "forestall.reach.forms.VariantForm": "reach_staff:variant_new makes a new variant",
}

# Admin pages deliberately left without the guard, and why.
UNGUARDED_ADMIN = {
    "directory.Region": "a name and a slug, set up once; no work to lose",
    "research.Study": "a title and a period, set up once by one admin",
}


def _form_classes():
    import importlib
    import inspect

    from django import forms
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("forestall."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield f"{cls.__module__}.{cls.__qualname__}", cls


def _records_changes(model) -> bool:
    return any(getattr(field, "auto_now", False) for field in model._meta.get_fields())


def test_every_model_form_of_a_model_that_changes_in_place_is_guarded():
    from forestall.lib.stale_edits import GuardsStaleEdits

    unguarded = [
        name
        for name, cls in _form_classes()
        if getattr(getattr(cls, "_meta", None), "model", None) is not None
        and _records_changes(cls._meta.model)
        and not issubclass(cls, GuardsStaleEdits)
        and name not in CREATE_ONLY_FORMS
    ]
    assert unguarded == []


def test_every_guarded_form_is_listed_with_its_page():
    from forestall.lib.stale_edits import GuardsStaleEdits

    guarded = {name for name, cls in _form_classes() if issubclass(cls, GuardsStaleEdits)}
    assert guarded == set(GUARDED_FORMS)


def test_every_model_that_records_who_changed_it_is_guarded_somewhere():
    from django.apps import apps
    from django.contrib import admin

    from forestall.accounts.admin_site import StaleGuardedAdminMixin, guards_stale_edits

    by_forms = {
        cls._meta.model
        for name, cls in _form_classes()
        if name in GUARDED_FORMS and getattr(getattr(cls, "_meta", None), "model", None)
    }
    by_admin = {
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, StaleGuardedAdminMixin)
    }
    # Guarded by plain forms (their actions lock the row): the contact
    # details of a client, the contact summary of a conversation.
    by_actions = {Client, ContactSummary}
    recording = {m for m in apps.get_models() if guards_stale_edits(m)}
    assert recording - by_forms - by_admin - by_actions == set()


def test_every_admin_change_page_is_guarded_or_left_for_a_reason():
    from django.contrib import admin

    from forestall.accounts.admin_site import StaleGuardedAdminMixin

    unguarded = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, StaleGuardedAdminMixin)
    }
    assert unguarded == set(UNGUARDED_ADMIN)


def test_the_refusal_is_translated_and_names_who_and_when():
    import datetime

    from django.utils import timezone

    from forestall.lib.stale_edits import ChangedMeanwhile

    changed = ChangedMeanwhile(
        version="x",
        saved_by="manager_a",
        saved_at=timezone.make_aware(datetime.datetime(2026, 3, 4, 14, 5)),
    )
    numbered = ChangedMeanwhile(version="3", saved_by="manager_a", saved_at=None, number=3)
    with translation.override("en"):
        assert changed.message().startswith("Nothing was saved: manager_a saved this on 4 Mar 2026")
        assert "manager_a saved version 3" in numbered.message()
    with translation.override("de"):
        message = changed.message()
        assert message.startswith("Nichts wurde gespeichert: manager_a hat dies am 04.03.2026")
        assert "Version 3" in numbered.message()


# --- Attendance at an appointment -------------------------------------------


def test_attendance_saved_from_a_stale_tab_does_not_turn_a_correction_back(
    sign_in, clinician_a, second_clinician_a, centre_a
):
    from forestall.cases import actions as case_actions
    from forestall.cases.models import Attendance, AttendanceStatus

    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = case_actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(hours=2)
    )
    case_actions.record_attendance(appointment, case, AttendanceStatus.ATTENDED, by=clinician_a)
    url = f"/staff/cases/appointments/{appointment.pk}/"
    field = f"attendance_{case.pk}"
    tab_a, tab_b = sign_in(clinician_a), sign_in(second_clinician_a)
    opened_a = edited_from(tab_a.get(url).content.decode())
    opened_b = edited_from(tab_b.get(url).content.decode())
    corrected = {field: AttendanceStatus.DID_NOT_ATTEND, "edited_from": opened_b}
    assert tab_b.post(url, corrected).status_code == 302

    stale = {field: AttendanceStatus.ATTENDED, "edited_from": opened_a}
    page = assert_refused(
        tab_a.post(url, stale), "Nothing was saved: second_clinician_a saved this on", ""
    )
    assert re.search(r'value="attended"\s+selected', page)
    assert Attendance.objects.get(appointment=appointment).status == "did_not_attend"
    case.refresh_from_db()
    assert (case.attended_sessions, case.missed_sessions) == (0, 1)

    assert tab_a.post(url, {**stale, "edited_from": edited_from(page)}).status_code == 302
    assert Attendance.objects.get(appointment=appointment).status == "attended"


def test_attendance_saved_from_a_fresh_tab_is_recorded(sign_in, clinician_a, centre_a):
    from forestall.cases import actions as case_actions
    from forestall.cases.models import Attendance, AttendanceStatus

    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = case_actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(hours=2)
    )
    url = f"/staff/cases/appointments/{appointment.pk}/"
    client = sign_in(clinician_a)
    for status in (AttendanceStatus.DID_NOT_ATTEND, AttendanceStatus.ATTENDED):
        opened = edited_from(client.get(url).content.decode())
        data = {f"attendance_{case.pk}": status, "edited_from": opened}
        assert client.post(url, data).status_code == 302
    assert Attendance.objects.get(appointment=appointment).status == "attended"


# --- Versioned content: the same refusal, naming who and when ----------------


def test_a_public_page_text_from_a_stale_tab_names_who_saved_and_when(
    sign_in, network_admin, second_admin
):
    from forestall.public.models import PageContent

    url = "/staff/content/home/de/"
    based_on = r'name="based_on" value="(\d+)"'
    tab_a, tab_b = sign_in(network_admin), sign_in(second_admin)
    opened_a = re.search(based_on, tab_a.get(url).content.decode()).group(1)
    opened_b = re.search(based_on, tab_b.get(url).content.decode()).group(1)
    newer = {"title": "Start", "body": "B's text", "save": "1", "based_on": opened_b}
    assert tab_b.post(url, newer).status_code == 302
    saved = PageContent.objects.get()

    stale = {"title": "Start", "body": "A's text", "save": "1", "based_on": opened_a}
    with translation.override("de"):
        response = tab_a.post(url, stale, HTTP_ACCEPT_LANGUAGE="de")
        when = formats.date_format(timezone.localtime(saved.created_at), "SHORT_DATETIME_FORMAT")
    page = assert_refused(response, "A&#x27;s text", "second_admin")
    assert f"am {when} Version 1 gespeichert" in page
    assert list(PageContent.objects.values_list("body", flat=True)) == ["B's text"]


# --- The same person twice: a second tab, or Save pressed twice ------------------------


def test_save_pressed_twice_says_the_first_press_saved_it(
    sign_in, network_counsellor, reply_template
):
    """Without JavaScript a double click sends the form twice; the browser shows the second answer.

    It used to say "Nothing was saved: <your own name> saved this on …", which
    read as if the save had been lost.
    """
    url = f"/staff/inbox/templates/{reply_template.pk}/"
    tab = sign_in(network_counsellor)
    data = _template_data(edited_from(tab.get(url).content.decode()), body="Typed once.")
    assert tab.post(url, data).status_code == 302
    with translation.override("de"):
        response = tab.post(url, data, HTTP_ACCEPT_LANGUAGE="de")
    page = assert_refused(response, "Typed once.", "")
    assert "Es wurde nichts weiter gespeichert: Sie selbst haben dies am" in page
    assert "network_counsellor hat dies" not in page
    assert ReplyTemplate.objects.get().body == "Typed once."

    response = tab.post(url, data)
    page = assert_refused(response, "Typed once.", "")
    assert "Nothing more was saved: you saved this yourself on" in page


def test_a_public_page_text_saved_in_another_tab_of_ones_own_names_you(sign_in, network_admin):
    url = "/staff/content/home/en/"
    based_on = r'name="based_on" value="(\d+)"'
    tab_a, tab_b = sign_in(network_admin), sign_in(network_admin)
    opened = re.search(based_on, tab_a.get(url).content.decode()).group(1)
    tab_b.get(url)
    assert (
        tab_b.post(url, {"title": "T", "body": "B", "save": "1", "based_on": opened}).status_code
        == 302
    )
    response = tab_a.post(url, {"title": "T", "body": "A's text", "save": "1", "based_on": opened})
    page = assert_refused(response, "A&#x27;s text", "")
    assert "you saved version 1 yourself on" in page


def test_an_admin_change_saved_twice_names_you(sign_in, network_admin, centre_a):
    url = f"/staff/admin/directory/centre/{centre_a.pk}/change/"
    tab = sign_in(network_admin)
    data = _admin_data(tab.get(url))
    data["opening_hours"] = "Mo 9-12"
    assert tab.post(url, data).status_code == 302
    page = assert_refused(tab.post(url, data), "Mo 9-12", "")
    assert "Nothing more was saved: you saved this yourself on" in page


# --- A save that does not say which version it was opened from -------------
#
# Every page sends ``edited_from``; a request without it (a page from before an
# update, one made by hand) cannot show that nobody saved meanwhile. It used to
# be saved unchecked, silently replacing any newer save; now it is refused like
# a stale tab: 409, everything typed kept, and saving again from that answer
# (which counts as opened from the version saved last) goes through.

_NOT_SENT = {
    "en": "this page did not say which version it was opened from",
    "de": "Diese Seite hat nicht mitgeteilt, von welcher Fassung",
}


def _assert_not_sent(response, typed: str, language: str = "en") -> str:
    assert response.status_code == 409
    page = response.content.decode()
    assert typed in page
    assert _NOT_SENT[language] in html.unescape(page)
    assert_the_refusal_is_clear(page)
    return page


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_reply_template_saved_without_its_version_is_refused_and_kept(
    sign_in, network_counsellor, reply_template, language
):
    url = f"/staff/inbox/templates/{reply_template.pk}/"
    client = sign_in(network_counsellor)
    data = _template_data("", body="Typed by hand.")
    del data["edited_from"]
    page = _assert_not_sent(
        client.post(url, data, HTTP_ACCEPT_LANGUAGE=language), "Typed by hand.", language
    )
    assert ReplyTemplate.objects.get().body != "Typed by hand."
    assert client.post(url, {**data, "edited_from": edited_from(page)}).status_code == 302
    assert ReplyTemplate.objects.get().body == "Typed by hand."


def test_variant_settings_saved_without_their_version_are_refused(sign_in, network_admin):
    url = f"/staff/reach/variants/{DETERRENT_ID}/"
    client = sign_in(network_admin)
    data = {"kind": "deterrent", "weight": "7", "active": "on"}
    page = _assert_not_sent(client.post(url, data), 'value="7"')
    assert Variant.objects.get(pk=DETERRENT_ID).weight != 7
    assert client.post(url, {**data, "edited_from": edited_from(page)}).status_code == 302
    assert Variant.objects.get(pk=DETERRENT_ID).weight == 7


def test_a_variant_text_published_without_its_version_is_refused(sign_in, network_admin):
    url = f"/staff/reach/variants/{DETERRENT_ID}/en/"
    client = sign_in(network_admin)
    data = _text("", "Typed by hand")
    del data["edited_from"]
    _assert_not_sent(client.post(url, data), "Typed by hand")
    assert not VariantText.objects.filter(title="Typed by hand").exists()


def test_contact_details_saved_without_their_version_are_refused(sign_in, clinician_a, centre_a):
    case = make_case(centre_a)
    url = f"/staff/cases/clients/{case.client_id}/"
    client = sign_in(clinician_a)
    data = {"name": "Jan", "email": "jan@example.org"}
    page = _assert_not_sent(client.post(url, data), "jan@example.org")
    assert not Client.objects.get(pk=case.client_id).contact_details
    assert client.post(url, {**data, "edited_from": edited_from(page)}).status_code == 302


def test_an_admin_change_without_its_version_is_refused(sign_in, network_admin, clinician_a):
    url = f"/staff/admin/accounts/user/{clinician_a.pk}/change/"
    client = sign_in(network_admin)
    data = _admin_data(client.get(url))
    del data["edited_from"]
    data["first_name"] = "Kim by hand"
    _assert_not_sent(client.post(url, data), "Kim by hand")
    clinician_a.refresh_from_db()
    assert clinician_a.first_name == ""


def test_a_contact_summary_without_its_version_is_refused(sign_in, counsellor_a, centre_a):
    conversation = make_conversation(centre_a)
    client = sign_in(counsellor_a)
    url = reverse("inbox:summary", args=[conversation.pk])
    response = client.post(url, {"writer": "self", "concern": "viewing_images"})
    assert response.status_code == 409
    assert _NOT_SENT["en"] in html.unescape(response.content.decode())
    assert not ContactSummary.objects.filter(conversation=conversation).exists()


def test_a_caller_that_shows_no_page_is_not_checked(centre_a, manager_a):
    from forestall.lib.stale_edits import ChangedMeanwhile, check_locked, check_unchanged

    with transaction.atomic():
        check_unchanged(Centre, centre_a.pk, None)
        check_locked(None, None)
        with pytest.raises(ChangedMeanwhile) as refused:
            check_unchanged(Centre, centre_a.pk, "")
    assert refused.value.not_sent
    assert refused.value.version == centre_a.updated_at.isoformat()
