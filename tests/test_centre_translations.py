"""Centre names, descriptions and region names in the page's language.

German pages showed "Prevention Centre Berlin" in "Northern Germany". A centre
and a region now keep their German text beside the English one; German pages
use it, and fall back to English where a centre has not written it yet.
"""

from __future__ import annotations

import pytest
from django.test import Client

from forestall.demo import DemoNetwork
from forestall.directory import demo
from forestall.directory.models import Centre, Region
from forestall.inbox import actions
from tests import factories
from tests.stale import opened

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre():
    region = Region.objects.create(slug="north", name="Northern Germany", name_de="Norddeutschland")
    made = factories.answering_messages(factories.make_centre("Prevention Centre Kiel", region))
    made.name_de = "Präventionszentrum Kiel"
    made.description = "Therapy in small groups and one-to-one."
    made.description_de = "Therapie in kleinen Gruppen und einzeln."
    made.save()
    return made


def test_the_german_finder_shows_german_names_descriptions_and_regions(client, centre):
    page = client.get("/de/centres/").content.decode()
    for german in ("Präventionszentrum Kiel", "Therapie in kleinen Gruppen", "Norddeutschland"):
        assert german in page
    for english in ("Prevention Centre Kiel", "Therapy in small groups", "Northern Germany"):
        assert english not in page


def test_the_english_finder_keeps_the_english_text(client, centre):
    page = client.get("/centres/").content.decode()
    assert "Prevention Centre Kiel" in page and "Northern Germany" in page
    assert "Präventionszentrum" not in page and "Norddeutschland" not in page


def test_the_german_centre_page_is_german(client, centre):
    page = client.get(f"/de/centres/{centre.slug}/").content.decode()
    assert "<title>Präventionszentrum Kiel" in page or "Präventionszentrum Kiel</title>" in page
    assert '<h1 dir="auto">Präventionszentrum Kiel</h1>' in page
    assert "Therapie in kleinen Gruppen und einzeln." in page
    assert "Norddeutschland" in page


def test_a_centre_without_german_text_falls_back_to_english(client):
    region = Region.objects.create(slug="south", name="Southern Germany")
    factories.make_centre("Prevention Centre Ulm", region)
    page = client.get("/de/centres/").content.decode()
    assert "Prevention Centre Ulm" in page and "Southern Germany" in page


def test_the_mailbox_offers_centres_by_their_german_name(centre):
    _mailbox, codename = actions.start_mailbox("de", "self")
    client = Client()
    client.post("/de/mailbox/", {"codename": codename})
    page = client.get("/de/mailbox/").content.decode()
    assert f'<option value="{centre.pk}">Präventionszentrum Kiel</option>' in page


def test_an_admin_writes_the_german_name_and_description(sign_in, network_admin, centre):
    staff = sign_in(network_admin)
    form = staff.get(f"/staff/centres/{centre.id}/edit/").content.decode()
    assert 'name="name_de"' in form and 'name="description_de"' in form
    data = {
        "name": centre.name,
        "name_de": "Beratungsstelle Kiel",
        "slug": centre.slug,
        "region": str(centre.region_id),
        "is_active": "on",
        "description": "Therapy in small groups and one-to-one.",
        "description_de": "Gruppen- und Einzeltherapie.",
        "accepts_new_clients": "on",
        "typical_wait_weeks": "5",
        "address": "",
        "latitude": "",
        "longitude": "",
        "opening_hours": "",
        "public_phone": "",
        "public_email": "",
        "public_website": "",
        "languages": ["de"],
        "services": ["own_thoughts"],
        "channels": ["in_person"],
    }
    url = f"/staff/centres/{centre.id}/edit/"
    response = staff.post(url, {**data, **opened(staff, url)})
    assert response.status_code == 302, response.content.decode()[:2000]
    centre.refresh_from_db()
    assert (centre.name_de, centre.description_de) == (
        "Beratungsstelle Kiel",
        "Gruppen- und Einzeltherapie.",
    )
    assert "Beratungsstelle Kiel" in Client().get("/de/centres/").content.decode()


def test_a_manager_writes_the_german_description_of_their_centre(sign_in, manager_a, centre_a):
    staff = sign_in(manager_a)
    form = staff.get(f"/staff/centres/{centre_a.id}/edit/").content.decode()
    assert 'name="description_de"' in form and 'lang="de"' in form


def test_the_demo_centres_and_regions_have_german_text():
    demo.seed(DemoNetwork())
    for centre in Centre.objects.all():
        assert centre.name_de and centre.description_de, centre.slug
    assert set(Region.objects.values_list("name_de", flat=True)) == {
        "Berlin",
        "Norddeutschland",
        "Bayern",
    }
    page = Client().get("/de/centres/").content.decode()
    assert "Präventionszentrum Berlin" in page and "Prevention Centre Berlin" not in page
