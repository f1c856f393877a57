# ruff: noqa: E402 - Django is set up before the models are imported
"""Run in its own process against a database *file*: delete everything, then read the files.

Prints one JSON object: which secret byte strings were present in the
database files before the deletion and which remain after it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forestall.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client

call_command("migrate", verbosity=0)

from forestall.cases.models import Client as CaseClient
from forestall.inbox.models import Mailbox
from forestall.instruments import actions as instrument_actions
from forestall.instruments.catalogue import catalogue
from forestall.instruments.models import Administration

database = Path(connection.settings_dict["NAME"])
scrub = sys.argv[1] == "scrub" if len(sys.argv) > 1 else True
if not scrub:
    # The control run: deletion without the scrubbing (proves the test can see bytes).
    from forestall.lib import erasure

    erasure.scrub_after_delete = lambda using="default": None  # type: ignore[assignment]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete=OFF")

browser = Client()
browser.get("/mailbox/start/")
page = browser.post("/mailbox/start/", {"pathway": "self"}, follow=True).content.decode()
codename = page.split('id="codename"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
assert (
    browser.post("/mailbox/start/confirm/", {"codename": codename, "confirmed": "on"}).status_code
    == 302
)
for text in ("first secret message about my worries", "second secret message, longer " * 20):
    assert browser.post("/mailbox/write/", {"body": text}).status_code == 302
mailbox = Mailbox.objects.get()
person = CaseClient.objects.create(mailbox=mailbox)
definition = catalogue().get("phq9")
administration = instrument_actions.send_to_mailbox(
    person, "phq9", occasion="session", by=None, centre=None
)
answers = {item.id: 1 for item in definition.items}
instrument_actions.complete_from_mailbox(administration, answers)

needles: dict[str, bytes] = {"codename_hash": mailbox.codename_hash.encode()}
with connection.cursor() as cursor:
    cursor.execute("SELECT body FROM inbox_message")
    for number, (body,) in enumerate(cursor.fetchall()):
        needles[f"message_{number}"] = bytes(body)[-48:]
    cursor.execute("SELECT answers, flags FROM instruments_administration")
    for answers_blob, flags_blob in cursor.fetchall():
        needles["answers"] = bytes(answers_blob)[-32:]
        needles["flags"] = bytes(flags_blob)[-16:]
assert Administration.objects.filter(via_mailbox=True).count() == 1


def files_text() -> bytes:
    parts = []
    for suffix in ("", "-wal", "-journal"):
        path = Path(str(database) + suffix)
        if path.exists():
            parts.append(path.read_bytes())
    return b"".join(parts)


before = files_text()
present_before = sorted(name for name, value in needles.items() if value in before)
browser.get("/mailbox/delete/")
assert browser.post("/mailbox/delete/").status_code == 200
remaining_rows = {
    "mailboxes": Mailbox.objects.count(),
    "administrations": Administration.objects.count(),
}
connection.close()
after = files_text()
present_after = sorted(name for name, value in needles.items() if value in after)
print(
    json.dumps(
        {
            "present_before": present_before,
            "present_after": present_after,
            "needles": sorted(needles),
            "rows": remaining_rows,
            "wal_bytes": Path(str(database) + "-wal").stat().st_size
            if Path(str(database) + "-wal").exists()
            else 0,
        }
    )
)
