"""Pages that invite people to the self-check say as many questions as it asks.

The next-steps list promised "four questions" after the self-check grew to
five: the number now comes from the published definition.
"""

from __future__ import annotations

import pytest

from forestall.instruments.catalogue import catalogue
from forestall.public.selfcheck import SELF_CHECK_ID

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address", ["/", "/help/self/", "/confidentiality/", "/r/any-partner/unknown/"]
)
def test_the_invitation_names_the_number_of_questions_asked(client, address):
    asked = len(catalogue().get(SELF_CHECK_ID).items)
    page = client.get(address).content.decode()
    assert f"{asked} questions, nothing is stored." in page
    assert "four questions" not in page


def test_the_german_invitation_names_it_too(client):
    asked = len(catalogue().get(SELF_CHECK_ID).items)
    assert f"{asked} Fragen, nichts wird gespeichert." in client.get("/de/").content.decode()
