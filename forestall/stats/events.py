"""The vocabulary of de-identified funnel events.

Every capability reports what happened through ``forestall.stats.actions.record``
using one of these names; nothing about the person travels with it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    SELF_CHECK_COMPLETED = "self_check_completed", _("Self-check completed")
    MAILBOX_STARTED = "mailbox_started", _("Mailbox started")
    MAILBOX_DELETED = "mailbox_deleted", _("Mailbox deleted by its owner")
    CONTACT = "contact", _("First message received (contact)")
    FIRST_REPLY_SENT = "first_reply_sent", _("First reply sent")
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
    CONCERN_RAISED = "concern_raised", _("Safeguarding concern raised")
    CONCERN_DECIDED = "concern_decided", _("Safeguarding concern decided")
    COURSE_FINISHED = "course_finished", _("Course of outcome measures finished")
