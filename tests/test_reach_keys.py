"""Partner keys: shown once, hashed, prefixed, revocable, scoped, rate-limited, audited."""

from __future__ import annotations

import pytest
from django.test import override_settings

from forestall.audit.models import AuditEntry
from forestall.reach import actions
from forestall.reach.models import Partner, PartnerKey
from tests.factories_reach import DETERRENT_ID, make_key, make_partner, reach_defaults  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db


def _report(client, key, **extra):
    return client.post(
        "/api/v1/reach/impressions",
        data={
            "day": "2026-01-05",
            "counts": [{"variant": DETERRENT_ID, "language": "en", "impressions": 3}],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
        **extra,
    )


def test_a_key_is_prefixed_and_only_its_hash_is_stored():
    partner = make_partner()
    row, key = actions.issue_key(partner, by=None)

    assert key.startswith(f"fsr_{row.prefix}_")
    stored = PartnerKey.objects.filter(pk=row.pk).values().get()
    assert key not in str(stored)
    assert key.split("_", 2)[2] not in str(stored)
    assert len(row.key_hash) == 64


def test_a_key_authenticates_its_partner_only(client):
    first, second = make_partner("first"), make_partner("second")
    key = make_key(first)

    found = actions.authenticate_key(key)
    assert found is not None and found.partner == first
    assert _report(client, key).json()["partner"] == "first"
    from forestall.reach.models import ImpressionCount

    assert ImpressionCount.objects.filter(partner=second).count() == 0


@pytest.mark.parametrize(
    "presented",
    ["", "fsr_", "not-a-key", "fsr_0123456789_" + "A" * 43],
)
def test_unknown_and_malformed_keys_get_401(client, presented):
    make_key(make_partner())
    response = _report(client, presented)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


def test_a_key_with_a_changed_secret_is_refused(client):
    key = make_key(make_partner())
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert _report(client, forged).status_code == 401


def test_a_revoked_key_is_refused_at_once(client):
    partner = make_partner()
    row, key = actions.issue_key(partner, by=None)
    assert _report(client, key).status_code == 200

    actions.revoke_key(row, by=None)

    assert _report(client, key).status_code == 401


@override_settings(FORESTALL_REACH_KEY_RATE=3)
def test_each_key_has_its_own_rate_limit(client):
    partner = make_partner()
    busy, other = make_key(partner), make_key(partner)
    for _ in range(3):
        assert _report(client, busy).status_code == 200
    refused = _report(client, busy)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert _report(client, other).status_code == 200


def test_every_key_action_is_audited(network_admin, sign_in):
    client = sign_in(network_admin)
    response = client.post(
        "/staff/reach/partners/new/",
        {
            "name": "Ahmia",
            "slug": "ahmia",
            "kind": "search_engine",
            "languages": "en, de",
            "contact": "abuse@example.org",
        },
    )
    partner = Partner.objects.get(slug="ahmia")
    assert response.status_code == 302
    made = client.post(f"/staff/reach/partners/{partner.pk}/", {"name": "production"})
    key_row = PartnerKey.objects.get(partner=partner)
    client.post(f"/staff/reach/keys/{key_row.pk}/revoke/")

    actions_logged = list(
        AuditEntry.objects.filter(actor=network_admin).values_list("action", flat=True)
    )
    assert "reach.partner.create" in actions_logged
    assert "reach.key.create" in actions_logged
    assert "reach.key.revoke" in actions_logged
    assert made.status_code == 200


def test_the_key_is_shown_once_on_the_page_and_never_again(network_admin, sign_in):
    partner = make_partner()
    client = sign_in(network_admin)

    made = client.post(f"/staff/reach/partners/{partner.pk}/", {"name": "prod"})
    key = made.content.decode().split('id="partner-key">')[1].split("<")[0]
    assert actions.authenticate_key(key) is not None

    later = client.get(f"/staff/reach/partners/{partner.pk}/")
    assert key not in later.content.decode()
    assert f"fsr_{key.split('_')[1]}_" in later.content.decode()
    assert made["Cache-Control"].startswith("no-store") or "no-store" in made["Cache-Control"]


@pytest.mark.parametrize("persona", ["analyst", "clinician_a", "manager_a", "counsellor_a"])
def test_only_network_admins_manage_partners(request, sign_in, persona):
    partner = make_partner()
    row, _key = actions.issue_key(partner, by=None)
    client = sign_in(request.getfixturevalue(persona))

    assert client.get("/staff/reach/").status_code == 404
    assert client.get(f"/staff/reach/partners/{partner.pk}/").status_code == 404
    assert client.post(f"/staff/reach/partners/{partner.pk}/", {"name": "x"}).status_code == 404
    assert client.post(f"/staff/reach/keys/{row.pk}/revoke/").status_code == 404
    assert (
        client.post(
            "/staff/reach/partners/new/", {"name": "x", "slug": "x", "kind": "forum"}
        ).status_code
        == 404
    )
    row.refresh_from_db()
    assert row.is_active
    assert PartnerKey.objects.filter(partner=partner).count() == 1


def test_a_missing_partner_is_the_same_404(network_admin, sign_in):
    import uuid

    assert sign_in(network_admin).get(f"/staff/reach/partners/{uuid.uuid4()}/").status_code == 404


def test_the_command_creates_the_partner_and_prints_a_working_key():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("reach", "partner-key", "forum-x", "--name", "Forum X", stdout=out)
    key = out.getvalue().strip()
    partner = Partner.objects.get(slug="forum-x")
    assert partner.name == "Forum X"
    found = actions.authenticate_key(key)
    assert found is not None and found.partner == partner
    # A second call keeps the partner and adds a key.
    call_command("reach", "partner-key", "forum-x", stdout=StringIO())
    assert Partner.objects.filter(slug="forum-x").count() == 1
    assert partner.keys.count() == 2
    assert AuditEntry.objects.filter(action="reach.key.create").count() == 2


def test_the_command_refuses_a_bad_short_name():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("reach", "partner-key", "Not A Slug")


def test_the_partners_contact_is_encrypted_at_rest(network_admin, sign_in):
    from tests.database_dump import raw_database_text

    sign_in(network_admin).post(
        "/staff/reach/partners/new/",
        {"name": "Forum", "slug": "forum", "kind": "forum", "contact": "jo.trust@forum.example"},
    )
    assert Partner.objects.get(slug="forum").contact == "jo.trust@forum.example"
    assert "jo.trust@forum.example" not in raw_database_text()
