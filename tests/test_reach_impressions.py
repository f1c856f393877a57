"""Impression reports: daily aggregates, idempotent, strict about what they accept."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.reach.models import ImpressionCount
from tests.factories_reach import (
    DETERRENT_ID,
    THERAPEUTIC_ID,
    make_key,
    make_partner,
)

pytestmark = pytest.mark.django_db

# Days in the reports stand for the day the report is sent, not the day the
# tests were collected: a run that crosses midnight sent "tomorrow" as today.
YESTERDAY, TOMORROW = "<yesterday>", "<tomorrow>"


def _day(name: str) -> str:
    offset = {YESTERDAY: -1, TOMORROW: 1}.get(name)
    if offset is None:
        return name
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


@pytest.fixture
def key():
    return make_key(make_partner("search-one"))


def _post(client, key, body, raw=False):
    if isinstance(body, dict) and isinstance(body.get("day"), str):
        body = {**body, "day": _day(body["day"])}
    return client.post(
        "/api/v1/reach/impressions",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def _report(*counts, day=YESTERDAY):
    return {"day": day, "counts": list(counts)}


def _count(variant=DETERRENT_ID, language="en", impressions=10):
    return {"variant": variant, "language": language, "impressions": impressions}


def test_a_report_is_stored_as_daily_aggregates(client, key):
    response = _post(client, key, _report(_count(), _count(THERAPEUTIC_ID, "de", 4)))
    assert response.status_code == 200
    assert response.json() == {"partner": "search-one", "day": _day(YESTERDAY), "rows": 2}
    assert sorted(ImpressionCount.objects.values_list("language", "impressions")) == [
        ("de", 4),
        ("en", 10),
    ]


def test_a_resend_replaces_and_never_double_counts(client, key):
    _post(client, key, _report(_count(impressions=10)))
    _post(client, key, _report(_count(impressions=10)))
    assert ImpressionCount.objects.get().impressions == 10

    _post(client, key, _report(_count(impressions=12)))
    assert ImpressionCount.objects.get().impressions == 12
    assert ImpressionCount.objects.count() == 1


def test_two_partners_reports_are_kept_apart(client, key):
    other = make_key(make_partner("forum-two"))
    _post(client, key, _report(_count(impressions=5)))
    _post(client, other, _report(_count(impressions=7)))
    assert sorted(ImpressionCount.objects.values_list("impressions", flat=True)) == [5, 7]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({**_report(_count()), "query": "anything"}, "query"),
        ({**_report(_count()), "queries": ["a"]}, "queries"),
        (_report({**_count(), "query": "child"}), "counts[0].query"),
        (_report({**_count(), "terms": ["x"], "ip": "1.2.3.4"}), "counts[0].ip"),
    ],
)
def test_unknown_fields_are_refused_by_name(client, key, body, named):
    response = _post(client, key, body)
    assert response.status_code == 400
    assert named in response.json()["fields"]
    assert named in response.json()["detail"]
    assert not ImpressionCount.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (
            _report(_count(), day=TOMORROW),
            422,
            "future",
        ),
        (_report(_count(), day="yesterday"), 422, "YYYY-MM-DD"),
        (_report(_count(impressions=-1)), 422, "impressions"),
        (_report(_count(impressions=1.5)), 422, "impressions"),
        (_report(_count(impressions=True)), 422, "impressions"),
        (_report(_count(variant="00000000-0000-0000-0000-000000000000")), 422, "unknown variant"),
        (_report(_count(variant="deterrent")), 422, "unknown variant"),
        (_report(_count(language="english")), 422, "language"),
        ({"day": YESTERDAY}, 400, "counts"),
        ({"counts": []}, 400, "day"),
        ({"day": YESTERDAY, "counts": "many"}, 422, "counts"),
        (_report({"variant": DETERRENT_ID}), 422, "missing"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_bad_reports_get_a_clear_4xx(client, key, body, status, says):
    response = _post(client, key, body)
    assert response.status_code == status
    assert says in response.json()["detail"]
    assert not ImpressionCount.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, key):
    response = _post(client, key, "not json{")
    assert response.status_code == 400
    assert response.json()["detail"] == "the body must be JSON"


def test_a_report_without_a_key_is_a_401(client):
    response = client.post(
        "/api/v1/reach/impressions", data=_report(_count()), content_type="application/json"
    )
    assert response.status_code == 401
    assert not ImpressionCount.objects.exists()


def test_the_catalogue_needs_no_key_and_a_get_on_impressions_is_refused(client):
    assert client.get("/api/v1/reach/catalogue?language=en").status_code == 200
    assert client.get("/api/v1/reach/impressions").status_code == 405


def test_a_report_is_audited_on_its_key_without_the_counts(client, key):
    from forestall.audit.models import AuditEntry
    from forestall.reach.models import PartnerKey

    response = _post(client, key, _report(_count(impressions=4321), _count(language="de")))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="reach.impressions.report")
    assert entry.target_id == PartnerKey.objects.get().pk
    assert entry.reason == f"search-one {_day(YESTERDAY)}: 2 counts"
    assert "4321" not in entry.reason


def test_a_refused_report_writes_nothing_not_even_an_audit_entry(client, key):
    from forestall.audit.models import AuditEntry

    response = _post(client, key, _report(_count(), _count(impressions=-5)))
    assert response.status_code == 422
    assert not ImpressionCount.objects.exists()
    assert not AuditEntry.objects.filter(action="reach.impressions.report").exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"day": "\\ud800", "counts": []}',
        '{"\\ud800": 1, "day": "2025-01-01", "counts": []}',
        '{"day": "DAY", "counts": '
        '[{"variant": "\\udfff", "language": "\\ud800", "impressions": 1}]}',
        '{"day": "DAY", "counts": [{"variant": "VARIANT", "language": "en", "\\ud800x": 1}]}',
    ],
)
def test_lone_surrogates_in_a_report_get_a_4xx_and_store_nothing(client, key, body):
    """JSON may escape half of a UTF-16 pair ("\\ud800"), which no UTF-8 text can hold:
    a self-help text published with one made its pages a 500. Here it is refused."""
    response = _post(
        client, key, body.replace("DAY", _day(YESTERDAY)).replace("VARIANT", DETERRENT_ID)
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert not ImpressionCount.objects.exists()
