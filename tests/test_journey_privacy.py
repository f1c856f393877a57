"""After a whole journey, nothing the person wrote nor their codename is stored or logged.

The same journey as ``tests/browser/test_journey.py`` through Django's test
client (fast, and run on SQLite and PostgreSQL alike): start a mailbox, write,
a counsellor claims and replies, the person reads it and deletes everything.
The test client sends ``REMOTE_ADDR=127.0.0.1`` with every request.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from forestall.inbox.models import Conversation
from tests.journey_privacy import assert_nowhere, captured_logs, raw_database_text

MESSAGE = "Privacytoken-5T1 I looked at things I should never have looked at."
REPLY = "Replytoken-3H8 You have taken an important first step."
NOTE = "Notetoken-8W6 follow up next week"


def _codename(page: str) -> str:
    match = re.search(r'id="codename"[^>]*>([^<]+)<', page)
    assert match, "the codename is shown in #codename"
    return match.group(1).strip()


@pytest.mark.django_db
def test_the_journey_leaves_no_message_reply_codename_or_address_behind(
    client, network_counsellor, sign_in, capfd
):
    with captured_logs() as log_lines:
        page = client.post("/mailbox/start/", {"pathway": "self"}, follow=True).content.decode()
        codename = _codename(page)
        response = client.post("/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"})
        assert response.status_code == 302
        response = client.post("/mailbox/write/", {"body": MESSAGE, "centre": ""})
        assert response.status_code == 302

        conversation = Conversation.objects.get()
        staff = sign_in(network_counsellor)
        detail = reverse("inbox:conversation", args=[conversation.pk])
        assert MESSAGE in staff.get(detail).content.decode()
        staff.post(reverse("inbox:claim", args=[conversation.pk]))
        staff.post(reverse("inbox:reply", args=[conversation.pk]), {"body": REPLY})
        staff.post(reverse("inbox:add_note", args=[conversation.pk]), {"note-body": NOTE})

        assert REPLY in client.get("/mailbox/").content.decode()
        response = client.post("/mailbox/delete/")
        assert response.status_code == 200
        response = client.post("/mailbox/", {"codename": codename})
        assert 400 <= response.status_code < 500

    output = capfd.readouterr()
    haystacks = {
        "database": raw_database_text(),
        "log records": "\n".join(log_lines),
        "output": output.out + output.err,
    }
    assert "network_counsellor" in haystacks["database"]
    assert_nowhere(
        haystacks, {"message": MESSAGE, "reply": REPLY, "note": NOTE, "codename": codename}
    )
    assert_nowhere(haystacks, {"address": "127.0.0.1"})


@pytest.mark.django_db
def test_the_dump_would_find_plaintext_if_it_were_stored():
    from forestall.directory.models import Region

    Region.objects.create(slug="canary", name="Canarytoken-2P9")
    assert "Canarytoken-2P9" in raw_database_text()
