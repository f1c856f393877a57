"""The centre directory: the public finder, centre pages and staff editing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from forestall.accounts.models import Role
from forestall.directory.models import Centre, Channel, Language, Region, Service
from tests import factories
from tests.stale import opened

FINDER_JS = (
    Path(__file__).resolve().parent.parent / "forestall/directory/static/directory/finder.js"
)


@pytest.fixture
def offers(centre_a, centre_b, centre_c):
    """A: German/Turkish, own thoughts, in person only (north).
    B: German/English, images, phone (north). C: Polish, family, video (south)."""
    centre_a.set_offers(
        languages=[Language.GERMAN, Language.TURKISH],
        services=[Service.OWN_THOUGHTS],
        channels=[Channel.IN_PERSON],
    )
    centre_b.set_offers(
        languages=[Language.GERMAN, Language.ENGLISH],
        services=[Service.IMAGES],
        channels=[Channel.PHONE, Channel.IN_PERSON],
    )
    centre_c.set_offers(
        languages=[Language.POLISH],
        services=[Service.FAMILY_FRIENDS],
        channels=[Channel.VIDEO],
    )
    return centre_a, centre_b, centre_c


def names(response) -> list[str]:
    return [centre.name for centre in response.context["centres"]]


# --- the public finder ------------------------------------------------------


def test_the_finder_lists_every_active_centre(client, offers):
    response = client.get("/centres/")
    assert response.status_code == 200
    assert names(response) == ["Centre A", "Centre B", "Centre C"]
    assert b"3 centres match." in response.content


def test_the_finder_hides_inactive_centres(client, offers):
    Centre.objects.filter(name="Centre B").update(is_active=False)
    assert names(client.get("/centres/")) == ["Centre A", "Centre C"]


def test_the_finder_filters_by_language(client, offers):
    assert names(client.get("/centres/?language=de")) == ["Centre A", "Centre B"]
    assert names(client.get("/centres/?language=pl")) == ["Centre C"]


def test_the_finder_filters_by_service(client, offers):
    assert names(client.get("/centres/?service=images")) == ["Centre B"]


def test_the_finder_filters_by_region(client, offers, south):
    assert names(client.get(f"/centres/?region={south.slug}")) == ["Centre C"]


def test_the_remote_filter_keeps_centres_with_phone_video_or_messaging(client, offers):
    assert names(client.get("/centres/?remote=1")) == ["Centre B", "Centre C"]


def test_filters_combine(client, offers, north):
    response = client.get(f"/centres/?language=de&region={north.slug}&remote=1")
    assert names(response) == ["Centre B"]
    assert b"1 centre matches." in response.content


def test_empty_filters_do_not_filter(client, offers):
    response = client.get("/centres/?language=&service=&region=&remote=")
    assert response.status_code == 200
    assert len(names(response)) == 3


def test_a_centre_offering_several_remote_channels_is_listed_once(client, offers):
    offers[0].set_offers(channels=[Channel.PHONE, Channel.VIDEO, Channel.MESSAGING])
    assert names(client.get("/centres/?remote=1")) == ["Centre A", "Centre B", "Centre C"]


def test_no_match_says_what_the_person_can_do(client, offers):
    response = client.get("/centres/?language=pl&service=images")
    assert response.status_code == 200
    assert names(response) == []
    page = response.content.decode()
    assert 'id="no-results"' in page
    assert "0 centres match." in page
    assert 'href="/centres/"' in page  # show all centres
    assert 'href="/mailbox/start/"' in page  # write anonymously
    assert "remote option" in page


def test_the_finder_keeps_the_chosen_filters_in_the_form(client, offers):
    page = client.get("/centres/?language=pl&remote=1").content.decode()
    assert '<option value="pl" selected>' in page
    assert 'name="remote" value="1" id="id_remote" checked' in page


@pytest.mark.parametrize(
    "query",
    ["language=klingon", "service=everything", "region=atlantis", "remote=maybe"],
)
def test_an_unknown_filter_value_gets_a_clear_message_and_a_400(client, offers, query):
    response = client.get(f"/centres/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="filter-errors"' in page
    assert "The results below ignore those filters." in page
    # The other filters still work; the bad one is ignored.
    assert len(names(response)) == 3


def test_an_unknown_value_does_not_stop_the_other_filters(client, offers):
    response = client.get("/centres/?language=pl&service=nonsense")
    assert response.status_code == 400
    assert names(response) == ["Centre C"]


def test_the_message_for_an_unknown_value_is_german_on_german_pages(client, offers):
    response = client.get("/de/centres/?language=klingon")
    assert response.status_code == 400
    assert "Diese Sprache kennen wir nicht" in response.content.decode()


def test_repeated_and_odd_parameters_never_cause_an_error(client, offers):
    for query in [
        "language=de&language=pl",
        "region=%00",
        "remote=1&remote=0",
        "service=" + "x" * 5000,
        "language[]=de",
    ]:
        assert client.get(f"/centres/?{query}").status_code in (200, 400)


def test_the_finder_shows_new_clients_and_typical_wait(client, offers):
    Centre.objects.filter(name="Centre A").update(accepts_new_clients=False, typical_wait_weeks=12)
    Centre.objects.filter(name="Centre B").update(typical_wait_weeks=1)
    Centre.objects.filter(name="Centre C").update(typical_wait_weeks=None)
    page = client.get("/centres/").content.decode()
    assert "Not taking new clients at the moment" in page
    assert "Accepts new clients" in page
    assert "About 12 weeks" in page
    assert "About 1 week" in page
    assert "Not known" in page


def test_the_finder_shows_languages_services_and_channels_by_name(client, offers):
    page = client.get("/centres/").content.decode()
    assert "German, Turkish" in page
    assert "Has viewed sexual images of children" in page
    assert "In person, Phone" in page


def test_the_finder_needs_the_same_number_of_queries_for_many_centres(
    client, offers, django_assert_max_num_queries
):
    for number in range(10):
        factories.make_centre(f"Extra {number}").set_offers(
            languages=[Language.GERMAN], services=[Service.IMAGES], channels=[Channel.PHONE]
        )
    with django_assert_max_num_queries(6):
        response = client.get("/centres/")
    assert len(names(response)) == 13


def test_centres_with_coordinates_carry_them_for_the_browser_only(client, offers):
    Centre.objects.filter(name="Centre A").update(
        latitude=Decimal("52.52437"), longitude=Decimal("13.37955")
    )
    page = client.get("/centres/").content.decode()
    assert 'data-latitude="52.52437" data-longitude="13.37955"' in page
    assert page.count("data-latitude=") == 1
    assert "directory/finder.js" in page


def test_the_distance_script_never_talks_to_the_network():
    source = FINDER_JS.read_text()
    for network_api in (
        "fetch(",
        "XMLHttpRequest",
        "sendBeacon",
        "WebSocket",
        "EventSource",
        "new Image",
        ".src",
        "location.href",
        "location.assign",
        "submit(",
        "document.cookie",
        "localStorage",
        "sessionStorage",
    ):
        assert network_api not in source, network_api
    assert "getCurrentPosition" in source


def test_the_finder_answers_only_safe_methods(client, offers):
    assert client.post("/centres/", {"language": "de"}).status_code == 405


# --- the centre page ---------------------------------------------------------


def test_a_centre_page_shows_its_public_details(client, centre_a):
    Centre.objects.filter(pk=centre_a.pk).update(
        description="Help in Kiel.",
        address="Hafenstraße 1\n24103 Kiel",
        opening_hours="Mon-Thu 9:00-17:00\nFri 9:00-12:00",
        public_phone="+49 431 000",
        public_email="kiel@example.org",
        public_website="https://example.org/kiel",
        typical_wait_weeks=3,
    )
    centre_a.set_offers(languages=[Language.ARABIC], channels=[Channel.MESSAGING])
    response = client.get(f"/centres/{centre_a.slug}/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Centre A",
        "Help in Kiel.",
        "Hafenstraße 1<br>24103 Kiel",
        "Mon\u2013Thu 9:00\u201317:00<br>Fri 9:00\u201312:00",
        'href="tel:+49431000"',
        'href="mailto:kiel@example.org"',
        "Arabic",
        "Secure messaging",
        "About 3 weeks",
    ):
        assert text in page, text
    # The website is shown as text: no link that would tell it where a visitor came from.
    assert 'href="https://example.org/kiel"' not in page
    assert "https://example.org/kiel" in page


def test_the_finder_links_to_each_centre_page(client, centre_a):
    page = client.get("/centres/").content.decode()
    assert f'href="/centres/{centre_a.slug}/"' in page
    page = client.get("/de/centres/").content.decode()
    assert f'href="/de/centres/{centre_a.slug}/"' in page


def test_an_inactive_or_unknown_centre_page_is_not_found(client, centre_a):
    Centre.objects.filter(pk=centre_a.pk).update(is_active=False)
    assert client.get(f"/centres/{centre_a.slug}/").status_code == 404
    assert client.get("/centres/nowhere/").status_code == 404


# --- who may edit what -----------------------------------------------------------


def test_editable_by_gives_admins_every_centre_and_managers_their_own(
    centre_a, centre_b, manager_a, network_admin, clinician_a, analyst, outsider
):
    assert set(Centre.objects.editable_by(network_admin)) == {centre_a, centre_b}
    assert list(Centre.objects.editable_by(manager_a)) == [centre_a]
    assert list(Centre.objects.editable_by(clinician_a)) == []
    assert list(Centre.objects.editable_by(analyst)) == []
    assert list(Centre.objects.editable_by(outsider)) == []


def test_visible_to_gives_network_roles_every_centre_and_others_their_own(
    centre_a, centre_b, clinician_a, analyst, outsider
):
    assert list(Centre.objects.visible_to(clinician_a)) == [centre_a]
    assert set(Centre.objects.visible_to(analyst)) == {centre_a, centre_b}
    assert list(Centre.objects.visible_to(outsider)) == []


def test_set_offers_replaces_only_what_changed(centre_a):
    centre_a.set_offers(languages=[Language.GERMAN, Language.ENGLISH])
    centre_a.set_offers(languages=[Language.ENGLISH, Language.ARABIC], services=[Service.IMAGES])
    centre_a = Centre.objects.with_offers().get(pk=centre_a.pk)
    assert centre_a.languages == ["ar", "en"]
    assert centre_a.services == ["images"]
    assert centre_a.channels == []


# --- staff pages -------------------------------------------------------------


def profile_data(**changes) -> dict:
    data = {
        "description": "Confidential help.",
        "accepts_new_clients": "on",
        "typical_wait_weeks": "5",
        "address": "Street 1\n12345 Town",
        "latitude": "52.5",
        "longitude": "13.4",
        "opening_hours": "Mon-Fri 9:00-17:00",
        "public_phone": "+49 30 123",
        "public_email": "help@example.org",
        "public_website": "",
        "languages": ["de", "ar"],
        "services": ["own_thoughts", "family_friends"],
        "channels": ["in_person", "messaging"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_staff_list_needs_a_signed_in_verified_user(client):
    response = client.get("/staff/centres/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


def test_a_network_admin_sees_every_centre_on_the_staff_list(sign_in, network_admin, offers):
    response = sign_in(network_admin).get("/staff/centres/")
    assert response.status_code == 200
    page = response.content.decode()
    for centre in offers:
        assert f"/staff/centres/{centre.id}/edit/" in page
    assert "/staff/centres/new/" in page


def test_a_centre_manager_sees_only_their_own_centre(sign_in, manager_a, offers):
    page = sign_in(manager_a).get("/staff/centres/").content.decode()
    assert f"/staff/centres/{offers[0].id}/edit/" in page
    assert str(offers[1].id) not in page
    assert "/staff/centres/new/" not in page


def test_other_staff_are_told_they_manage_no_centre(sign_in, clinician_a, offers):
    page = sign_in(clinician_a).get("/staff/centres/").content.decode()
    assert "You do not manage any centre profile." in page
    assert "/edit/" not in page


def test_a_centre_manager_edits_their_own_centre(sign_in, manager_a, centre_a):
    staff = sign_in(manager_a)
    url = f"/staff/centres/{centre_a.id}/edit/"
    assert staff.get(url).status_code == 200
    response = staff.post(url, {**profile_data(), **opened(staff, url)})
    assert response.status_code == 302
    centre = Centre.objects.with_offers().get(pk=centre_a.pk)
    assert centre.description == "Confidential help."
    assert centre.typical_wait_weeks == 5
    assert centre.latitude == Decimal("52.5")
    assert centre.languages == ["ar", "de"]
    assert centre.services == ["family_friends", "own_thoughts"]
    assert centre.channels == ["in_person", "messaging"]
    # ... and the finder shows the change at once.
    assert names_for_language("ar") == ["Centre A"]


def names_for_language(code: str) -> list[str]:
    from django.test import Client

    return names(Client().get(f"/centres/?language={code}"))


def test_a_centre_manager_cannot_rename_move_or_hide_their_centre(sign_in, manager_a, centre_a):
    data = profile_data(name="Renamed", slug="renamed", is_active="", region="")
    sign_in(manager_a).post(f"/staff/centres/{centre_a.id}/edit/", data)
    centre = Centre.objects.get(pk=centre_a.pk)
    assert centre.name == "Centre A"
    assert centre.slug == centre_a.slug
    assert centre.is_active


def test_a_centre_manager_cannot_see_or_edit_another_centre(sign_in, manager_a, centre_b):
    staff = sign_in(manager_a)
    assert staff.get(f"/staff/centres/{centre_b.id}/edit/").status_code == 404
    assert staff.post(f"/staff/centres/{centre_b.id}/edit/", profile_data()).status_code == 404
    assert Centre.objects.get(pk=centre_b.pk).description == ""


def test_a_missing_centre_answers_the_same_404(sign_in, manager_a):
    import uuid

    response = sign_in(manager_a).get(f"/staff/centres/{uuid.uuid4()}/edit/")
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["clinician_a", "counsellor_a", "analyst", "outsider"])
def test_staff_without_a_managing_role_cannot_edit_a_centre(request, sign_in, centre_a, persona):
    staff = sign_in(request.getfixturevalue(persona))
    assert staff.get(f"/staff/centres/{centre_a.id}/edit/").status_code == 404
    assert staff.post(f"/staff/centres/{centre_a.id}/edit/", profile_data()).status_code == 404


def test_a_manager_of_two_centres_edits_both(sign_in, manager_a, centre_a, centre_b):
    factories.add_role(manager_a, Role.CENTRE_MANAGER, centre_b)
    staff = sign_in(manager_a)
    assert staff.get(f"/staff/centres/{centre_b.id}/edit/").status_code == 200


def test_half_a_coordinate_is_refused_with_a_message_and_the_input_is_kept(
    sign_in, manager_a, centre_a
):
    response = sign_in(manager_a).post(
        f"/staff/centres/{centre_a.id}/edit/",
        profile_data(longitude="", description="Kept text"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give both latitude and longitude, or leave both empty." in page
    assert "Kept text" in page
    assert Centre.objects.get(pk=centre_a.pk).description == ""


@pytest.mark.parametrize(
    "field, value",
    [
        ("latitude", "91"),
        ("longitude", "-181"),
        ("languages", ["xx"]),
        ("public_email", "not an address"),
    ],
)
def test_invalid_profile_values_are_refused(sign_in, manager_a, centre_a, field, value):
    response = sign_in(manager_a).post(
        f"/staff/centres/{centre_a.id}/edit/", profile_data(**{field: value})
    )
    assert response.status_code == 400
    assert Centre.objects.get(pk=centre_a.pk).description == ""


def test_a_network_admin_creates_a_centre(sign_in, network_admin, north):
    data = profile_data(name="Centre New", slug="centre-new", region=str(north.pk), is_active="on")
    response = sign_in(network_admin).post("/staff/centres/new/", data)
    assert response.status_code == 302
    centre = Centre.objects.with_offers().get(slug="centre-new")
    assert centre.region == north
    assert centre.languages == ["ar", "de"]


def test_a_network_admin_can_take_a_centre_out_of_the_finder(sign_in, network_admin, offers):
    centre = offers[1]
    data = profile_data(name=centre.name, slug=centre.slug, region=str(centre.region_id))
    data.pop("accepts_new_clients")  # unticked checkbox
    staff = sign_in(network_admin)
    url = f"/staff/centres/{centre.id}/edit/"
    response = staff.post(url, {**data, **opened(staff, url)})
    assert response.status_code == 302
    centre.refresh_from_db()
    assert not centre.is_active
    assert not centre.accepts_new_clients
    assert names_for_language("de") == ["Centre A"]


def test_a_duplicate_address_name_is_refused(sign_in, network_admin, centre_a, north):
    data = profile_data(name="Copy", slug=centre_a.slug, region=str(north.pk), is_active="on")
    response = sign_in(network_admin).post("/staff/centres/new/", data)
    assert response.status_code == 400
    assert Centre.objects.filter(slug=centre_a.slug).count() == 1


@pytest.mark.parametrize("persona", ["manager_a", "clinician_a", "analyst"])
def test_only_network_admins_create_centres(request, sign_in, north, persona):
    staff = sign_in(request.getfixturevalue(persona))
    assert staff.get("/staff/centres/new/").status_code == 404
    data = profile_data(name="Sneaky", slug="sneaky", region=str(north.pk), is_active="on")
    assert staff.post("/staff/centres/new/", data).status_code == 404
    assert not Centre.objects.filter(slug="sneaky").exists()


# --- demo data ---------------------------------------------------------------------


def test_the_demo_centres_differ_in_languages_services_channels_and_place(db):
    from forestall.demo import DemoNetwork
    from forestall.directory import demo

    network = DemoNetwork()
    demo.seed(network)
    demo.seed(network)  # idempotent
    centres = list(Centre.objects.with_offers())
    assert len(centres) == 4
    assert len({tuple(centre.languages) for centre in centres}) == 4
    assert len({tuple(centre.services) for centre in centres}) == 4
    assert len({tuple(centre.channels) for centre in centres}) == 4
    assert all(centre.has_coordinates and centre.opening_hours for centre in centres)
    assert {"de", "en", "tr", "ar", "pl"} <= {code for c in centres for code in c.languages}
    assert len({centre.region_id for centre in centres}) == 3


# --- audit ---------------------------------------------------------------------------


def test_editing_a_profile_is_audited(sign_in, manager_a, centre_a):
    from forestall.audit.models import AuditEntry

    staff = sign_in(manager_a)
    url = f"/staff/centres/{centre_a.id}/edit/"
    staff.post(url, {**profile_data(), **opened(staff, url)})
    entry = AuditEntry.objects.get(action="centre.update")
    assert entry.actor == manager_a
    assert entry.target_type == "directory.centre"
    assert entry.target_id == centre_a.id
    assert entry.centre_uuid == centre_a.id


def test_creating_a_centre_is_audited(sign_in, network_admin, north):
    from forestall.audit.models import AuditEntry

    data = profile_data(name="Centre New", slug="centre-new", region=str(north.pk), is_active="on")
    sign_in(network_admin).post("/staff/centres/new/", data)
    entry = AuditEntry.objects.get(action="centre.create")
    assert entry.actor == network_admin
    assert entry.target_id == Centre.objects.get(slug="centre-new").id


def test_a_refused_edit_is_not_audited(sign_in, manager_a, centre_a, centre_b):
    from forestall.audit.models import AuditEntry, read_actions

    staff = sign_in(manager_a)
    staff.post(f"/staff/centres/{centre_b.id}/edit/", profile_data())
    staff.post(f"/staff/centres/{centre_a.id}/edit/", profile_data(latitude="1000"))
    # Opening the form is a read (``centre.read``); no change is recorded.
    changes = AuditEntry.objects.filter(action__startswith="centre.").exclude(read_actions())
    assert not changes.exists()


@pytest.mark.parametrize("off", ["0", "off", "no", "false"])
def test_the_remote_box_shows_the_filter_used_and_never_another_visitors_answer(
    client, offers, off
):
    """The box is ticked only when the remote filter is on: a "remote=0" visit
    neither shows it ticked nor leaves a ticked box in the kept form and
    results for the next visitor who asks for no filter."""
    page = client.get(f"/centres/?remote={off}").content.decode()
    assert 'id="id_remote" checked' not in page
    assert len(names(client.get(f"/centres/?remote={off}"))) == 3
    later = Client().get("/centres/?language=&service=&region=").content.decode()
    assert 'id="id_remote" checked' not in later
    assert 'id="id_remote" checked' in Client().get("/centres/?remote=1").content.decode()


def test_a_renamed_region_shows_at_once_in_filtered_finder_pages(
    client, offers, north, django_capture_on_commit_callbacks
):
    """A region renamed (in the admin site, say) shows on every finder page at
    once, with filters too: its name is in the results and in the form."""
    for query in ("?language=de", f"?region={north.slug}", "?x=1"):
        assert "North" in client.get(f"/centres/{query}").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        north.name = "Northland"
        north.save()
    for query in ("?language=de", f"?region={north.slug}", "?x=1"):
        page = Client().get(f"/centres/{query}").content.decode()
        assert "Northland" in page, query


def test_without_a_region_the_new_centre_page_points_to_the_admin(sign_in, network_admin):
    # A fresh installation: a centre needs a region, and regions are made in the admin.
    Region.objects.all().delete()
    staff = sign_in(network_admin)
    page = staff.get("/staff/centres/new/").content.decode()
    assert 'href="/staff/admin/directory/region/add/"' in page
    assert "there is no region yet" in page
    assert "Public website" in page
    german = staff.get("/staff/centres/new/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Legen Sie die erste Region</a> in der Verwaltung an" in german


def test_with_a_region_the_new_centre_page_has_no_pointer(sign_in, network_admin, north):
    page = sign_in(network_admin).get("/staff/centres/new/").content.decode()
    assert "region/add/" not in page
