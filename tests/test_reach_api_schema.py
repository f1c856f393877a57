"""The OpenAPI document describes every reach endpoint as it really answers.

Each real response (and request body) is checked against the schema the
document gives for it, with a small checker of the parts of JSON Schema the
document uses (objects, required and unknown properties, types, arrays,
anyOf, const/enum), so a field added to or dropped from a response without
the document following fails here.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from tests.factories_reach import (  # noqa: F401 - autouse fixture
    DETERRENT_ID,
    make_key,
    make_partner,
    reach_defaults,
)

pytestmark = pytest.mark.django_db

_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").json()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _problems(
    document: dict[str, Any], schema: dict[str, Any], value: Any, where: str
) -> list[str]:
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        options = [_problems(document, option, value, where) for option in schema["anyOf"]]
        return [] if any(not found for found in options) else options[0]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: {value!r} is not {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    expected = schema.get("type")
    if expected:
        python = _TYPES[expected]
        if not isinstance(value, python) or (expected == "integer" and isinstance(value, bool)):
            return [f"{where}: {value!r} is not {expected}"]
    found: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        found += [f"{where}.{name}: undocumented" for name in set(value) - set(properties)]
        found += [
            f"{where}.{name}: missing" for name in set(schema.get("required", [])) - set(value)
        ]
        for name, item in value.items():
            if name in properties:
                found += _problems(document, properties[name], item, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += _problems(document, schema["items"], item, f"{where}[{index}]")
    return found


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][f"/api/v1/reach/{path}"][method]


def _response_schema(operation: dict[str, Any], status: int) -> dict[str, Any]:
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def _assert_documented(document, method, path, response) -> None:
    operation = _operation(document, method, path)
    schema = _response_schema(operation, response.status_code)
    assert _problems(document, schema, response.json(), path) == []


def test_every_reach_endpoint_is_in_the_document_with_its_errors(document):
    expected = {
        ("get", "catalogue"): {200, 304, 400},
        ("get", "fragment"): {200, 304, 400, 404},
        ("get", "public-key"): {200, 404},
        ("post", "impressions"): {200, 400, 401, 413, 422, 429},
    }
    for (method, path), statuses in expected.items():
        operation = _operation(document, method, path)
        assert {int(status) for status in operation["responses"]} == statuses, path
        assert operation["summary"]
        for status in statuses - {200, 304}:
            error = _resolve(document, _response_schema(operation, status))
            assert {"detail", "fields", "problems"} <= set(error["properties"])
            assert error["required"] == ["detail"]


def test_the_catalogue_is_documented_field_by_field_with_its_signature_headers(client, document):
    response = client.get("/api/v1/reach/catalogue?language=en")
    _assert_documented(document, "get", "catalogue", response)
    variant = _resolve(document, {"$ref": "#/components/schemas/CatalogueVariant"})
    for field in ("id", "kind", "language", "title", "body", "help_url", "weight", "elements"):
        assert field in variant["required"]
    assert variant["properties"]["kind"]["enum"] == ["deterrent", "therapeutic", "both"]
    assert variant["properties"]["weight"]["type"] == "integer"
    operation = _operation(document, "get", "catalogue")
    for status in ("200", "304"):
        headers = operation["responses"][status]["headers"]
        assert {"ETag", "X-Forestall-Signature", "X-Forestall-Key-Id"} <= set(headers)
        for name in headers:
            assert name in response
    assert "If-None-Match" in {p["name"] for p in operation["parameters"]}
    _assert_documented(
        document, "get", "catalogue", client.get("/api/v1/reach/catalogue?language=xx")
    )


def test_the_fragment_is_documented_as_signed_html(client, document):
    make_partner("search-one")
    operation = _operation(document, "get", "fragment")
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {"text/html"}
    assert {"ETag", "X-Forestall-Signature", "X-Forestall-Key-Id"} <= set(ok["headers"])
    assert {"variant", "partner", "language", "If-None-Match"} <= {
        p["name"] for p in operation["parameters"]
    }
    response = client.get(
        "/api/v1/reach/fragment", {"variant": DETERRENT_ID, "partner": "search-one"}
    )
    assert response["Content-Type"].split(";")[0] in ok["content"]
    for name in ok["headers"]:
        assert name in response
    for params in (
        {"variant": DETERRENT_ID, "partner": "nobody"},
        {"partner": "x", "language": "xx"},
    ):
        _assert_documented(
            document, "get", "fragment", client.get("/api/v1/reach/fragment", params)
        )


def test_the_public_key_is_documented(client, document):
    _assert_documented(document, "get", "public-key", client.get("/api/v1/reach/public-key"))
    _assert_documented(
        document, "get", "public-key", client.get("/api/v1/reach/public-key?key_id=gone")
    )


def test_the_impressions_report_and_its_answers_are_documented(client, document):
    operation = _operation(document, "post", "impressions")
    assert operation["security"] == [{"partnerKey": []}]
    assert document["components"]["securitySchemes"]["partnerKey"]["scheme"] == "bearer"
    assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]
    assert operation["responses"]["429"]["headers"]["Retry-After"]
    report_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    report = _resolve(document, report_schema)
    assert report["additionalProperties"] is False
    assert (
        _resolve(document, report["properties"]["counts"]["items"])["additionalProperties"] is False
    )

    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    body = {"day": day, "counts": [{"variant": DETERRENT_ID, "language": "en", "impressions": 3}]}
    assert _problems(document, report_schema, body, "report") == []
    # What the document refuses, the endpoint refuses.
    with_query = {**body, "query": "anything"}
    assert _problems(document, report_schema, with_query, "report") == [
        "report.query: undocumented"
    ]

    key = make_key(make_partner("search-one"))
    headers = {"Authorization": f"Bearer {key}"}
    for sent in (body, with_query, {"day": "tomorrow", "counts": []}):
        response = client.post(
            "/api/v1/reach/impressions", sent, content_type="application/json", headers=headers
        )
        _assert_documented(document, "post", "impressions", response)
    refused = client.post("/api/v1/reach/impressions", body, content_type="application/json")
    assert refused.status_code == 401
    _assert_documented(document, "post", "impressions", refused)
