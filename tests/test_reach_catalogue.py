"""The signed catalogue: what partners fetch, verify and cache; how network admins edit it."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import override_settings

from forestall.audit.models import AuditEntry
from forestall.reach import actions, signing
from forestall.reach.models import Variant, VariantText
from tests.factories_reach import DETERRENT_ID, reach_defaults, shipped_variant  # noqa: F401 - autouse fixture
from tests.stale import opened

pytestmark = pytest.mark.django_db

OLD_SEED = base64.b64encode(b"\x01" * 32).decode()
NEW_SEED = base64.b64encode(b"\x02" * 32).decode()


def _catalogue(client, language="en", **headers):
    return client.get(f"/api/v1/reach/catalogue?language={language}", headers=headers)


def test_the_catalogue_lists_the_shipped_variants_with_the_four_elements(client):
    response = _catalogue(client)
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["version"]
    variants = {v["slug"]: v for v in document["variants"]}
    assert set(variants) == {"deterrent", "therapeutic", "harm-and-help"}
    for variant in variants.values():
        assert {"id", "kind", "language", "title", "body", "help_url", "weight"} <= set(variant)
        assert variant["language"] == "en"
        assert set(variant["elements"]) == {"crime", "harm", "consequences", "help"}
        assert all(variant["elements"].values())
        assert variant["help_url"].startswith("http://testserver/r/{partner}/" + variant["id"])
    assert variants["deterrent"]["kind"] == "deterrent"
    assert variants["harm-and-help"]["kind"] == "both"


def test_the_german_catalogue_is_german_and_links_to_the_german_page(client):
    document = _catalogue(client, "de").json()
    assert document["variants"]
    for variant in document["variants"]:
        assert variant["language"] == "de"
        assert "/de/r/{partner}/" in variant["help_url"]
    assert any("Hilfe" in v["body"] for v in document["variants"])


def test_an_unknown_language_is_a_clear_400(client):
    response = _catalogue(client, "xx")
    assert response.status_code == 400
    assert response.json()["detail"] == "unknown language"


def test_the_signature_verifies_over_the_body_with_the_published_key(client):
    response = _catalogue(client)
    published = client.get("/api/v1/reach/public-key").json()

    assert len(base64.b64decode(published["public_key"])) == 32
    assert response["X-Forestall-Key-Id"] == published["key_id"]
    assert signing.verify(
        response.content, response["X-Forestall-Signature"], published["public_key"]
    )


def test_the_signature_fails_on_a_changed_byte(client):
    response = _catalogue(client)
    key = client.get("/api/v1/reach/public-key").json()["public_key"]
    body = bytearray(response.content)
    for position in (0, len(body) // 2, len(body) - 1):
        changed = bytearray(body)
        changed[position] ^= 0x01
        assert not signing.verify(bytes(changed), response["X-Forestall-Signature"], key)


def test_a_rotated_key_signs_and_the_old_signature_still_verifies_by_key_id(client):
    with override_settings(FORESTALL_REACH_SIGNING_KEYS=f"old:{OLD_SEED}"):
        before = _catalogue(client)
    with override_settings(FORESTALL_REACH_SIGNING_KEYS=f"old:{OLD_SEED},new:{NEW_SEED}"):
        after = _catalogue(client)
        current = client.get("/api/v1/reach/public-key").json()
        old = client.get("/api/v1/reach/public-key?key_id=old").json()
        missing = client.get("/api/v1/reach/public-key?key_id=gone")

    assert before["X-Forestall-Key-Id"] == "old"
    assert after["X-Forestall-Key-Id"] == "new"
    assert current["key_id"] == "new"
    assert signing.verify(after.content, after["X-Forestall-Signature"], current["public_key"])
    assert signing.verify(before.content, before["X-Forestall-Signature"], old["public_key"])
    assert not signing.verify(
        before.content, before["X-Forestall-Signature"], current["public_key"]
    )
    assert missing.status_code == 404


def test_the_etag_lets_partners_cache_and_a_publish_changes_it(
    client, django_capture_on_commit_callbacks
):
    first = _catalogue(client)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    again = _catalogue(client, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_variant_text(
            shipped_variant(),
            "en",
            title="New",
            crime="c",
            harm="h",
            consequences="x",
            help="y",
            by=None,
        )
    changed = _catalogue(client, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert b'"title":"New"' in changed.content


def test_the_catalogue_is_served_from_the_cache(client, django_assert_num_queries):
    _catalogue(client)
    with django_assert_num_queries(0):
        assert _catalogue(client).status_code == 200


def test_a_published_version_never_changes():
    text = VariantText.objects.get(variant_id=DETERRENT_ID, language="en", version=1)
    text.title = "Changed in place"
    with pytest.raises(ValueError):
        text.save()
    assert VariantText.objects.get(pk=text.pk).title != "Changed in place"


def test_an_inactive_variant_leaves_the_catalogue(client, django_capture_on_commit_callbacks):
    _catalogue(client)
    variant = shipped_variant()
    variant.active = False
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_variant(variant, by=None)
    slugs = {v["slug"] for v in _catalogue(client).json()["variants"]}
    assert "deterrent" not in slugs


def test_network_admins_preview_and_publish_a_new_version(
    network_admin, sign_in, client, django_capture_on_commit_callbacks
):
    staff = sign_in(network_admin)
    url = f"/staff/reach/variants/{DETERRENT_ID}/de/"
    fields = {
        "title": "Neuer Titel <script>alert(1)</script>",
        "crime": "Das ist strafbar.",
        "harm": "Es schadet Kindern.",
        "consequences": "Es hat Folgen.",
        "help": "Es gibt vertrauliche Hilfe.",
    }
    fields.update(opened(staff, url))
    preview = staff.post(url, {**fields, "preview": "1"})
    assert preview.status_code == 200
    assert b"Neuer Titel &lt;script&gt;" in preview.content
    assert b"<script>alert(1)</script>" not in preview.content
    assert VariantText.objects.filter(variant_id=DETERRENT_ID, language="de").count() == 1

    _catalogue(client, "de")
    with django_capture_on_commit_callbacks(execute=True):
        published = staff.post(url, {**fields, "publish": "1"})
    assert published.status_code == 302
    versions = VariantText.objects.filter(variant_id=DETERRENT_ID, language="de").order_by(
        "version"
    )
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].title.startswith("Stopp.")
    assert AuditEntry.objects.filter(action="reach.text.publish", actor=network_admin).exists()
    document = _catalogue(client, "de").json()
    assert any(v["title"].startswith("Neuer Titel") for v in document["variants"])


def test_a_text_without_one_of_the_four_elements_is_not_published(network_admin, sign_in):
    response = sign_in(network_admin).post(
        f"/staff/reach/variants/{DETERRENT_ID}/en/",
        {"title": "T", "crime": "c", "harm": "h", "consequences": "", "help": "x", "publish": "1"},
    )
    assert response.status_code == 400
    assert VariantText.objects.filter(variant_id=DETERRENT_ID, language="en").count() == 1


@pytest.mark.parametrize("persona", ["analyst", "clinician_a", "counsellor_a"])
def test_only_network_admins_edit_the_catalogue(request, sign_in, persona):
    client = sign_in(request.getfixturevalue(persona))
    assert client.get(f"/staff/reach/variants/{DETERRENT_ID}/en/").status_code == 404
    assert (
        client.post(
            f"/staff/reach/variants/{DETERRENT_ID}/en/",
            {"title": "T", "crime": "c", "harm": "h", "consequences": "x", "help": "y"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/staff/reach/variants/{DETERRENT_ID}/", {"kind": "both", "weight": 9}
        ).status_code
        == 404
    )
    assert Variant.objects.get(pk=DETERRENT_ID).weight == 1


def test_network_admins_set_weights_and_add_variants(network_admin, sign_in):
    staff = sign_in(network_admin)
    url = f"/staff/reach/variants/{DETERRENT_ID}/"
    assert (
        staff.post(
            url, {"kind": "deterrent", "weight": 3, "active": "on", **opened(staff, url)}
        ).status_code
        == 302
    )
    assert Variant.objects.get(pk=DETERRENT_ID).weight == 3
    created = staff.post(
        "/staff/reach/variants/new/",
        {"slug": "traced", "kind": "deterrent", "weight": 1, "active": "on"},
    )
    assert created.status_code == 302
    assert Variant.objects.filter(slug="traced").exists()
    assert staff.get("/staff/reach/").status_code == 200
