"""One date and time format per language for the whole project, public and staff."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from forestall.inbox import actions
from forestall.inbox.models import Message

TEMPLATES = sorted(Path("forestall").rglob("templates/**/*.html"))
NAMED = re.compile(r"^[A-Z_]+_FORMAT$")


def test_the_project_formats_module_is_used_for_both_languages():
    day = datetime.date(2026, 11, 30)
    with translation.override("de"):
        assert formats.date_format(day) == "30. November 2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "30.11.2026"
    with translation.override("en"):
        assert formats.date_format(day) == "30 November 2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "30 Nov 2026"


@pytest.mark.parametrize("path", TEMPLATES, ids=str)
def test_no_template_spells_out_its_own_date_format(path):
    text = path.read_text(encoding="utf-8")
    for match in re.finditer(r"\|(date|time):[\"']([^\"']*)[\"']", text):
        fmt = match.group(2)
        # Machine-readable forms are not shown to people: "c" for <time datetime>,
        # "Y-m-d" in query strings; "l" is a weekday name in the page's language.
        assert NAMED.match(fmt) or fmt in ("c", "Y-m-d", "l"), f"{path}: |{match.group(1)}:{fmt!r}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "prefix", "shown"),
    [("de", "/de", "30. November 2026, 14:05"), ("en", "", "30 November 2026, 14:05")],
)
def test_the_mailbox_writes_dates_in_the_persons_language(language, prefix, shown):
    mailbox, codename = actions.start_mailbox(language, "self")
    message = actions.post_seeker_message(mailbox, "Guten Tag", None)
    when = timezone.make_aware(datetime.datetime(2026, 11, 30, 14, 5))
    Message.objects.filter(pk=message.pk).update(created_at=when)
    browser = Client()
    browser.post(f"{prefix}/mailbox/", {"codename": codename})
    page = browser.get(f"{prefix}/mailbox/").content.decode()
    assert shown in page
