"""Every staff home page shows what waits for that person, and the menu only what they can open."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.cases.models import Appointment, Referral, ReferralReason, Stage
from forestall.safeguarding.models import ConcernStatus, Level
from tests.factories import make_user
from tests.factories_cases import make_case, make_concern
from tests.factories_inbox import make_conversation


def _waiting(client) -> dict[str, int]:
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    return {item.key: item.count for item in response.context["waiting"]}


@pytest.fixture
def a_busy_day(
    centre_a, centre_b, counsellor_a, clinician_a, safeguarding_lead_a, second_safeguarding_lead_a
):
    """Work at centre A, and the same again at centre B that A's staff must not see."""
    for centre in (centre_a, centre_b):
        make_conversation(centre, urgent=True)
        make_conversation(centre)
        flagged = make_conversation(centre)
        flagged.flagged_urgent = True
        flagged.save()
        conversation = make_conversation(centre)
        make_concern(conversation=conversation, level=Level.IMMEDIATE_RISK)
        proposed = make_concern(conversation=conversation, level=Level.CONCERN)
        proposed.status = ConcernStatus.AWAITING_APPROVAL
        proposed.decision = "disclosure"
        proposed.proposed_by = second_safeguarding_lead_a
        proposed.save()
    sending = make_case(centre_b, stage=Stage.SCREENING)
    Referral.objects.create(
        case=sending,
        from_centre=centre_b,
        to_centre=centre_a,
        programme="individual_therapy",
        reason=ReferralReason.choices[0][0],
        consent_given=True,
    )
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    now = timezone.localtime()
    today_noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    Appointment.objects.create(
        centre=centre_a, case=case, clinician=clinician_a, starts_at=today_noon
    )
    Appointment.objects.create(
        centre=centre_a,
        case=case,
        clinician=clinician_a,
        starts_at=today_noon + datetime.timedelta(days=1),
    )
    Appointment.objects.create(
        centre=centre_a,
        case=case,
        clinician=clinician_a,
        starts_at=today_noon,
        cancelled_at=now,
    )
    Appointment.objects.create(centre=centre_b, case=make_case(centre_b), starts_at=today_noon)


def test_a_counsellor_sees_urgent_and_waiting_conversations_of_their_centre(
    a_busy_day, counsellor_a, sign_in
):
    assert _waiting(sign_in(counsellor_a)) == {
        "urgent_conversations": 2,
        "conversations": 4,
        "overdue": 0,
    }


def test_a_safeguarding_lead_sees_immediate_risk_and_disclosures_for_a_second_lead(
    a_busy_day, safeguarding_lead_a, second_safeguarding_lead_a, sign_in
):
    assert _waiting(sign_in(safeguarding_lead_a)) == {"immediate_risk": 1, "second_lead": 1}
    # The lead who proposed the disclosure cannot approve it: nothing waits for them there.
    assert _waiting(sign_in(second_safeguarding_lead_a))["second_lead"] == 0


def test_a_clinician_sees_referrals_to_answer_and_their_appointments_today(
    a_busy_day, clinician_a, sign_in
):
    assert _waiting(sign_in(clinician_a)) == {"referrals": 1, "appointments_today": 1}


def test_a_manager_sees_the_centres_appointments_today(a_busy_day, manager_a, centre_a, sign_in):
    Appointment.objects.create(
        centre=centre_a, case=make_case(centre_a), starts_at=timezone.localtime().replace(hour=9)
    )
    assert _waiting(sign_in(manager_a)) == {"referrals": 1, "appointments_today": 2}


def test_an_analyst_and_an_outsider_are_told_of_nothing(a_busy_day, analyst, outsider, sign_in):
    for user in (analyst, outsider):
        response = sign_in(user).get(reverse("accounts:home"))
        assert response.context["waiting"] == []
        assert "What waits for you" not in response.content.decode()


def test_the_counts_are_shown_with_links(a_busy_day, counsellor_a, sign_in):
    page = sign_in(counsellor_a).get(reverse("accounts:home")).content.decode()
    assert "What waits for you" in page
    assert 'id="waiting-urgent_conversations" class="has-work"' in page


def _menu(client) -> list[str]:
    response = client.get(reverse("accounts:home"))
    return [section.url for section in response.context["staff_sections"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("counsellor_a", ["/staff/", "/staff/inbox/"]),
        ("clinician_a", ["/staff/", "/staff/cases/", "/staff/instruments/"]),
        ("safeguarding_lead_a", ["/staff/", "/staff/safeguarding/"]),
        ("analyst", ["/staff/", "/staff/statistics/", "/staff/reach/results/"]),
        ("outsider", ["/staff/"]),
        (
            "manager_a",
            [
                "/staff/",
                "/staff/inbox/",
                "/staff/cases/",
                "/staff/instruments/",
                "/staff/statistics/",
                "/staff/centres/",
                "/staff/audit/",
            ],
        ),
        (
            "network_admin",
            [
                "/staff/",
                "/staff/cases/",
                "/staff/instruments/",
                "/staff/statistics/",
                "/staff/centres/",
                "/staff/audit/",
                "/staff/content/",
                "/staff/self-help/",
                "/staff/reach/",
            ],
        ),
    ],
)
def test_the_menu_shows_only_sections_the_person_can_open(request, sign_in, persona, expected):
    user = request.getfixturevalue(persona)
    client = sign_in(user)
    assert _menu(client) == expected
    page = client.get(reverse("accounts:home")).content.decode()
    nav = page[page.index("<nav") : page.index("</nav>")]
    for url in ("/staff/inbox/", "/staff/safeguarding/", "/staff/audit/"):
        assert (f'href="{url}"' in nav) == (url in expected)


