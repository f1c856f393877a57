"""The server-side cache of public pages that are the same for everyone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from forestall.directory.models import Centre
from forestall.lib.pagecache import public_pages_changed
from tests.stale import opened


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60


def rename(centre: Centre, name: str) -> None:
    # A change behind the application's back: no action calls
    # public_pages_changed() (only the finder's own fragment key moves on).
    Centre.objects.filter(pk=centre.pk).update(name=name, updated_at=timezone.now())


def test_a_cookie_less_visitor_gets_the_cached_page(client, centre_a):
    assert "Centre A" in client.get("/centres/").content.decode()
    rename(centre_a, "Renamed")
    assert "Centre A" in Client().get("/centres/").content.decode()


def test_public_pages_changed_drops_every_cached_page(client, centre_a):
    client.get("/centres/")
    client.get(f"/centres/{centre_a.slug}/")
    rename(centre_a, "Renamed")
    public_pages_changed()
    assert "Renamed" in client.get("/centres/").content.decode()
    assert "Renamed" in client.get(f"/centres/{centre_a.slug}/").content.decode()


def test_each_address_and_query_is_cached_on_its_own(client, centre_a):
    client.get("/centres/")
    rename(centre_a, "Renamed")
    assert "Renamed" in client.get("/centres/?language=").content.decode()
    assert "Renamed" in client.get("/de/centres/").content.decode()


def test_a_visitor_with_any_cookie_gets_a_fresh_page(client, centre_a):
    # With a query string: nothing of the finder is kept for everyone (the
    # plain /centres/ is; see the next test), so only the page cache could
    # serve it stale.
    client.get("/centres/?language=")
    rename(centre_a, "Renamed")
    visitor = Client()
    visitor.cookies["forestall_mailbox"] = "anything"
    assert "Renamed" in visitor.get("/centres/?language=").content.decode()


def test_a_saved_centre_shows_at_once_in_kept_parts_and_cached_pages(
    client, centre_a, django_capture_on_commit_callbacks
):
    """Parts kept for everyone (``same_for_everyone``) live as long as cached pages do:
    any save of a centre — an action, the admin site, a command — drops both."""
    visitor = Client()
    visitor.cookies["forestall_mailbox"] = "anything"
    client.get("/centres/")
    visitor.get("/centres/")
    with django_capture_on_commit_callbacks(execute=True):
        centre_a.name = "Renamed"
        centre_a.save()
    assert "Renamed" in client.get("/centres/").content.decode()
    assert "Renamed" in visitor.get("/centres/").content.decode()


def test_error_answers_are_never_cached(client, centre_a):
    assert client.get("/centres/?language=klingon").status_code == 400
    rename(centre_a, "Renamed")
    assert "Renamed" in client.get("/centres/?language=klingon").content.decode()


def counting_view(opted_in: bool, *, sets_cookie: bool = False):
    """A view whose answer changes on every call, wrapped in the middleware."""
    from django.http import HttpResponse

    from forestall.lib.pagecache import PublicPageCacheMiddleware, cache_public_page

    calls = []

    def view(request):
        calls.append(1)
        response = HttpResponse(f"call {len(calls)}")
        if sets_cookie:
            response.set_cookie("token", "x")
        return response

    return PublicPageCacheMiddleware(cache_public_page(view) if opted_in else view)


def test_only_views_that_opted_in_are_cached(rf):
    opted_in, not_opted_in = counting_view(True), counting_view(False)
    assert opted_in(rf.get("/page/")).content == opted_in(rf.get("/page/")).content == b"call 1"
    assert not_opted_in(rf.get("/other/")).content == b"call 1"
    assert not_opted_in(rf.get("/other/")).content == b"call 2"


def test_answers_that_set_a_cookie_are_never_cached(rf):
    view = counting_view(True, sets_cookie=True)
    assert view(rf.get("/form/")).content == b"call 1"
    assert view(rf.get("/form/")).content == b"call 2"


@pytest.mark.parametrize("method", ["post", "head", "put"])
def test_only_get_requests_are_cached(rf, method):
    view = counting_view(True)
    assert getattr(rf, method)("/page/").method != "GET"
    view(getattr(rf, method)("/page/"))
    assert view(getattr(rf, method)("/page/")).content == b"call 2"


@pytest.mark.parametrize("path", ["/staff/page/", "/api/v1/x", "/static/x.css", "/healthz"])
def test_staff_api_static_and_health_paths_are_never_cached(rf, path):
    view = counting_view(True)
    view(rf.get(path))
    assert view(rf.get(path)).content == b"call 2"


def test_a_cached_page_keeps_every_security_header(client, centre_a):
    client.get("/centres/")
    cached = Client().get("/centres/")
    assert "'unsafe-inline'" not in cached["Content-Security-Policy"]
    assert "no-store" in cached["Cache-Control"]
    assert cached["X-Frame-Options"] == "DENY"
    assert not cached.cookies


def test_saving_a_centre_profile_shows_at_once(
    client, sign_in, manager_a, centre_a, django_capture_on_commit_callbacks
):
    client.get("/centres/")
    with django_capture_on_commit_callbacks(execute=True):
        staff = sign_in(manager_a)
        url = f"/staff/centres/{centre_a.id}/edit/"
        response = staff.post(
            url,
            {
                "description": "Fresh words.",
                "accepts_new_clients": "on",
                "languages": ["de"],
                **opened(staff, url),
            },
        )
    assert response.status_code == 302
    assert "Fresh words." in Client().get("/centres/").content.decode()


def test_staff_pages_are_never_served_from_the_cache(client, db):
    assert client.get("/staff/login/").status_code == 200
    assert client.get("/staff/").status_code == 302


def test_the_cache_is_off_when_set_to_zero(client, centre_a, settings):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 0
    client.get("/centres/")
    rename(centre_a, "Renamed")
    assert "Renamed" in client.get("/centres/").content.decode()


def test_saving_public_page_content_shows_at_once(
    client, network_admin, django_capture_on_commit_callbacks
):
    from forestall.public.actions import save_page_content
    from forestall.public.models import Page

    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        save_page_content(Page.HOME, "en", "Fresh title", "Fresh body text.", by=network_admin)
    assert "Fresh body text." in Client().get("/").content.decode()


def test_a_flood_of_cached_pages_never_pushes_out_the_rate_limits(client, centre_a):
    """Anyone can fill the page cache (one page per address and query string);
    that must not drop the sign-in limit's counters, which a full local-memory
    cache would drop first: the pages are kept in a cache of their own."""
    codename = "alpha bravo charlie delta echo foxtrot golf"
    tries = [Client().post("/mailbox/", {"codename": codename}) for _ in range(6)]
    assert [response.status_code for response in tries] == [400] * 5 + [429]
    flood = Client()
    for number in range(400):
        flood.get(f"/centres/?x={number}")
    assert Client().post("/mailbox/", {"codename": codename}).status_code == 429


def test_sign_in_attempts_with_other_codenames_never_push_out_a_codenames_limit(db):
    """Each codename tried has its own counter in the shared cache; attempts with
    hundreds of other codenames must not drop the counter of the one being guessed
    (Django's local-memory cache held only 300 entries and dropped the oldest)."""
    codename = "alpha bravo charlie delta echo foxtrot golf"
    tries = [Client().post("/mailbox/", {"codename": codename}) for _ in range(6)]
    assert [response.status_code for response in tries] == [400] * 5 + [429]
    from forestall.lib.codenames import generate_codename

    other = Client()
    for _number in range(400):
        other.post("/mailbox/", {"codename": generate_codename()})
    assert Client().post("/mailbox/", {"codename": codename}).status_code == 429
