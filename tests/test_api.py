"""The partner API: public statistics without a key, the same figures as the downloads."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from forestall.stats import actions
from forestall.stats.events import Event
from tests.factories_stats import seed_counts


@pytest.fixture
def counts(centre_a, centre_b, centre_c):
    today = timezone.localdate()
    start = today.replace(day=1) - datetime.timedelta(days=200)
    return seed_counts([centre_a, centre_b, centre_c], start=start, days=200, per_day=10, seed=5)


def test_the_openapi_document_is_valid_openapi_3(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1"
    paths = schema["paths"]
    for path in (
        "/api/v1/statistics/",
        "/api/v1/statistics/tables/",
        "/api/v1/statistics/tables/{table_id}",
        "/api/v1/statistics/estimates",
        "/api/v1/statistics/funnel",
    ):
        assert "get" in paths[path], path
    # Every referenced component exists.
    import json
    import re

    text = json.dumps(schema)
    for reference in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert reference in schema["components"]["schemas"]


def test_the_openapi_document_validates_with_a_validator_if_installed(client, db):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get("/api/v1/openapi.json").json())


def test_the_statistics_need_no_key_and_match_the_json_download(client, counts):
    api = client.get("/api/v1/statistics/")
    assert api.status_code == 200
    download = client.get("/statistics/data.json").json()
    assert api.json() == download


def test_one_table_by_id(client, counts):
    response = client.get("/api/v1/statistics/tables/exits_by_stage")
    assert response.status_code == 200
    table = response.json()
    assert table["id"] == "exits_by_stage"
    assert len(table["cells"]) == len(table["rows"])


def test_an_unknown_table_is_404(client, db):
    response = client.get("/api/v1/statistics/tables/persons")
    assert response.status_code == 404
    assert response.json() == {"detail": "no such table"}


def test_the_table_list_names_every_table(client, counts):
    tables = client.get("/api/v1/statistics/tables/").json()
    assert {"funnel_by_region", "waiting_times"} <= {t["id"] for t in tables}


def test_the_funnel_endpoint_withholds_small_steps(client, centre_a):
    day = timezone.localdate().replace(day=1) - datetime.timedelta(days=5)
    actions.record(Event.CONTACT, centre=centre_a, day=day, count=60)
    actions.record(Event.THERAPY_COMPLETED, centre=centre_a, day=day, count=2)
    steps = {s["step"]: s["count"] for s in client.get("/api/v1/statistics/funnel").json()["steps"]}
    assert steps["contact"] == 60
    assert steps["therapy_completed"] is None


def test_estimates_carry_intervals(client, counts):
    estimates = client.get("/api/v1/statistics/estimates").json()
    assert {e["id"] for e in estimates} >= {"recovery", "answered_share", "waiting_times_median"}


def test_labels_in_german_on_request(client, counts):
    response = client.get("/api/v1/statistics/tables/funnel_by_region?language=de")
    assert response.json()["title"] == "Der Trichter nach Region"


def test_an_unknown_language_is_a_clear_400(client, db):
    response = client.get("/api/v1/statistics/?language=xx")
    assert response.status_code == 400
    assert "language" in response.json()["detail"]


def test_no_staff_data_is_reachable_through_the_api(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    # Public statistics and the reach endpoints partners use (catalogue, key, impressions).
    assert all(
        path.startswith(("/api/v1/statistics/", "/api/v1/reach/")) for path in schema["paths"]
    )
    assert client.get("/api/v1/docs").status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST", "TRACE", "PROPFIND"])
def test_the_openapi_document_is_only_read(db, method):
    # It answered 200 with the schema to any method, writes included; and with
    # the CSRF check on, as it is for a real client (the test client skips it),
    # the writes and PROPFIND got the browser page "This form expired" (403).
    client = Client(enforce_csrf_checks=True)
    response = client.generic(method, "/api/v1/openapi.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head("/api/v1/openapi.json").status_code == 200
