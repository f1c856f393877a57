"""The staff admin names its sections and models in the staff member's language.

A German admin page read "centre ändern" under "Directory > Centres": the
models and the app had no translatable names, so Django made English ones
from the class names.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation
from django.utils.functional import Promise

from forestall.accounts.admin_site import StaffAdminSite
from forestall.accounts.models import Role
from forestall.directory.models import CentreLanguage
from tests import factories


def _names():
    assert isinstance(admin.site, StaffAdminSite)
    for model in admin.site._registry:
        meta = model._meta
        app = apps.get_app_config(meta.app_label)
        yield f"{meta.label}.verbose_name", meta.verbose_name
        yield f"{meta.label}.verbose_name_plural", meta.verbose_name_plural
        yield f"{meta.app_label} app", app.verbose_name
        inlines = [inline.model for inline in admin.site._registry[model].inlines]
        for shown in [model, *inlines]:
            for field in shown._meta.get_fields():
                if getattr(field, "editable", False) and not field.auto_created:
                    yield f"{shown._meta.label}.{field.name}", field.verbose_name


@pytest.mark.parametrize(("where", "name"), list(_names()), ids=lambda value: str(value))
def test_every_name_the_admin_shows_is_translated_into_german(where, name):
    assert isinstance(name, Promise), f"{where} is not translatable"
    with translation.override("en"):
        english = str(name)
    with translation.override("de"):
        german = str(name)
    assert german != english, f"{where}: no German for {english!r}"


def test_the_german_centre_admin_page_says_zentrum(sign_in, network_admin, centre_a):
    page = (
        sign_in(network_admin)
        .get(f"/staff/admin/directory/centre/{centre_a.pk}/change/", HTTP_ACCEPT_LANGUAGE="de")
        .content.decode()
    )
    assert "Zentrum ändern" in page
    assert "centre ändern" not in page
    assert "Zentrenverzeichnis" in page


def _unlabelled_fields(page: str) -> list[str]:
    """Ids of selects and inputs a person fills in that no <label for=…> names."""
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', page))
    fields = re.findall(r'<(?:select|textarea)[^>]*\bid="([^"]+)"', page) + [
        field_id
        for tag, field_id in re.findall(r'(<input[^>]*\bid="([^"]+)"[^>]*>)', page)
        if 'type="hidden"' not in tag and "aria-label" not in tag
    ]
    return [
        field_id for field_id in fields if field_id not in labelled and "__prefix__" not in field_id
    ]


def test_every_field_of_an_admin_change_page_has_a_label(sign_in, network_admin, centre_a):
    """The table layout of the roles and a centre's languages and services gave their
    selects and "delete" boxes no label (axe: critical); each row now names its fields."""
    staff = factories.make_user(Role.CLINICIAN, centre_a, username="labelled.clinician")
    CentreLanguage.objects.get_or_create(centre=centre_a, language="de")
    browser = sign_in(network_admin)
    for url in (
        f"/staff/admin/accounts/user/{staff.pk}/change/",
        "/staff/admin/accounts/user/add/",
        f"/staff/admin/directory/centre/{centre_a.pk}/change/",
        "/staff/admin/directory/centre/add/",
    ):
        page = browser.get(url).content.decode()
        assert _unlabelled_fields(page) == [], url
