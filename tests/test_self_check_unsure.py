"""Not knowing is never "no" on a risk question of the self-check.

An outsider answered "I am not sure" to "Could a child be at risk of harm
right now?" and got the ordinary result: a mailbox answered "within a few
days", as if the answer had been "no". Version 3 of the self-check meets "not
sure" with urgent help of its own (``child_unsure``): the help reachable now
and a calm push to write or call now. Version 2 stays as it was, so that what
was recommended under it can be reproduced. "I would rather not say" to the
self-harm question is not "no" either: the crisis line comes above any result.
"""

from __future__ import annotations

import itertools

import pytest

from forestall.instruments.catalogue import catalogue
from forestall.instruments.scoring import recommend
from forestall.stats.events import Detail, Event
from forestall.stats.models import DailyCount

UNSURE = {"not_sure", "rather_not_say", "dont_know"}
# The questions about a danger to a child or to the person; "What kind of help
# would you like?" and "What worries you most?" are not about risk.
RISK_ITEMS = {"child_at_risk", "urgency", "self_harm"}


def _every_answer_combination(definition, **fixed):
    items = [item for item in definition.items if item.id not in fixed]
    for values in itertools.product(*[[None, *item.values] for item in items]):
        answers = dict(zip([item.id for item in items], values, strict=True))
        answers.update(fixed)
        yield answers


def test_not_sure_whether_a_child_is_at_risk_is_urgent_whatever_else_was_answered():
    definition = catalogue().get("self-check")
    for answers in _every_answer_combination(definition, child_at_risk="not_sure"):
        advice = recommend(answers, "en")
        assert advice.urgent, (answers, advice.step)


def test_not_sure_alone_gets_its_own_calm_urgent_step():
    advice = recommend({"child_at_risk": "not_sure"}, "en")
    assert (advice.step, advice.urgent, advice.version) == ("child_unsure", True, 3)
    assert "You do not have to be sure" in advice.feedback
    german = recommend({"child_at_risk": "not_sure"}, "de")
    assert "Sie müssen sich nicht sicher sein" in german.feedback


def test_version_2_still_recommends_what_it_recommended():
    advice = recommend({"child_at_risk": "not_sure"}, "en", version=2)
    assert (advice.step, advice.urgent) == ("write_to_counsellor", False)


def test_no_unsure_answer_on_a_risk_question_is_treated_as_no():
    """Each "unsure" option of a risk question leads further than the answer "no"."""
    definition = catalogue().get("self-check")
    for item in definition.items:
        if item.id not in RISK_ITEMS:
            continue
        for unsure in UNSURE & {str(value) for value in item.values}:
            if item.id == "self_harm":
                continue  # shown the crisis line on the page: the test below
            assert recommend({item.id: unsure}, "en").urgent, item.id


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "title", "write_now"),
    [
        ("", "Not sure is reason enough to talk to someone now", "marked urgent"),
        ("/de", "Unsicher zu sein ist Grund genug", "als dringend markiert"),
    ],
)
def test_the_unsure_result_page_offers_the_help_reachable_now(client, prefix, title, write_now):
    page = client.post(
        f"{prefix}/self-check/", {"worry": "someone_else", "child_at_risk": "not_sure"}
    ).content.decode()
    assert title in page
    help_now = page.split('id="help-now"')[1]
    assert 'href="tel:112"' in help_now and 'href="tel:110"' in help_now
    assert write_now in help_now
    assert "urgent=" in help_now
    assert "within a few days" not in page and "innerhalb weniger Tage" not in page
    assert DailyCount.objects.get(event=Event.SELF_CHECK_COMPLETED).detail == Detail.URGENT


@pytest.mark.django_db
def test_rather_not_saying_about_self_harm_puts_the_crisis_line_above_the_result(client):
    page = client.post(
        "/self-check/", {"self_harm": "rather_not_say", "help_wanted": "read"}
    ).content.decode()
    assert page.index("Talk to someone now") < page.index("<h1>")
    assert page.index('href="tel:116123"') < page.index("<h1>")
