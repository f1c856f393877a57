"""The research pages on the staff side: the export download and consent on a case."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest

from forestall.audit.models import AuditEntry
from forestall.research.models import ResearchConsent
from tests import research_network
from tests.research_network import CANARIES, STAFF_NAME

pytestmark = pytest.mark.django_db

EXPORT_URL = "/staff/research/"


@pytest.fixture
def network(centre_a, centre_b):
    return research_network.build(centre_a, centre_b)


def download(client, study, **fields):
    response = client.post(EXPORT_URL, {"study": str(study.pk), **fields})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    return response, zipfile.ZipFile(io.BytesIO(body))


@pytest.mark.parametrize("persona", ["analyst", "network_admin"])
def test_analysts_and_network_admins_download_the_export_as_a_zip(
    request, network, sign_in, persona
):
    user = request.getfixturevalue(persona)
    client = sign_in(user)
    assert client.get(EXPORT_URL).status_code == 200
    response, bundle = download(client, network.study, from_month="2026-01", to_month="2026-12")
    assert f"forestall-research-{network.study.slug}-" in response["Content-Disposition"]
    names = set(bundle.namelist())
    assert {"cases.csv", "codebook.csv", "codebook.md", "manifest.json"} <= names
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["row_counts"]["cases.csv"] == 6
    blob = b"".join(bundle.read(name) for name in names)
    for canary in (*CANARIES.values(), STAFF_NAME):
        assert canary.encode() not in blob
    entry = AuditEntry.objects.get(action="research.export")
    assert entry.actor_username == user.username
    assert entry.target_id == network.study.pk


@pytest.mark.parametrize(
    "persona", ["clinician_a", "manager_a", "counsellor_a", "safeguarding_lead_a", "outsider"]
)
def test_other_roles_get_404_and_nothing_is_exported(request, network, sign_in, persona):
    client = sign_in(request.getfixturevalue(persona))
    assert client.get(EXPORT_URL).status_code == 404
    assert client.post(EXPORT_URL, {"study": str(network.study.pk)}).status_code == 404
    assert not AuditEntry.objects.filter(action="research.export").exists()


def test_signed_out_visitors_are_sent_to_the_sign_in(network, client):
    response = client.get(EXPORT_URL)
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


@pytest.mark.parametrize(
    "fields",
    [
        {"from_month": "March"},
        {"to_month": "9999-12"},
        {"from_month": "2026-05", "to_month": "2026-01"},
        {"study": "not-a-uuid"},
        {"centres": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_bad_input_gets_a_400_with_the_form_again(network, sign_in, analyst, fields):
    client = sign_in(analyst)
    data = {"study": str(network.study.pk), **fields}
    response = client.post(EXPORT_URL, data)
    assert response.status_code == 400
    assert b'class="error"' in response.content
    assert not AuditEntry.objects.filter(action="research.export").exists()


def test_a_clinician_records_and_withdraws_research_consent_on_the_case(
    centre_a, clinician_a, sign_in
):
    study = research_network.make_study()
    case = research_network.open_case(centre_a)
    client = sign_in(clinician_a)
    case_page = client.get(f"/staff/cases/{case.pk}/")
    consent_url = f"/staff/research/cases/{case.pk}/consent/"
    assert consent_url.encode() in case_page.content
    assert client.get(consent_url).status_code == 200
    response = client.post(consent_url, {"study": str(study.pk), "given_on": "2026-03-10"})
    assert response.status_code == 302
    consent = ResearchConsent.objects.get(case=case, study=study)
    assert consent.given_on == datetime.date(2026, 3, 10) and consent.in_force
    assert AuditEntry.objects.filter(
        action="research.consent_recorded", target_id=consent.pk
    ).exists()
    again = client.post(consent_url, {"study": str(study.pk), "given_on": "2026-03-11"})
    assert again.status_code == 400
    response = client.post(
        f"/staff/research/consents/{consent.pk}/withdraw/", {"withdrawn_on": "2026-04-02"}
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == datetime.date(2026, 4, 2)
    assert AuditEntry.objects.filter(action="research.consent_withdrawn").exists()


def test_consent_in_the_future_is_refused(centre_a, clinician_a, sign_in):
    study = research_network.make_study()
    case = research_network.open_case(centre_a)
    client = sign_in(clinician_a)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = client.post(
        f"/staff/research/cases/{case.pk}/consent/", {"study": str(study.pk), "given_on": tomorrow}
    )
    assert response.status_code == 400
    assert not ResearchConsent.objects.exists()


def test_a_refused_withdrawal_says_why_and_keeps_the_date_in_its_row(
    centre_a, clinician_a, sign_in
):
    """The withdrawal's own message and the typed date came back as a fresh, silent form."""
    case = research_network.open_case(centre_a)
    first = research_network.consent(case, research_network.make_study())
    second = research_network.consent(case, research_network.make_study("follow-up-2027"))
    client = sign_in(clinician_a)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()

    response = client.post(
        f"/staff/research/consents/{first.pk}/withdraw/", {"withdrawn_on": future}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("A withdrawal cannot be in the future.") == 1
    assert f'value="{future}"' in page and f'id="withdraw-{first.pk}-withdrawn_on"' in page
    # Each row has its own form: no id twice on the page.
    assert f'id="withdraw-{second.pk}-withdrawn_on"' in page
    assert page.count('id="id_withdrawn_on"') == 0
    first.refresh_from_db()
    assert first.in_force


@pytest.mark.parametrize("persona", ["clinician_b", "analyst", "counsellor_a", "outsider"])
def test_consent_pages_of_a_case_outside_ones_work_are_404(request, centre_a, persona, sign_in):
    study = research_network.make_study()
    case = research_network.open_case(centre_a)
    consent = research_network.consent(case, study)
    client = sign_in(request.getfixturevalue(persona))
    assert client.get(f"/staff/research/cases/{case.pk}/consent/").status_code == 404
    response = client.post(
        f"/staff/research/consents/{consent.pk}/withdraw/", {"withdrawn_on": "2026-04-02"}
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.in_force


def test_the_research_pages_render_in_german(centre_a, clinician_a, analyst, sign_in):
    study = research_network.make_study()
    case = research_network.open_case(centre_a)
    research_network.consent(case, study)
    for user in (clinician_a, analyst):
        user.language = "de"
        user.save()
    consent_page = sign_in(clinician_a).get(
        f"/staff/research/cases/{case.pk}/consent/", HTTP_ACCEPT_LANGUAGE="de"
    )
    html = consent_page.content.decode()
    assert "Forschungs\u00adeinwilligung" in html and "Widerruf erfassen" in html
    export_page = sign_in(analyst).get(EXPORT_URL, HTTP_ACCEPT_LANGUAGE="de")
    assert "Forschungsexport" in export_page.content.decode()
    bad = sign_in(analyst).post(
        EXPORT_URL, {"study": str(study.pk), "from_month": "März"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert bad.status_code == 400
    assert "Bitte einen Monat als JJJJ-MM angeben" in bad.content.decode()
