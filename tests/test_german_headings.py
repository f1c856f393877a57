"""Long German compounds in staff headings break with a hyphen at phone width.

Chromium on Linux has no German hyphenation dictionary, so ``hyphens: auto``
does nothing there and ``overflow-wrap: break-word`` cut "Risikoeinschätzung"
into "Risikoeinschätzun" / "g" in the task page's heading at 375 px. The
translations now carry a soft hyphen (U+00AD) where such a word may break;
the word reads and is found (Ctrl+F, screen readers) as before.
"""

from __future__ import annotations

import re

from django.test import Client

from forestall.cases.models import Task, TaskKind
from forestall.cases.pathway import Stage
from tests import research_network
from tests.factories_cases import make_case, record_phq9

SHY = "\u00ad"
# The longest word that fits a staff heading at 375 px without a break
# (measured in Chromium: "Nachrichtenkatalog", 18 letters, fits an h2).
LONGEST_UNBROKEN = 17


def _headings(page: str) -> list[str]:
    found = re.findall(r"<h([12])[^>]*>(.*?)</h\1>", page, re.S)
    return [re.sub(r"<[^>]+>", "", text) for _level, text in found]


def _too_long(page: str) -> list[str]:
    """Words in the page's headings too long for a phone, with nowhere to break."""
    return [
        word
        for heading in _headings(page)
        for word in re.findall(r"[^\s\-/:;,.()]+", heading)
        if len(word) > LONGEST_UNBROKEN and SHY not in word
    ]


def _german(client: Client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_risk_assessment_heading_breaks_at_its_soft_hyphens(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    record_phq9(browser, case, 1)
    task = Task.objects.get(case=case, kind=TaskKind.RISK_ASSESSMENT)

    page = _german(browser, f"/staff/cases/tasks/{task.pk}/done/")

    [title] = [heading for heading in _headings(page) if "PHQ-9" in heading]
    assert f"Heute Risiko{SHY}einschätzung" in title
    assert f"Selbst{SHY}verletzung" in title and f"Kinderschutz{SHY}anliegen" in title
    assert _too_long(page) == []
    # Without its soft hyphens the heading reads exactly as before.
    assert title.replace(SHY, "").startswith("Heute Risikoeinschätzung: PHQ-9, Frage zur")


def test_other_long_compounds_in_staff_headings_have_soft_hyphens(
    sign_in, centre_a, clinician_a, counsellor_a, network_admin
):
    from tests.factories_inbox import make_conversation

    study = research_network.make_study()
    research_case = research_network.open_case(centre_a)
    research_network.consent(research_case, study)
    conversation = make_conversation(centre_a)
    pages = {
        f"/staff/research/cases/{research_case.pk}/consent/": (
            clinician_a,
            f"Forschungs{SHY}einwilligung",
        ),
        f"/staff/inbox/{conversation.pk}/": (counsellor_a, f"Kontakt{SHY}zusammenfassung"),
        "/staff/reach/variants/new/": (network_admin, f"Nachrichten{SHY}variante"),
    }
    for url, (person, word) in pages.items():
        page = _german(sign_in(person), url)
        assert any(word in heading for heading in _headings(page)), url
        assert _too_long(page) == [], url
