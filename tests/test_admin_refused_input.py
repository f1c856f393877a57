"""Every admin add and change form refused as posted answers 400, with what was typed.

The rule for every forestall form: bad input gets a clear translated message
and a 4xx, and nothing typed is lost. Django's admin showed its refusals with
200, like the empty form. ``StaffAdminSite.register`` now gives every admin
class the 400 (``AnswersRefusedInputWith400Mixin``); a stale save's 409 still
wins (``tests/test_stale_edits.py``).
"""

from __future__ import annotations

import html

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from forestall.accounts.admin_site import StaffAdminSite

TYPED = "Typed by hand 7"


def _registered():
    assert isinstance(admin.site, StaffAdminSite)
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def _refused_post(model, user) -> dict[str, str]:
    """A text field typed into, and a required field left empty: the add form refuses it."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    form = model_admin.get_form(request, None, change=False)
    fields = form.base_fields
    typed = next(
        name
        for name, field in fields.items()
        if isinstance(field, forms.CharField)
        and isinstance(field.widget, forms.TextInput | forms.Textarea)
    )
    empty = [name for name, field in fields.items() if field.required and name != typed]
    assert empty, f"{model._meta.label}: no required field to leave empty"
    data = {typed: TYPED}
    # Inlines as the page sends them, with no rows: only the form is refused.
    for inline in model_admin.get_inline_instances(request):
        prefix = inline.get_formset(request).get_default_prefix()
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data


@pytest.mark.parametrize("model", _registered(), ids=lambda model: model._meta.label)
def test_a_refused_add_form_answers_400_with_what_was_typed(sign_in, network_admin, model):
    meta = model._meta
    url = f"/staff/admin/{meta.app_label}/{meta.model_name}/add/"
    before = model._default_manager.count()
    response = sign_in(network_admin).post(url, _refused_post(model, network_admin))
    assert response.status_code == 400, (url, response.status_code)
    page = html.unescape(response.content.decode())
    assert 'class="errornote"' in page
    assert TYPED in page
    assert model._default_manager.count() == before


def test_a_refused_add_form_says_so_in_german(sign_in, network_admin):
    from forestall.directory.models import Region

    response = sign_in(network_admin).post(
        "/staff/admin/directory/region/add/",
        _refused_post(Region, network_admin),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert "Bitte die unten aufgeführten Fehler korrigieren." in html.unescape(
        response.content.decode()
    )


def test_a_refused_change_form_answers_400_and_keeps_the_change(sign_in, network_admin, centre_a):
    from tests.stale import opened

    client = sign_in(network_admin)
    url = f"/staff/admin/directory/centre/{centre_a.pk}/change/"
    data = opened(client, url) | {
        "name": TYPED,
        "slug": "",  # required
        **{
            f"{prefix}-{suffix}": value
            for prefix in ("offered_languages", "offered_services", "offered_channels")
            for suffix, value in (
                ("TOTAL_FORMS", "0"),
                ("INITIAL_FORMS", "0"),
                ("MIN_NUM_FORMS", "0"),
                ("MAX_NUM_FORMS", "1000"),
            )
        },
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert TYPED in html.unescape(response.content.decode())
    centre_a.refresh_from_db()
    assert centre_a.name != TYPED


def test_a_refused_new_password_answers_400(sign_in, network_admin, clinician_a):
    response = sign_in(network_admin).post(
        f"/staff/admin/accounts/user/{clinician_a.pk}/password/",
        {
            "password1": "a long enough passphrase 1",
            "password2": "another one",
            "usable_password": "true",
        },
    )
    assert response.status_code == 400
    assert 'class="errornote"' in response.content.decode()
