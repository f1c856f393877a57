"""Safeguarding concerns and the decisions taken on them.

A concern is raised from a case or a conversation, reviewed by a safeguarding
lead and decided. A disclosure to an outside agency is the one decision that
breaks the service's confidentiality, so it takes two different safeguarding
leads: one proposes it, another approves it (``safeguarding.actions``); a
database constraint makes a decided disclosure without a distinct approver
impossible even for code that bypasses the actions.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from forestall.accounts.models import Role
from forestall.lib.crypto import EncryptedTextField

if TYPE_CHECKING:
    from forestall.accounts.models import User


class Level(models.TextChoices):
    INFORMATION = "information", _("Information")
    CONCERN = "concern", _("Concern, no immediate risk")
    IMMEDIATE_RISK = "immediate_risk", _("A child may be at immediate risk")


class ConcernStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("concern status", "Open")
    IN_REVIEW = "in_review", _("In review")
    AWAITING_APPROVAL = "awaiting_approval", _("Decision awaiting a second lead's approval")
    DECIDED = "decided", _("Decided")


class Decision(models.TextChoices):
    NO_FURTHER_ACTION = "no_further_action", _("No further action")
    ADVICE_GIVEN = "advice_given", _("Advice given")
    PLAN_AGREED = "plan_agreed", _("Plan agreed with the person")
    DISCLOSURE = "disclosure", _("Disclosure to an outside agency")


class ConcernQuerySet(models.QuerySet["Concern"]):
    def visible_to(self, user: User) -> ConcernQuerySet:
        """The access gate for concerns: safeguarding leads only.

        A lead at a centre sees that centre's concerns; a network-wide lead
        sees all of them, including concerns raised from conversations
        addressed to the network as a whole.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.has_network_role(Role.SAFEGUARDING_LEAD):
            return self.all()
        return self.filter(centre_id__in=user.centre_ids_with(Role.SAFEGUARDING_LEAD))

    def raised_by_user(self, user: User) -> ConcernQuerySet:
        """The gate for the person who raised a concern: their own concerns, to see the outcome.

        Only the level, the status and the decision are shown to them (not
        the description others added, nor the leads' notes).
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(raised_by=user)

    def awaiting_decision(self) -> ConcernQuerySet:
        return self.exclude(status=ConcernStatus.DECIDED)

    def in_queue_order(self) -> ConcernQuerySet:
        """Most serious first, then the longest waiting."""
        return self.annotate(
            level_rank=models.Case(
                models.When(level=Level.IMMEDIATE_RISK, then=models.Value(0)),
                models.When(level=Level.CONCERN, then=models.Value(1)),
                default=models.Value(2),
                output_field=models.IntegerField(),
            )
        ).order_by("level_rank", "raised_at")


class Concern(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The centre responsible; empty for a conversation addressed to the network.
    centre = models.ForeignKey(
        "directory.Centre", on_delete=models.PROTECT, null=True, blank=True, related_name="concerns"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="concerns"
    )
    conversation = models.ForeignKey(
        "inbox.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="concerns",
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    description = EncryptedTextField()
    status = models.CharField(
        max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.OPEN
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_note = EncryptedTextField(blank=True, default="")
    # Who proposed a disclosure, and the different lead who approved it.
    # PROTECT: the two people of a disclosure must stay provable (staff
    # accounts are deactivated, not deleted).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the disclosure was actually made (only after approval).
    disclosed_at = models.DateTimeField(null=True, blank=True)
    # What was disclosed to whom: the agency, the day and the agency's reference.
    disclosure_agency = EncryptedTextField(blank=True, default="")
    disclosed_on = models.DateField(null=True, blank=True)
    disclosure_reference = EncryptedTextField(blank=True, default="")
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["centre", "status", "raised_at"])]
        constraints = [
            # (Raised from a case or a conversation is checked by raise_concern:
            # a conversation can later be deleted with its mailbox.)
            # The two-person rule, held by the database as well as the actions.
            models.CheckConstraint(
                condition=~Q(decision="disclosure", status="decided")
                | (
                    Q(approved_by__isnull=False, proposed_by__isnull=False)
                    & ~Q(approved_by=F("proposed_by"))
                ),
                name="disclosure_needs_a_second_lead",
            ),
            models.CheckConstraint(
                condition=Q(disclosed_at__isnull=True) | Q(decision="disclosure", status="decided"),
                name="disclosure_made_only_after_approval",
            ),
            # Closing an immediate-risk concern with no further action takes two leads too.
            models.CheckConstraint(
                condition=~Q(decision="no_further_action", level="immediate_risk", status="decided")
                | (
                    Q(approved_by__isnull=False, proposed_by__isnull=False)
                    & ~Q(approved_by=F("proposed_by"))
                ),
                name="no_action_on_immediate_risk_needs_a_second_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"concern {self.pk}"

    @property
    def proposal_key(self) -> str:
        """Which proposal is waiting: the decision and when it was proposed ("" if none).

        The second lead's answer carries the key of the proposal their page
        showed, so a proposal rejected and proposed anew meanwhile (perhaps a
        disclosure where the page said "no further action") is never approved
        or rejected unseen.
        """
        if self.proposed_at is None:
            return ""
        return f"{self.decision}@{self.proposed_at.isoformat()}"

    def needs_second_lead(self, decision: str) -> bool:
        """Whether ``decision`` only counts once a second, different lead approves it.

        A disclosure breaks the person's confidentiality; "no further action"
        on a concern that a child may be at immediate risk closes it on one
        person's judgement. Both take two leads.
        """
        return decision == Decision.DISCLOSURE or (
            decision == Decision.NO_FURTHER_ACTION and self.level == Level.IMMEDIATE_RISK
        )


class StepKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    REVIEW_STARTED = "review_started", _("Review started")
    REVIEW_NOTE = "review_note", _("Review note")
    DECIDED = "decided", _("Decided")
    DISCLOSURE_PROPOSED = "disclosure_proposed", _("Disclosure proposed")
    DECISION_PROPOSED = "decision_proposed", _("Decision proposed (needs a second lead)")
    DECISION_APPROVED = "decision_approved", _("Decision approved by a second lead")
    DISCLOSURE_APPROVED = "disclosure_approved", _("Disclosure approved by a second lead")
    DISCLOSURE_REJECTED = "disclosure_rejected", _("Disclosure not approved")
    DECISION_REJECTED = "decision_rejected", _("Proposed decision not approved")
    DISCLOSURE_MADE = "disclosure_made", _("Disclosure made")


class ConcernStep(models.Model):
    """One step in a concern's history, shown to the leads (the note is encrypted)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=24, choices=StepKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"concern step {self.pk}"
