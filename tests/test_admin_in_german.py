"""The staff admin names its sections and models in the staff member's language.

A German admin page read "centre ändern" under "Directory > Centres": the
models and the app had no translatable names, so Django made English ones
from the class names.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation
from django.utils.functional import Promise

from forestall.accounts.admin_site import StaffAdminSite


def _names():
    assert isinstance(admin.site, StaffAdminSite)
    for model in admin.site._registry:
        meta = model._meta
        app = apps.get_app_config(meta.app_label)
        yield f"{meta.label}.verbose_name", meta.verbose_name
        yield f"{meta.label}.verbose_name_plural", meta.verbose_name_plural
        yield f"{meta.app_label} app", app.verbose_name


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
