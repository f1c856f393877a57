"""Rate limits: fixed windows in the cache, keyed by a hash, never by an address."""

from __future__ import annotations

import pickle
import uuid

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from forestall import urls as site_urls
from forestall.lib import ratelimit
from forestall.lib.ratelimit import hit, rate_limit
from tests.database_dump import database_rows_text

ADDRESS = "203.0.113.77"
OTHER_ADDRESS = "198.51.100.23"


@csrf_exempt
@rate_limit("test-form", limit=3, period=300)
def limited_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sent" if request.method == "POST" else "form")


@csrf_exempt
def counting_view(request: HttpRequest) -> HttpResponse:
    if hit(request, "test-count", limit=2, period=60):
        return ratelimit.too_many(request)
    return HttpResponse("counted")


# The site's own URLs as well, so that the error page's layout can link to them.
urlpatterns = [
    *i18n_patterns(
        path("limited/", limited_form),
        path("counted/", counting_view),
        prefix_default_language=False,
    ),
    *site_urls.urlpatterns,
]

pytestmark = pytest.mark.urls("tests.test_rate_limits")


def _post(client, url: str, address: str = ADDRESS):
    return client.post(url, {"field": "value"}, REMOTE_ADDR=address)


def test_the_decorator_lets_requests_through_up_to_the_limit(client):
    for _attempt in range(3):
        assert _post(client, "/limited/").status_code == 200


def test_the_decorator_answers_429_over_the_limit_in_english(client):
    for _attempt in range(3):
        _post(client, "/limited/")
    response = _post(client, "/limited/")
    assert response.status_code == 429
    assert "Please wait a moment" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 300


def test_the_429_page_is_german_on_the_german_side(client):
    for _attempt in range(3):
        _post(client, "/de/limited/")
    response = _post(client, "/de/limited/")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'lang="de"' in page
    assert "Bitte warten Sie einen Moment" in page
    assert "Please wait" not in page


def test_reading_the_form_is_not_counted(client):
    for _attempt in range(10):
        assert client.get("/limited/", REMOTE_ADDR=ADDRESS).status_code == 200
    assert _post(client, "/limited/").status_code == 200


def test_each_address_has_its_own_bucket(client):
    for _attempt in range(3):
        _post(client, "/limited/")
    assert _post(client, "/limited/").status_code == 429
    assert _post(client, "/limited/", OTHER_ADDRESS).status_code == 200


def test_scopes_are_counted_separately(client):
    for _attempt in range(3):
        _post(client, "/limited/")
    assert _post(client, "/counted/").status_code == 200


def test_hit_counts_inside_a_view_and_reports_when_over(client):
    assert _post(client, "/counted/").status_code == 200
    assert _post(client, "/counted/").status_code == 200
    assert _post(client, "/counted/").status_code == 429


def test_a_new_window_starts_counting_again(monkeypatch):
    request = RequestFactory().post("/", REMOTE_ADDR=ADDRESS)
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    assert [hit(request, "window", 2, 60) for _ in range(3)] == [False, False, True]
    now[0] += 60
    assert hit(request, "window", 2, 60) is False


def test_a_forwarded_address_is_used_behind_a_declared_proxy_but_not_kept(client, settings):
    settings.FORESTALL_TRUSTED_PROXIES = 1
    for _attempt in range(3):
        client.post("/limited/", HTTP_X_FORWARDED_FOR=f"10.0.0.1, {ADDRESS}")
    response = client.post("/limited/", HTTP_X_FORWARDED_FOR=f"10.0.0.9, {ADDRESS}")
    assert response.status_code == 429
    _assert_no_address_in_cache(cache, ADDRESS)


def test_forwarded_headers_are_ignored_when_no_proxy_is_declared(client, settings):
    settings.FORESTALL_TRUSTED_PROXIES = 0
    for number in range(3):
        _post_from(client, "/limited/", ADDRESS, forwarded=f"10.0.0.{number}")
    assert _post_from(client, "/limited/", ADDRESS, forwarded="10.9.9.9").status_code == 429


def test_only_the_address_n_hops_from_the_right_counts(client, settings):
    settings.FORESTALL_TRUSTED_PROXIES = 2
    for number in range(3):
        chain = f"10.0.0.{number}, {ADDRESS}, 192.0.2.50"
        _post_from(client, "/limited/", "192.0.2.51", forwarded=chain)
    chain = f"10.9.9.9, {ADDRESS}, 192.0.2.50"
    assert _post_from(client, "/limited/", "192.0.2.51", forwarded=chain).status_code == 429
    other = f"10.9.9.9, {OTHER_ADDRESS}, 192.0.2.50"
    assert _post_from(client, "/limited/", "192.0.2.51", forwarded=other).status_code == 200


def _post_from(client, url: str, address: str, forwarded: str):
    return client.post(url, {"field": "value"}, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded)


def test_bad_scopes_and_limits_are_refused():
    with pytest.raises(ValueError):
        rate_limit("Mailbox Sign-In", limit=3, period=60)
    with pytest.raises(ValueError):
        rate_limit("mailbox", limit=0, period=60)


def _assert_no_address_in_cache(backend, address: str) -> None:
    store = backend._cache  # LocMemCache: key → pickled value
    assert store, "expected some rate-limit buckets"
    for key, value in store.items():
        assert address not in key
        assert address.encode() not in value
        assert address not in repr(pickle.loads(value))  # noqa: S301 - our own cache


@pytest.mark.django_db
def test_no_address_is_stored_in_the_cache_or_the_database(client):
    for _attempt in range(5):
        _post(client, "/limited/")
        _post(client, "/de/limited/")
        _post(client, "/counted/")
    _assert_no_address_in_cache(cache, ADDRESS)
    assert all(key.split(":")[-4] == "ratelimit" for key in cache._cache if "ratelimit" in key)
    assert ADDRESS not in database_rows_text()


def test_the_buckets_expire_within_their_period(client):
    for _attempt in range(2):
        _post(client, "/counted/")
    expiries = list(cache._expire_info.values())
    assert expiries
    import time

    assert all(expiry - time.time() <= 61 for expiry in expiries)


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"forestall-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": prefix,
        }
    }
    backend = caches["default"]
    client = redis.Redis(host="127.0.0.1", port=6379, db=15)
    yield backend, client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    caches["default"].close()


def test_the_limit_works_with_redis_and_keeps_only_hashed_short_lived_keys(client, redis_cache):
    backend, redis_client, prefix = redis_cache
    assert type(backend).__name__ == "RedisCache"
    for _attempt in range(3):
        assert _post(client, "/limited/").status_code == 200
    assert _post(client, "/limited/").status_code == 429
    assert _post(client, "/limited/", OTHER_ADDRESS).status_code == 200
    keys = list(redis_client.scan_iter(f"{prefix}:*"))
    assert len(keys) == 2
    for key in keys:
        assert ADDRESS.encode() not in key
        assert OTHER_ADDRESS.encode() not in key
        assert b":ratelimit:test-form:" in key
        assert 0 < redis_client.ttl(key) <= 300
        value = redis_client.get(key)
        assert value in (b"1", b"4")
