"""A positive answer on PHQ-9 item 9 is seen where it matters, with the next step.

Where the result is recorded (the message after saving), on the client's
measures page and on the case page of every clinician of the case, and as a
task due today on the case, also when the client answered in the mailbox.
"""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.utils import timezone

from forestall.cases.models import Task
from forestall.cases.pathway import Stage
from forestall.instruments import actions
from tests.factories_cases import make_case, make_client, make_mailbox

FLAG = "Thoughts of being better off dead or of self-harm (item 9)"


def _answers(item9: int) -> dict[str, str]:
    return {**{f"q{i}": "1" for i in range(1, 9)}, "q9": str(item9), "occasion": "session"}


def test_recording_a_positive_item_9_says_so_and_gives_the_next_step(
    sign_in, centre_a, clinician_a, manager_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    case.lead_clinician = clinician_a
    case.save(update_fields=["lead_clinician"])
    browser = sign_in(clinician_a)
    url = f"/staff/instruments/clients/{case.client_id}/record/phq9/"

    response = browser.post(url, {**_answers(2), "next": f"/staff/cases/{case.pk}/"})

    assert response.status_code == 302
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(FLAG in text and "risk assessment" in text for text in said)
    # The case page, for every clinician of the case, shows it prominently with the next step.
    for person in (clinician_a, manager_a):
        page = sign_in(person).get(f"/staff/cases/{case.pk}/").content.decode()
        assert "Risk: act today" in page and FLAG in page
        assert f"/staff/cases/{case.pk}/concern/" in page
    measures = browser.get(f"/staff/instruments/clients/{case.client_id}/").content.decode()
    assert "Risk: act today" in measures
    task = Task.objects.get(case=case)
    assert task.assignee == clinician_a
    assert task.due_on == timezone.localdate()
    assert "Risk assessment" in task.display_title


def test_a_later_answer_without_the_flag_clears_the_warning(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/instruments/clients/{case.client_id}/record/phq9/"
    browser.post(url, _answers(1))
    assert "Risk: act today" in browser.get(f"/staff/cases/{case.pk}/").content.decode()

    browser.post(url, _answers(0))

    assert "Risk: act today" not in browser.get(f"/staff/cases/{case.pk}/").content.decode()


def test_a_later_answer_that_leaves_item_9_out_keeps_the_warning(sign_in, centre_a, clinician_a):
    """Item 9 may be skipped (two missing items are prorated): that is no all-clear."""
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/instruments/clients/{case.client_id}/record/phq9/"
    browser.post(url, _answers(2))
    skipped = {key: value for key, value in _answers(0).items() if key != "q9"}
    assert browser.post(url, skipped).status_code == 302

    for page in (f"/staff/cases/{case.pk}/", f"/staff/instruments/clients/{case.client_id}/"):
        assert "Risk: act today" in browser.get(page).content.decode()

    browser.post(url, _answers(0))
    for page in (f"/staff/cases/{case.pk}/", f"/staff/instruments/clients/{case.client_id}/"):
        assert "Risk: act today" not in browser.get(page).content.decode()


def test_a_negative_item_9_raises_nothing(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    sign_in(clinician_a).post(
        f"/staff/instruments/clients/{case.client_id}/record/phq9/", _answers(0)
    )
    assert not Task.objects.filter(case=case).exists()


def test_an_answer_from_the_mailbox_puts_a_task_on_the_case(centre_a, clinician_a, sign_in):
    client = make_client(mailbox=make_mailbox())
    case = make_case(centre_a, stage=Stage.IN_TREATMENT, client=client)
    pending = actions.send_to_mailbox(
        client, "phq9", occasion="session", by=clinician_a, centre=centre_a
    )

    actions.complete_from_mailbox(pending, {f"q{i}": 0 for i in range(1, 9)} | {"q9": 3})

    task = Task.objects.get(case=case)
    assert task.due_on == timezone.localdate()
    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Risk: act today" in page
