"""The choice "no particular centre" has one name wherever it is named.

An outsider saw "Geschrieben an ein beliebiges Zentrum / das Netzwerk" on a
conversation while the select where they had chosen said "Jedes Zentrum
(Netzwerk)"; the staff side said "Das Netzwerk", "Das Netzwerk (beliebige
Anlaufstelle)" and "Das Netzwerk (keine Anlaufstelle)" for the same choice.
Now every place says what the select says: "Any centre / the network",
"Jedes Zentrum (Netzwerk)".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from forestall.inbox.models import Mailbox
from tests.factories_inbox import make_conversation
from tests.test_mailbox import open_new_mailbox

LABEL = {"en": "Any centre / the network", "de": "Jedes Zentrum (Netzwerk)"}
ROOT = Path(__file__).resolve().parent.parent / "forestall"
# The earlier names of the choice, in the source and in the German catalogues.
OLD_NAMES = re.compile(
    r"beliebige[sn]? (Zentrum|Anlaufstelle)|The network \(|any centre / the network\"|"
    r"Das Netzwerk \(|\"The network\"",
)


def _option_label(page: str, value: str) -> str:
    return re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', page).group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_conversation_names_the_choice_as_the_select_did(client, language):
    prefix = "" if language == "en" else "/de"
    open_new_mailbox(client)
    Mailbox.objects.update(language=language)
    page = client.get(f"{prefix}/mailbox/").content.decode()
    assert _option_label(page, "") == LABEL[language]
    client.post(f"{prefix}/mailbox/write/", {"body": "My first words.", "centre": ""})
    page = client.get(f"{prefix}/mailbox/").content.decode()
    addressed = re.search(r'<p class="addressed">([^<]*)</p>', page).group(1)
    assert addressed.endswith(": " + LABEL[language])


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_staff_side_names_the_choice_as_the_help_seeker_saw_it(
    network_counsellor, sign_in, language
):
    conversation = make_conversation(None)
    client = sign_in(network_counsellor)
    header = {"HTTP_ACCEPT_LANGUAGE": language}
    queue = client.get("/staff/inbox/", **header).content.decode()
    assert _option_label(queue, "network") == LABEL[language]
    assert f"<td>{LABEL[language]}</td>" in queue
    detail = client.get(f"/staff/inbox/{conversation.pk}/", **header).content.decode()
    assert f"<dd>{LABEL[language]}</dd>" in detail
    contact = client.get("/staff/inbox/contacts/new/", **header).content.decode()
    assert _option_label(contact, "network") == LABEL[language]


def test_no_template_code_or_catalogue_keeps_an_older_name_of_the_choice():
    found = []
    for path in ROOT.rglob("*"):
        if path.suffix in {".py", ".html", ".po"} and "migrations" not in path.parts:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if OLD_NAMES.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_german_catalogues_agree_on_the_name():
    with translation.override("de"):
        from django.utils.translation import gettext

        assert gettext("Any centre / the network") == LABEL["de"]
