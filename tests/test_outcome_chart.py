"""The per-client SVG chart of a measure and the per-centre outcome figures."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from forestall.instruments import actions
from forestall.instruments.charts import (
    IMPROVED,
    client_charts,
    measure_chart,
    measure_chart_svg,
)
from forestall.instruments.courses import (
    client_course,
    finished_courses,
    outcome_summaries_by_centre,
    outcome_summary,
)
from forestall.instruments.models import Administration
from tests.factories_cases import make_case

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own renderer's output, not untrusted input


def answers_for(total: int, items: int, highest: int = 3) -> list[int]:
    values = []
    for _ in range(items):
        step = min(highest, total)
        values.append(step)
        total -= step
    return values


def record(client, instrument, total, occasion, by, centre, *, days_ago=0):
    items, highest = {"phq9": (9, 3), "gad7": (7, 3), "who5": (5, 5)}[instrument]
    administration = actions.record_administration(
        client,
        instrument,
        answers_for(total, items, highest),
        occasion=occasion,
        by=by,
        centre=centre,
    )
    if days_ago:
        administration.completed_at = timezone.now() - datetime.timedelta(days=days_ago)
        administration.save()
    return administration


@pytest.fixture
def client_a(centre_a):
    return make_case(centre_a).client


@pytest.fixture
def improving_phq9(client_a, clinician_a, centre_a):
    for total, occasion, days_ago in ((18, "intake", 60), (14, "session", 40), (7, "discharge", 1)):
        record(client_a, "phq9", total, occasion, clinician_a, centre_a, days_ago=days_ago)
    return Administration.objects.filter(client=client_a)


def test_the_chart_is_well_formed_svg_without_style_or_script(improving_phq9):
    svg = measure_chart_svg(improving_phq9, "PHQ-9", "en")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert "style" not in svg.lower().replace("font-", "")
    assert "<script" not in svg and "onload" not in svg and "href" not in svg
    for element in root.iter():
        assert "style" not in element.attrib


def test_the_chart_has_a_title_and_a_description_for_screen_readers(improving_phq9):
    root = parse(measure_chart_svg(improving_phq9, "phq9", "en"))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "PHQ-9 over time"
    assert "3 PHQ-9 measurements, from 18 (Moderately severe)" in desc.text
    assert "to 7 (Mild)" in desc.text
    assert "reliable improvement" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_the_bands_are_shaded_and_the_caseness_line_is_dashed(improving_phq9):
    root = parse(measure_chart_svg(improving_phq9, "phq9", "en"))
    bands = [rect for rect in root.iter(f"{SVG}rect")]
    assert [band.find(f"{SVG}title").text for band in bands] == [
        "Minimal",
        "Mild",
        "Moderate",
        "Moderately severe",
        "Severe",
    ]
    assert len({band.get("fill") for band in bands}) == 5
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray") == "6 4"]
    assert dashed, "caseness line"
    assert any("caseness: 10 or more" in (text.text or "") for text in root.iter(f"{SVG}text"))


def test_reliable_change_from_the_first_score_is_marked(improving_phq9):
    root = parse(measure_chart_svg(improving_phq9, "phq9", "en"))
    rings = [
        circle
        for circle in root.iter(f"{SVG}circle")
        if circle.get("r") == "9" and circle.get("stroke") == IMPROVED
    ]
    assert len(rings) == 1  # 18 → 7 is reliable; 18 → 14 is not
    limits = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray") == "2 3"]
    assert len(limits) >= 2  # first ± 6 (12 and 24), plus the legend


def test_a_rise_in_well_being_is_an_improvement(client_a, clinician_a, centre_a):
    record(client_a, "who5", 8, "intake", clinician_a, centre_a, days_ago=30)
    record(client_a, "who5", 16, "session", clinician_a, centre_a)
    chart = measure_chart(Administration.objects.filter(client=client_a), "who5", "en")
    assert [point.change for point in chart.points] == [None, "improved"]


def test_the_chart_speaks_german(improving_phq9):
    chart = measure_chart(improving_phq9, "phq9", "de")
    assert chart.points[-1].band == "Leicht"
    with translation.override("de"):
        html = render_to_string("instruments/_measure_chart.html", {"chart": chart})
    assert "<table" in html and "Leicht" in html


def test_the_include_puts_the_same_data_in_a_table(improving_phq9):
    chart = measure_chart(improving_phq9, "phq9", "en")
    with translation.override("en"):
        html = render_to_string("instruments/_measure_chart.html", {"chart": chart})
    assert html.count("<tr>") == 4  # header + three measurements
    assert "Moderately severe" in html and "reliable improvement" in html
    assert "<svg" in html and "&lt;svg" not in html


def test_an_empty_chart_says_so(client_a):
    chart = measure_chart([], "gad7", "en")
    assert chart.points == []
    assert "No completed GAD-7 yet." in chart.svg


def test_the_client_gets_one_chart_per_instrument_used(client_a, clinician_a, centre_a):
    record(client_a, "phq9", 12, "intake", clinician_a, centre_a)
    record(client_a, "gad7", 9, "intake", clinician_a, centre_a)
    assert [chart.instrument for chart in client_charts(client_a, "en")] == ["gad7", "phq9"]


# --- courses and outcome figures ------------------------------------------------


def course(client, by, centre, first, last, *, days_ago=1):
    record(client, "phq9", first[0], "intake", by, centre, days_ago=days_ago + 60)
    record(client, "gad7", first[1], "intake", by, centre, days_ago=days_ago + 60)
    record(client, "phq9", first[0], "session", by, centre, days_ago=days_ago + 30)
    record(client, "phq9", last[0], "discharge", by, centre, days_ago=days_ago)
    record(client, "gad7", last[1], "discharge", by, centre, days_ago=days_ago)


def test_a_course_runs_from_the_first_measure_to_the_last_discharge(
    client_a, clinician_a, centre_a
):
    course(client_a, clinician_a, centre_a, first=(18, 12), last=(7, 6))
    found = client_course(client_a.pk)
    assert (found.phq9, found.gad7, found.centre_id) == ((18, 7), (12, 6), centre_a.pk)
    assert found.outcome.reliable_recovery is True


def test_outcome_figures_per_centre_and_for_the_network(
    centre_a, centre_b, clinician_a, clinician_b
):
    recovered = make_case(centre_a).client
    course(recovered, clinician_a, centre_a, first=(18, 12), last=(7, 6))
    worse = make_case(centre_a).client
    course(worse, clinician_a, centre_a, first=(11, 8), last=(18, 14))
    never_a_case = make_case(centre_b).client
    course(never_a_case, clinician_b, centre_b, first=(8, 6), last=(1, 1))
    unfinished = make_case(centre_b).client
    record(unfinished, "phq9", 20, "intake", clinician_b, centre_b)
    record(unfinished, "gad7", 15, "intake", clinician_b, centre_b)

    network = outcome_summary()
    assert network.finished_courses == 3
    assert network.at_caseness == 2
    assert network.recovered == 1
    assert network.recovery_rate == 0.5
    assert network.reliable_improvement == 2
    assert network.reliable_improvement_rate == round(2 / 3, 4)
    assert network.reliable_deterioration == 1

    centre = outcome_summary(centre=centre_a)
    assert (centre.finished_courses, centre.recovered, centre.reliable_recovery) == (2, 1, 1)
    other = outcome_summary(centre=centre_b)
    assert (other.finished_courses, other.at_caseness, other.recovery_rate) == (1, 0, None)
    assert other.as_dict()["reliable_improvement_rate"] == 1.0

    by_centre = outcome_summaries_by_centre()
    assert by_centre[centre_a.pk].finished_courses == 2
    assert by_centre[centre_b.pk].finished_courses == 1


def test_outcome_figures_for_a_period(centre_a, clinician_a):
    earlier = make_case(centre_a).client
    course(earlier, clinician_a, centre_a, first=(18, 12), last=(7, 6), days_ago=100)
    recent = make_case(centre_a).client
    course(recent, clinician_a, centre_a, first=(18, 12), last=(17, 11), days_ago=2)
    since = timezone.localdate() - datetime.timedelta(days=30)
    assert outcome_summary(since=since).finished_courses == 1
    assert outcome_summary(until=since).finished_courses == 1
    assert len(finished_courses()) == 2


def test_the_figures_come_from_one_query(centre_a, clinician_a, django_assert_max_num_queries):
    for _ in range(4):
        course(make_case(centre_a).client, clinician_a, centre_a, first=(15, 10), last=(5, 3))
    with django_assert_max_num_queries(1):
        assert outcome_summary().finished_courses == 4