def test_every_menu_entry_opens(request, sign_in):
    for persona in ("counsellor_a", "clinician_a", "safeguarding_lead_a", "analyst", "manager_a"):
        client = sign_in(request.getfixturevalue(persona))
        for url in _menu(client):
            assert client.get(url).status_code == 200, (persona, url)


def test_no_e_mail_is_sent_unless_switched_on(a_busy_day, counsellor_a):
    counsellor_a.email = "counsellor@example.org"
    counsellor_a.save()
    call_command("notify-waiting")
    assert mail.outbox == []


def test_the_e_mail_says_only_that_something_waits(a_busy_day, counsellor_a, analyst, settings):
    settings.FORESTALL_NOTIFY_BY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user in (counsellor_a, analyst):
        user.email = f"{user.username}@example.org"
        user.save()
    call_command("notify-waiting")
    assert [message.to for message in mail.outbox] == [["counsellor_a@example.org"]]
    message = mail.outbox[0]
    assert message.subject == "Something is waiting for you in forestall"
    text = message.subject + message.body
    for leak in ("urgent", "Centre", "conversation", "M-", "http", "2", "5"):
        assert leak not in text


def test_the_e_mail_is_in_the_person_s_language(a_busy_day, counsellor_a, settings):
    settings.FORESTALL_NOTIFY_BY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    counsellor_a.email = "c@example.org"
    counsellor_a.language = "de"
    counsellor_a.save()
    call_command("notify-waiting")
    assert mail.outbox[0].subject != "Something is waiting for you in forestall"


def test_other_roles_roles_are_not_counted(centre_a, sign_in):
    user = make_user(Role.COUNSELLOR, centre_a, username="c2")
    assert _waiting(sign_in(user)) == {
        "urgent_conversations": 0,
        "conversations": 0,
        "overdue": 0,
    }


def test_the_menu_and_the_waiting_list_are_in_german(a_busy_day, counsellor_a, sign_in):
    counsellor_a.language = "de"
    counsellor_a.save()
    response = sign_in(counsellor_a).get(reverse("accounts:home"))
    labels = [section.label for section in response.context["staff_sections"]]
    assert "Inbox" not in labels and "Home" not in labels
    page = response.content.decode()
    assert "Was auf Sie wartet" in page
    assert "Dringende Gespräche" in page


def test_a_counsellor_sees_how_many_are_over_their_target(counsellor_a, centre_a, sign_in):
    make_conversation(centre_a, urgent=True, waited=datetime.timedelta(hours=5))
    make_conversation(centre_a, waited=datetime.timedelta(hours=5))
    assert _waiting(sign_in(counsellor_a))["overdue"] == 1


# --- The header is kept per process, per menu and language (staff/base.html) ----


def _header(client, path: str = "/staff/") -> str:
    page = client.get(path).content.decode()
    return page[page.index('<header class="staff-header">') : page.index("</header>")]


def test_each_person_sees_their_own_menu_in_the_kept_header(
    counsellor_a, clinician_a, network_admin, sign_in
):
    for _round in range(2):  # the second round is served from the kept headers
        assert 'href="/staff/inbox/"' in _header(sign_in(counsellor_a))
        assert 'href="/staff/cases/"' not in _header(sign_in(counsellor_a))
        clinician = _header(sign_in(clinician_a))
        assert 'href="/staff/cases/"' in clinician
        assert 'href="/staff/content/"' not in clinician
        assert 'href="/staff/content/"' in _header(sign_in(network_admin))


def test_the_kept_header_marks_the_page_it_is_on(clinician_a, sign_in):
    client = sign_in(clinician_a)
    for _round in range(2):
        assert '<a href="/staff/" aria-current="page">' in _header(client, "/staff/")
        on_cases = _header(client, "/staff/cases/")
        assert '<a href="/staff/cases/" aria-current="page">' in on_cases
        assert '<a href="/staff/" aria-current="page">' not in on_cases


def test_the_kept_header_is_in_each_persons_language(clinician_a, sign_in):
    from tests.factories import make_user

    german = make_user(Role.CLINICIAN, clinician_a.memberships.get().centre, username="klinik")
    german.language = "de"
    german.save()
    for _round in range(2):
        assert "Account security" in _header(sign_in(clinician_a))
        assert "Account security" not in _header(sign_in(german))
        assert "Abmelden" in _header(sign_in(german))


def test_the_sign_out_form_has_each_requests_own_token(clinician_a, counsellor_a, sign_in):
    import re

    tokens = {
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _header(sign_in(user)))[1]
        for user in (clinician_a, counsellor_a, clinician_a)
    }
    assert len(tokens) == 3
