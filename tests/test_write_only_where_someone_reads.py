"""A message is only ever addressed to a centre that answers messages.

A centre's counsellors are the only people who read a conversation
addressed to it. The mailbox offered every active centre, and every centre
page said "Write to this centre", also for centres whose directory entry
offers no secure messaging (in the demo: Kiel and Regensburg, with no
counsellor at all): a worried mother who wrote there was told "a counsellor
usually replies within about 3 days" and nobody would ever read it.
"""

from __future__ import annotations

import pytest

from forestall.directory.models import CentreChannel, Channel
from forestall.inbox.models import Conversation
from tests import factories
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def answering():
    centre = factories.make_centre("Writing Centre")
    CentreChannel.objects.create(centre=centre, channel=Channel.MESSAGING)
    return centre


@pytest.fixture
def phone_only():
    centre = factories.make_centre("Phone Centre", opening_hours="Mon 9:00-12:00")
    CentreChannel.objects.create(centre=centre, channel=Channel.PHONE)
    return centre


def test_the_mailbox_offers_only_centres_that_answer_messages(client, answering, phone_only):
    open_new_mailbox(client)
    page = client.get("/mailbox/").content.decode()
    select = page.split('name="centre"')[1].split("</select>")[0]
    assert "Writing Centre" in select
    assert "Phone Centre" not in select


def test_a_message_to_a_centre_that_does_not_answer_is_refused_and_kept(client, phone_only):
    open_new_mailbox(client)
    text = "My partner looks at images of children."
    response = client.post("/mailbox/write/", {"body": text, "centre": str(phone_only.pk)})
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Conversation.objects.exists()


def test_the_page_of_a_centre_that_does_not_answer_leads_to_the_network(client, phone_only):
    page = client.get(f"/centres/{phone_only.slug}/").content.decode()
    assert f"?centre={phone_only.slug}" not in page
    assert "Write to this centre" not in page
    assert "Write to the network's counsellors" in page
    assert 'href="/mailbox/start/"' in page
    german = client.get(f"/de/centres/{phone_only.slug}/").content.decode()
    assert "An die Beratung des Netzwerks schreiben" in german


def test_the_page_of_a_centre_that_answers_still_offers_it(client, answering):
    page = client.get(f"/centres/{answering.slug}/").content.decode()
    assert f'href="/mailbox/start/?centre={answering.slug}"' in page


def test_a_link_naming_a_centre_that_does_not_answer_chooses_nothing(client, phone_only):
    open_new_mailbox(client)
    page = client.get(f"/mailbox/?centre={phone_only.slug}").content.decode()
    assert "Phone Centre" not in page.split('name="centre"')[1].split("</select>")[0]
