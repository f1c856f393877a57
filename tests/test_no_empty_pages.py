"""No page a person can reach is empty or cuts what they typed.

Two classes of defect the outside tests found one instance of each:
- a plain visit to a POST-only address answered an empty 405 (staff sign-out,
  the inbox's reply, claim, close, …): every such answer must be a page that
  says what happened and links on, on the public and the staff side alike;
- a textarea's ``maxlength`` let the browser silently cut a long paste (the
  staff reply): no textarea may carry one; forms check the length instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.forms import CharField, Form, Textarea
from django.test import Client

from forestall.accounts.models import Role
from tests import factories
from tests.test_bad_input_never_500 import _public_paths, _staff_paths

ROOT = Path(__file__).resolve().parents[1]


def _assert_a_page_with_a_way_on(response, path: str) -> None:
    assert response.status_code == 405, path
    assert "POST" in response["Allow"], path
    page = response.content.decode()
    assert "<h1>" in page and "<a " in page, (path, page[:200])


@pytest.mark.parametrize("path", _staff_paths())
def test_a_plain_visit_to_a_staff_post_only_address_gets_a_page(path, db):
    counsellor = factories.make_user(Role.COUNSELLOR, None, username="counsellor_405")
    response = factories.signed_in_client(counsellor).get(path)
    if response.status_code == 405:
        _assert_a_page_with_a_way_on(response, path)


@pytest.mark.parametrize("path", _public_paths())
def test_a_plain_visit_to_a_public_post_only_address_gets_a_page(path, db):
    for prefix in ("", "/de"):
        response = Client().get(prefix + path)
        if response.status_code == 405:
            _assert_a_page_with_a_way_on(response, prefix + path)


def test_the_staff_sign_out_address_explains_itself_in_german(db):
    counsellor = factories.make_user(Role.COUNSELLOR, None, username="counsellor_de")
    client = factories.signed_in_client(counsellor)
    response = client.get("/staff/logout/", HTTP_ACCEPT_LANGUAGE="de")
    _assert_a_page_with_a_way_on(response, "/staff/logout/")


def test_no_textarea_is_rendered_with_a_maxlength():
    class Limited(Form):
        body = CharField(max_length=10, widget=Textarea)

    html = str(Limited()["body"])
    assert "<textarea" in html
    assert "maxlength" not in html
    assert 'dir="auto"' in html


def test_no_template_writes_a_textarea_with_a_maxlength():
    offending = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "forestall").rglob("*.html")
        if re.search(r"<textarea[^>]*maxlength=", path.read_text())
    ]
    assert offending == []
