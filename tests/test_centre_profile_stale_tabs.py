"""A centre profile saved from a stale page does not silently undo a newer save.

An outsider found it as a network admin: a centre manager and a network
admin (or one person with a forgotten second tab) open the same profile; the
first saves new opening hours, the second saves their page, and every field
of it, the old opening hours too, replaced the first save without a word.
Now the second save is refused with a 409 that keeps what was typed and says
why; saving again from that answer is deliberate and goes through.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from forestall.audit.models import AuditEntry
from forestall.directory.models import Centre
from tests.test_directory import profile_data
from tests.test_stale_edits import assert_the_refusal_is_clear

pytestmark = pytest.mark.django_db


def _edited_from(page: str) -> str:
    return re.search(r'name="edited_from" value="([^"]+)"', page).group(1)


def test_a_save_from_a_stale_page_is_refused_with_the_typed_text_kept(
    sign_in, manager_a, network_admin, centre_a
):
    edit = f"/staff/centres/{centre_a.id}/edit/"
    manager, admin = sign_in(manager_a), sign_in(network_admin)
    manager_opened = _edited_from(manager.get(edit).content.decode())
    admin_page = admin.get(edit).content.decode()
    assert 'type="hidden" name="edited_from"' in admin_page
    admin_data = profile_data(
        name="Centre A", slug=centre_a.slug, region=str(centre_a.region_id), is_active="on"
    )
    admin_data.update(opening_hours="Mo-Fr 9-17", edited_from=_edited_from(admin_page))
    assert admin.post(edit, admin_data).status_code == 302

    stale = profile_data(opening_hours="Di 10-12 Uhr", edited_from=manager_opened)
    with translation.override("de"):
        response = manager.post(edit, stale, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Nichts wurde gespeichert" in page
    assert "network_admin" in page  # who saved first (the time too, lib.stale_edits)
    assert "Di 10-12 Uhr" in page
    assert_the_refusal_is_clear(page)
    assert Centre.objects.get(pk=centre_a.pk).opening_hours == "Mo-Fr 9-17"
    assert AuditEntry.objects.filter(action="centre.update").count() == 1

    again = {**stale, "edited_from": _edited_from(page)}
    assert manager.post(edit, again).status_code == 302
    assert Centre.objects.get(pk=centre_a.pk).opening_hours == "Di 10-12 Uhr"


def test_a_save_from_a_fresh_page_goes_through_each_time(sign_in, manager_a, centre_a):
    edit = f"/staff/centres/{centre_a.id}/edit/"
    manager = sign_in(manager_a)
    for hours in ("Mo 9-12", "Di 9-12"):
        opened = _edited_from(manager.get(edit).content.decode())
        data = profile_data(opening_hours=hours, edited_from=opened)
        assert manager.post(edit, data).status_code == 302
    assert Centre.objects.get(pk=centre_a.pk).opening_hours == "Di 9-12"
