"""A staff form sent twice (a double click, a reload of the answer to a POST) acts once.

Staff pages have no JavaScript to disable a pressed button. Before, each copy
of a form did its work again: the help-seeker got the same reply twice, a
questionnaire was recorded (and counted in the outcomes) twice, a note
appeared twice. The copy of one rendering of a form (the same CSRF token, the
same fields) now gets the first one's outcome; a form from a fresh page is
always handled, and so is a copy of a form that had errors.
"""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.core.cache import cache

from forestall.cases.models import Note
from forestall.cases.pathway import Stage
from forestall.inbox import actions as inbox_actions
from forestall.inbox.models import Message, MessageAuthor
from forestall.instruments.models import Administration
from forestall.lib import resubmission
from tests.factories_cases import make_case, make_client
from tests.factories_inbox import make_conversation


def _token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_note_sent_twice_from_one_page_is_saved_once(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    form = {"csrfmiddlewaretoken": _token(browser.get(url)), "body": "Talked about the weekend."}

    first = browser.post(url, form)
    second = browser.post(url, form)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Note.objects.filter(case=case).count() == 1
    assert "This form was sent twice. It was acted on once." in _messages(second)


def test_the_same_words_from_a_fresh_page_are_saved_again(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    for _ in range(2):
        form = {"csrfmiddlewaretoken": _token(browser.get(url)), "body": "No answer, try again."}
        assert browser.post(url, form).status_code == 302
    assert Note.objects.filter(case=case).count() == 2


def test_a_form_with_errors_sent_again_is_handled_again(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    form = {"csrfmiddlewaretoken": _token(browser.get(url)), "body": ""}
    assert browser.post(url, form).status_code == 400
    again = browser.post(url, form)
    assert again.status_code == 400
    assert "This form was sent twice" not in again.content.decode()


def test_a_reply_sent_twice_reaches_the_help_seeker_once(sign_in, centre_a, counsellor_a):
    conversation = make_conversation(centre_a)
    inbox_actions.claim_conversation(counsellor_a, conversation)
    browser = sign_in(counsellor_a)
    page = browser.get(f"/staff/inbox/{conversation.pk}/")
    form = {"csrfmiddlewaretoken": _token(page), "body": "Thank you for writing to us."}

    first = browser.post(f"/staff/inbox/{conversation.pk}/reply/", form)
    second = browser.post(f"/staff/inbox/{conversation.pk}/reply/", form)

    assert first.status_code == second.status_code == 302
    assert (
        Message.objects.filter(
            conversation=conversation, author_kind=MessageAuthor.COUNSELLOR
        ).count()
        == 1
    )


def test_a_questionnaire_recorded_twice_from_one_page_counts_once(sign_in, centre_a, clinician_a):
    client = make_client()
    make_case(centre_a, client=client, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/instruments/clients/{client.pk}/record/phq9/"
    page = browser.get(url)
    assert page.status_code == 200
    form: dict[str, str] = {"csrfmiddlewaretoken": _token(page), "occasion": "session"}
    for name in dict.fromkeys(re.findall(r'type="radio" name="([^"]+)"', page.content.decode())):
        form.setdefault(name, "1")

    assert browser.post(url, form).status_code == 302
    assert browser.post(url, form).status_code == 302
    assert Administration.objects.filter(client=client, instrument="phq9").count() == 1


def test_a_copy_that_arrives_while_the_first_is_still_handled_waits_then_says_so(
    sign_in, centre_a, clinician_a, monkeypatch
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    form = {"csrfmiddlewaretoken": _token(browser.get(url)), "body": "Slow connection."}
    # The first copy of this form is being handled right now (another request).
    key = resubmission.form_key(
        browser.session.session_key, url, [(name, [value]) for name, value in form.items()]
    )
    cache.set(key, "pending", 60)
    monkeypatch.setattr(resubmission, "WAIT_SECONDS", 0.3)

    response = browser.post(url, form)

    assert response.status_code == 409
    assert "This form is still being handled" in response.content.decode()
    assert not Note.objects.filter(case=case).exists()


def test_a_post_without_a_form_token_is_never_taken_for_a_copy(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    browser.post(url, {"body": "Deliberately twice."})
    browser.post(url, {"body": "Deliberately twice."})
    assert Note.objects.filter(case=case).count() == 2


def test_the_german_page_says_it_in_german(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(clinician_a)
    url = f"/staff/cases/{case.pk}/notes/"
    form = {"csrfmiddlewaretoken": _token(browser.get(url)), "body": "Kurz telefoniert."}
    browser.post(url, form, HTTP_ACCEPT_LANGUAGE="de")
    second = browser.post(url, form, follow=True, HTTP_ACCEPT_LANGUAGE="de")
    assert "Dieses Formular wurde zweimal gesendet" in second.content.decode()
