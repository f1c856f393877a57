"""The vocabulary of de-identified funnel events and their dimensions.

Every capability reports what happened through ``forestall.stats.actions.record``
using one of these names; nothing about the person travels with it. The
``detail`` of an event is one value of ``Detail`` (never free text), and a
duration is kept only as one of the coarse ``DurationBucket`` ranges.

Which ``detail`` goes with which event:

- ``self_check_completed``: the recommended next step (``self_help``,
  ``write_to_counsellor``, ``contact_centre``, ``urgent``).
- ``course_finished``: whether the person was at caseness at the start
  (``at_caseness`` / ``not_at_caseness``); the outcome of the course is
  recorded as its own events (``recovered``, ``reliably_improved``,
  ``reliably_deteriorated``), once per finished course where it applies.
- ``concern_raised``: the level (``low``, ``medium``, ``high``, ``urgent``);
  ``concern_decided``: the decision (``no_further_action``, ``advice_given``,
  ``plan_agreed``, ``disclosure``), with ``duration`` = raised → decided.
- ``protective_action_agreed`` / ``protective_action_taken``: the kind of
  action (``stop_sites``, ``blocking_software``, ``tell_trusted_person``,
  ``contact_centre``, ``avoid_alone_with_children``, ``self_help``,
  ``see_doctor``, ``other``), as in ``inbox.models.ProtectiveActionKind``.
- ``waitlisted`` / ``therapy_started``: the programme (``individual_therapy``,
  ``group_therapy``, ``young_people``); ``therapy_started`` carries the time on the waiting list
  as ``duration``.
- exits (``not_suitable``, ``referred_elsewhere``, ``withdrew``,
  ``lost_contact``) and ``case_closed``: the pathway stage the case was at
  (``enquiry``, ``screening``, ``assessment``, ``waiting_list``,
  ``in_treatment``, ``aftercare``).
- ``first_reply_sent``: ``duration`` = first message → first reply.
- ``reply_sent``: every reply to a person who was waiting, with whether it
  met the queue's reply-time target (``within_target`` / ``target_missed``).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    REACH_LANDING = "reach_landing", _("Arrived from a warning on a partner platform")
    SELF_CHECK_COMPLETED = "self_check_completed", _("Self-check completed")
    MAILBOX_STARTED = "mailbox_started", _("Mailbox started")
    MAILBOX_DELETED = "mailbox_deleted", _("Mailbox deleted by its owner")
    CONTACT = "contact", _("First message received (contact)")
    FIRST_REPLY_SENT = "first_reply_sent", _("First reply sent")
    REPLY_SENT = "reply_sent", _("Reply sent to a waiting person")
    CONVERSATION_REFERRED = "conversation_referred", _("Conversation referred to a centre")
    PROTECTIVE_ACTION_AGREED = "protective_action_agreed", _("Protective action agreed")
    PROTECTIVE_ACTION_TAKEN = "protective_action_taken", _("Protective action taken")
    CASE_OPENED = "case_opened", _("Case opened (enquiry)")
    SCREENED = "screened", _("Screened")
    ASSESSED = "assessed", _("Assessed")
    WAITLISTED = "waitlisted", _("Placed on a waiting list")
    THERAPY_STARTED = "therapy_started", _("Therapy started")
    THERAPY_COMPLETED = "therapy_completed", _("Therapy completed")
    NOT_SUITABLE = "not_suitable", _("Not suitable")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred elsewhere")
    WITHDREW = "withdrew", _("Withdrew")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    CASE_CLOSED = "case_closed", _("Case closed")
    CONCERN_RAISED = "concern_raised", _("Safeguarding concern raised")
    CONCERN_DECIDED = "concern_decided", _("Safeguarding concern decided")
    COURSE_FINISHED = "course_finished", _("Course of outcome measures finished")
    RECOVERED = "recovered", _("Recovered (outcome of a finished course)")
    RELIABLY_IMPROVED = (
        "reliably_improved",
        _("Reliable improvement (outcome of a finished course)"),
    )
    RELIABLY_DETERIORATED = (
        "reliably_deteriorated",
        _("Reliable deterioration (outcome of a finished course)"),
    )


# Events that end a case before therapy is completed: the losses of the funnel.
EXIT_EVENTS = (
    Event.NOT_SUITABLE,
    Event.REFERRED_ELSEWHERE,
    Event.WITHDREW,
    Event.LOST_CONTACT,
)


class Detail(models.TextChoices):
    """The only values ``detail`` may take (see the module docstring for which goes where)."""

    # Self-check: recommended next step.
    SELF_HELP = "self_help", _("Self-help reading")
    WRITE_TO_COUNSELLOR = "write_to_counsellor", _("Write to a counsellor")
    CONTACT_CENTRE = "contact_centre", _("Contact a centre")
    URGENT = "urgent", _("Urgent")
    # Outcome courses: caseness at the start.
    AT_CASENESS = "at_caseness", _("At caseness at the start")
    NOT_AT_CASENESS = "not_at_caseness", _("Not at caseness at the start")
    # Safeguarding concern level.
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    # Safeguarding decision.
    NO_FURTHER_ACTION = "no_further_action", _("No further action")
    ADVICE_GIVEN = "advice_given", _("Advice given")
    PLAN_AGREED = "plan_agreed", _("Plan agreed with the person")
    DISCLOSURE = "disclosure", _("Disclosure to an outside agency")
    # Protective actions.
    STOP_SITES = "stop_sites", _("Stop using certain sites or apps")
    BLOCKING_SOFTWARE = "blocking_software", _("Install blocking software")
    TELL_TRUSTED_PERSON = "tell_trusted_person", _("Tell a trusted person")
    AVOID_ALONE_WITH_CHILDREN = (
        "avoid_alone_with_children",
        _("Avoid situations alone with children"),
    )
    SEE_DOCTOR = "see_doctor", _("See a doctor or therapist")
    OTHER = "other", _("Other")
    # Programmes.
    INDIVIDUAL_THERAPY = "individual_therapy", _("Individual therapy")
    GROUP_THERAPY = "group_therapy", _("Group therapy")
    YOUNG_PEOPLE = "young_people", _("Young people's programme")
    # Pathway stages (where an exit happened).
    ENQUIRY = "enquiry", _("Enquiry")
    SCREENING = "screening", _("Screening")
    ASSESSMENT = "assessment", _("Assessment")
    WAITING_LIST = "waiting_list", _("Waiting list")
    IN_TREATMENT = "in_treatment", _("In treatment")
    AFTERCARE = "aftercare", _("Aftercare")
    # Replies: against the queue's reply-time target.
    WITHIN_TARGET = "within_target", _("Within the reply-time target")
    TARGET_MISSED = "target_missed", _("Reply-time target missed")


class DurationBucket(models.TextChoices):
    """Coarse ranges for waiting and response times; exact durations are never kept.

    One scale serves inbox replies (hours) and waiting lists (weeks, months).
    ``BUCKET_BOUNDS`` gives each range's lower and upper bound in hours.
    """

    UNDER_1H = "<1h", _("under 1 hour")
    H1_4 = "1-4h", _("1 to 4 hours")
    H4_24 = "4-24h", _("4 to 24 hours")
    D1_3 = "1-3d", _("1 to 3 days")
    D3_7 = "3-7d", _("3 to 7 days")
    W1_2 = "1-2w", _("1 to 2 weeks")
    W2_4 = "2-4w", _("2 to 4 weeks")
    M1_3 = "1-3m", _("1 to 3 months")
    M3_6 = "3-6m", _("3 to 6 months")
    OVER_6M = ">6m", _("over 6 months")


_HOUR = 1.0
_DAY = 24.0
# (bucket, lower bound in hours inclusive, upper bound in hours exclusive)
BUCKET_BOUNDS: tuple[tuple[str, float, float], ...] = (
    (DurationBucket.UNDER_1H, 0.0, 1 * _HOUR),
    (DurationBucket.H1_4, 1 * _HOUR, 4 * _HOUR),
    (DurationBucket.H4_24, 4 * _HOUR, 1 * _DAY),
    (DurationBucket.D1_3, 1 * _DAY, 3 * _DAY),
    (DurationBucket.D3_7, 3 * _DAY, 7 * _DAY),
    (DurationBucket.W1_2, 7 * _DAY, 14 * _DAY),
    (DurationBucket.W2_4, 14 * _DAY, 28 * _DAY),
    (DurationBucket.M1_3, 28 * _DAY, 91 * _DAY),
    (DurationBucket.M3_6, 91 * _DAY, 182 * _DAY),
    # Open-ended: an estimate that falls here is reported as "over 6 months".
    (DurationBucket.OVER_6M, 182 * _DAY, 365 * _DAY),
)


def bucket_for(duration: datetime.timedelta) -> str:
    """The coarse bucket of ``duration`` (negative durations count as zero)."""
    hours = max(duration.total_seconds(), 0.0) / 3600.0
    for bucket, _lower, upper in BUCKET_BOUNDS:
        if hours < upper:
            return bucket
    return DurationBucket.OVER_6M
