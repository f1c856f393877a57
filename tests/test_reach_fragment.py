"""The ready HTML fragment partners embed: self-contained, signed, in the person's language."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest
from django.test import override_settings

from forestall.reach import actions, signing
from forestall.reach.models import VariantText
from tests.factories_reach import (  # noqa: F401 - autouse fixture
    DETERRENT_ID,
    THERAPEUTIC_ID,
    make_partner,
    reach_defaults,
    shipped_variant,
)

pytestmark = pytest.mark.django_db

ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(autouse=True)
def partner():
    return make_partner("search-one")


def _fragment(client, variant=DETERRENT_ID, language="en", partner="search-one", **headers):
    return client.get(
        "/api/v1/reach/fragment",
        {"variant": variant, "language": language, "partner": partner},
        headers=headers,
    )


class _Markup(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(response) -> _Markup:
    markup = _Markup()
    markup.feed(response.content.decode())
    markup.close()
    return markup


def _assert_self_contained(markup: _Markup, allowed_links: set[str]) -> None:
    allowed_tags = {"aside", "h2", "p", "a", "br"}
    for tag, attributes in markup.tags:
        assert tag in allowed_tags, tag  # no script, style, img, iframe, form, link, object
        assert "style" not in attributes
        assert "src" not in attributes
        assert not [name for name in attributes if name.startswith("on")], attributes
        if "class" in attributes:
            assert str(attributes["class"]).startswith("forestall-reach"), attributes
    links = {attributes["href"] for tag, attributes in markup.tags if "href" in attributes}
    assert links == allowed_links


def test_the_fragment_is_plain_html_whose_only_link_is_the_landing_page(client):
    response = _fragment(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    markup = _parse(response)
    landing = f"http://testserver/r/search-one/{DETERRENT_ID}/"
    _assert_self_contained(markup, {landing})
    assert b"<script" not in response.content.lower()
    link = next(attributes for tag, attributes in markup.tags if tag == "a")
    assert "noreferrer" in str(link["rel"])  # the partner's address may hold the query
    assert link["referrerpolicy"] == "no-referrer"
    text = VariantText.objects.current(shipped_variant(), "en")
    shown = " ".join(markup.text)
    for part in (text.title, *text.paragraphs, "Get confidential help now"):
        assert part.split("\n")[0] in shown
    tag, attributes = markup.tags[0]
    assert (tag, attributes["class"], attributes["lang"]) == ("aside", "forestall-reach", "en")


def test_the_german_fragment_is_german_and_links_to_the_german_page(client):
    response = _fragment(client, THERAPEUTIC_ID, "de")
    assert response.status_code == 200
    markup = _parse(response)
    _assert_self_contained(markup, {f"http://testserver/de/r/search-one/{THERAPEUTIC_ID}/"})
    shown = " ".join(markup.text)
    assert VariantText.objects.current(shipped_variant(THERAPEUTIC_ID), "de").title in shown
    assert "Jetzt vertrauliche Hilfe finden" in shown
    assert markup.tags[0][1]["lang"] == "de"
    assert response["Content-Language"] == "de"


def test_the_link_comes_from_the_configured_origin_not_the_host_header(client):
    with override_settings(
        FORESTALL_SITE_URL="https://help.example",
        ALLOWED_HOSTS=["testserver", "other.example"],
    ):
        response = client.get(
            "/api/v1/reach/fragment",
            {"variant": DETERRENT_ID, "partner": "search-one"},
            HTTP_HOST="other.example",
        )
        catalogue = client.get("/api/v1/reach/catalogue", HTTP_HOST="other.example").json()
    _assert_self_contained(_parse(response), {f"https://help.example/r/search-one/{DETERRENT_ID}/"})
    assert all(v["help_url"].startswith("https://help.example/") for v in catalogue["variants"])


def test_the_onion_address_is_the_only_other_link(client):
    onion = "http://forestallexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
    with override_settings(FORESTALL_REACH_ONION_URL=onion):
        response = _fragment(client)
    path = f"/r/search-one/{DETERRENT_ID}/"
    _assert_self_contained(_parse(response), {"http://testserver" + path, onion + path})


def test_the_fragment_is_signed_over_its_body_with_the_published_key(client):
    response = _fragment(client)
    published = client.get(
        "/api/v1/reach/public-key", {"key_id": response["X-Forestall-Key-Id"]}
    ).json()
    signature = response["X-Forestall-Signature"]
    assert len(base64.b64decode(signature)) == 64
    assert signing.verify(response.content, signature, published["public_key"])
    changed = bytearray(response.content)
    changed[len(changed) // 2] ^= 0x01
    assert not signing.verify(bytes(changed), signature, published["public_key"])


def test_the_etag_answers_304_and_a_publish_changes_the_fragment(
    client, django_capture_on_commit_callbacks
):
    first = _fragment(client)
    again = _fragment(client, **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_variant_text(
            shipped_variant(),
            "en",
            title="Stop <now> & get help",
            crime="c",
            harm="h",
            consequences="x",
            help="y",
            by=None,
        )
    changed = _fragment(client, **{"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    # Catalogue texts are plain text: escaped, never markup.
    assert b"Stop &lt;now&gt; &amp; get help" in changed.content
    assert signing.verify(
        changed.content,
        changed["X-Forestall-Signature"],
        client.get("/api/v1/reach/public-key").json()["public_key"],
    )


def test_a_repeated_request_is_served_from_the_cache(client, django_assert_num_queries):
    _fragment(client)
    with django_assert_num_queries(0):
        assert _fragment(client).status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "field", "says"),
    [
        ({"variant": ZERO}, 404, "variant", "unknown variant"),
        ({"variant": "deterrent"}, 404, "variant", "unknown variant"),
        ({"variant": ""}, 404, "variant", "unknown variant"),
        ({"partner": "nobody"}, 404, "partner", "unknown partner"),
        ({"partner": ""}, 400, "partner", "short name"),
        ({"partner": "<script>"}, 400, "partner", "short name"),
        ({"language": "xx"}, 400, "language", "unknown language"),
    ],
    ids=[
        "unknown-variant",
        "not-a-uuid",
        "no-variant",
        "unknown-partner",
        "no-partner",
        "bad-partner",
        "unknown-language",
    ],
)
def test_bad_requests_get_a_clear_json_4xx(client, params, status, field, says):
    response = _fragment(client, **params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert says in response.json()["detail"]
    assert response.json()["fields"] == [field]
    assert "X-Forestall-Signature" not in response


def test_a_variant_taken_out_of_the_catalogue_has_no_fragment(
    client, django_capture_on_commit_callbacks
):
    variant = shipped_variant()
    variant.active = False
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_variant(variant, by=None)
    response = _fragment(client)
    assert response.status_code == 404
    assert "unknown variant" in response.json()["detail"]
