"""Studies and the research consent recorded for each case.

Only cases whose client agreed to take part in a study (and has not
withdrawn) ever reach that study's export (``research.export``). There is
no free text here on purpose: a consent is a date, a study and who recorded
it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Study(models.Model):
    """An evaluation study: its pseudonyms are keyed by its id (``research.pseudonyms``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(_("short name"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("first day of the study period"))
    ends_on = models.DateField(_("last day of the study period"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.title


class ResearchConsentQuerySet(models.QuerySet["ResearchConsent"]):
    def in_force(self) -> ResearchConsentQuerySet:
        """Consents given and not withdrawn: the only ones an export reads."""
        return self.filter(withdrawn_on__isnull=True)


class ResearchConsent(models.Model):
    """A client's consent (given on a date, for one study) that one case may be exported.

    Withdrawal keeps the row (so an export can say how many withdrew) but
    takes the case out of every later export.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="research_consents"
    )
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="consents")
    given_on = models.DateField(_("consent given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ResearchConsentQuerySet.as_manager()

    class Meta:
        ordering = ["study__slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "study"], name="research_consent_once_per_study"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("given_on")),
                name="research_consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"research consent {self.pk}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None
