"""An export audit entry means a file was handed out; a HEAD request hands out none.

The defect: Django runs a view in full for HEAD and drops the body only
afterwards, so a HEAD on a staff CSV download (a link checker, a download
manager asking for the size, a browser prefetch) wrote a
``statistics.export`` entry for a file nobody received. Each download is
listed below with what it does for HEAD; a new one fails the source test
until it is listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forestall.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent / "forestall"

# Every module that hands out a file, and what a HEAD request gets there.
DOWNLOADS = {
    "stats/staff_views.py": "dashboard CSVs: HEAD gets the headers, no file, no audit entry",
    "reach/staff_views.py": "reach results CSV: HEAD gets the headers, no file, no audit entry",
    "research/staff_views.py": "research export: the file answers only a POST (audited); HEAD "
    "and GET show the form",
    "stats/public_views.py": "public open data: no personal data, not audited (public)",
}
_MARKS = ("Content-Disposition", "FileResponse(", "staff_download(")


def test_every_module_that_hands_out_a_file_is_listed():
    found = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.name != "spreadsheet.py" and any(mark in path.read_text() for mark in _MARKS)
    }
    assert found == set(DOWNLOADS)


STAFF_DOWNLOADS = [
    ("analyst", "/staff/statistics/csv/", "statistics.export"),
    ("manager_a", "/staff/statistics/centres/{centre_a}/csv/", "statistics.export"),
    ("analyst", "/staff/reach/results/csv/", "reach.results.export"),
]


@pytest.mark.parametrize(("persona", "url", "action"), STAFF_DOWNLOADS)
def test_a_head_request_hands_out_no_file_and_records_no_export(
    request, sign_in, centre_a, persona, url, action
):
    client = sign_in(request.getfixturevalue(persona))
    url = url.format(centre_a=centre_a.pk)

    head = client.head(url)

    assert head.status_code == 200
    assert head["Content-Disposition"].startswith("attachment;")
    assert head["Content-Type"] == "text/csv; charset=utf-8"
    assert head.content == b""
    assert not AuditEntry.objects.filter(action=action).exists()

    got = client.get(url)

    assert got.status_code == 200
    assert int(head["Content-Length"]) == len(got.content)
    assert AuditEntry.objects.filter(action=action).count() == 1


@pytest.mark.parametrize(("persona", "url", "action"), STAFF_DOWNLOADS)
def test_a_head_request_from_someone_not_allowed_is_the_same_404(
    request, sign_in, centre_a, clinician_b, persona, url, action
):
    url = url.format(centre_a=centre_a.pk)
    assert sign_in(clinician_b).head(url).status_code == 404
    assert not AuditEntry.objects.filter(action=action).exists()


def test_a_head_request_on_the_research_export_page_exports_nothing(sign_in, network_admin):
    response = sign_in(network_admin).head("/staff/research/")
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="research.export").exists()
