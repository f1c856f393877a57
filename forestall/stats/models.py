"""De-identified daily counts: the only table the statistics read.

A row says "on this day, at this centre, this many times this event happened
(through this channel, in this language, on this pathway, with this detail and
in this duration range)". There is no person, mailbox, conversation or case
id, no time finer than a day and no free text: every text column holds a value
of a fixed vocabulary, which ``forestall.stats.actions.record`` enforces.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Channel, Language
from forestall.public.models import Pathway
from forestall.stats.events import Detail, DurationBucket, Event


class CountChannel(models.TextChoices):
    """How the contact happened: the centre channels, plus the website itself."""

    IN_PERSON = Channel.IN_PERSON.value, Channel.IN_PERSON.label
    PHONE = Channel.PHONE.value, Channel.PHONE.label
    VIDEO = Channel.VIDEO.value, Channel.VIDEO.label
    MESSAGING = Channel.MESSAGING.value, Channel.MESSAGING.label
    ONLINE = "online", _("Online (website)")


class CountLanguage(models.TextChoices):
    """Languages counted; any other language is counted as ``other``."""

    ENGLISH = Language.ENGLISH.value, Language.ENGLISH.label
    GERMAN = Language.GERMAN.value, Language.GERMAN.label
    TURKISH = Language.TURKISH.value, Language.TURKISH.label
    ARABIC = Language.ARABIC.value, Language.ARABIC.label
    POLISH = Language.POLISH.value, Language.POLISH.label
    RUSSIAN = Language.RUSSIAN.value, Language.RUSSIAN.label
    FRENCH = Language.FRENCH.value, Language.FRENCH.label
    OTHER = "other", _("Other language")


class Source(models.TextChoices):
    """Where a row came from, so that backfills and demo data can be replaced whole."""

    LIVE = "live", _("Recorded as it happened")
    # Recorded as it happened, for someone who arrived through a reach warning
    # (forestall.reach.arrival): the funnel from warning to contact.
    REACH = "reach", _("Recorded as it happened, after arriving through reach")
    BACKFILL = "backfill", _("Rebuilt from existing records")
    DEMO = "demo", _("Demo data")


class DailyCountQuerySet(models.QuerySet):
    def for_scope(
        self, *, region_id: object = None, centre_ids: object = None
    ) -> DailyCountQuerySet:
        """Counts of one region and/or a set of centres (``None`` = no restriction)."""
        queryset = self
        if region_id is not None:
            queryset = queryset.filter(region_id=region_id)
        if centre_ids is not None:
            queryset = queryset.filter(centre_id__in=list(centre_ids))  # type: ignore[call-overload]
        return queryset


class _CountDimensions(models.Model):
    """The dimensions and the count shared by the daily and the monthly table."""

    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    centre = models.ForeignKey(
        "directory.Centre",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Denormalised from the centre so that regional figures need no join.
    region = models.ForeignKey(
        "directory.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=CountChannel.choices, blank=True
    )
    language = models.CharField(
        _("language"), max_length=8, choices=CountLanguage.choices, blank=True
    )
    pathway = models.CharField(_("pathway"), max_length=16, choices=Pathway.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=32, choices=Detail.choices, blank=True)
    duration_bucket = models.CharField(
        _("duration"), max_length=8, choices=DurationBucket.choices, blank=True
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.LIVE
    )
    count = models.PositiveIntegerField(_("count"), default=0)

    objects = DailyCountQuerySet.as_manager()

    class Meta:
        abstract = True


class DailyCount(_CountDimensions):
    day = models.DateField(_("day"))

    class Meta:
        constraints = [
            # One row per combination of dimensions. The centre is nullable
            # (network-level events), and NULLs are distinct in unique indexes
            # on both SQLite and PostgreSQL, so the index uses the centre as
            # text with '' for "no centre"; ``record`` names the same
            # expression as its ON CONFLICT target.
            models.UniqueConstraint(
                models.F("day"),
                models.F("event"),
                Coalesce(Cast("centre", models.TextField()), models.Value("")),
                models.F("channel"),
                models.F("language"),
                models.F("pathway"),
                models.F("detail"),
                models.F("duration_bucket"),
                models.F("source"),
                name="dailycount_unique_dimensions",
            ),
        ]
        indexes = [
            # Every dashboard query filters by event and a date range, often by
            # centre or region as well.
            models.Index(fields=["day"], name="dailycount_day"),
            models.Index(fields=["event", "day"], name="dailycount_event_day"),
            models.Index(fields=["centre", "event", "day"], name="dailycount_centre_event_day"),
            models.Index(fields=["region", "event", "day"], name="dailycount_region_event_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.event}: {self.count}"


class MonthlyCount(_CountDimensions):
    """The same counts summed by calendar month: what long periods are read from.

    Kept in step by ``record`` and ``add_counts`` (one more upsert in the same
    transaction), so that a dashboard over ten years sums a few hundred
    thousand monthly rows instead of millions of daily ones. ``DailyCount``
    stays the record; ``forestall.stats.actions.rebuild_monthly`` recomputes
    this table from it.
    """

    month = models.DateField(_("month"))  # the first day of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(
                models.F("month"),
                models.F("event"),
                Coalesce(Cast("centre", models.TextField()), models.Value("")),
                models.F("channel"),
                models.F("language"),
                models.F("pathway"),
                models.F("detail"),
                models.F("duration_bucket"),
                models.F("source"),
                name="monthlycount_unique_dimensions",
            ),
        ]
        indexes = [
            models.Index(fields=["month"], name="monthlycount_month"),
            models.Index(fields=["event", "month"], name="monthlycount_event_month"),
            models.Index(fields=["centre", "event", "month"], name="monthly_centre_event_month"),
            models.Index(fields=["region", "event", "month"], name="monthly_region_event_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.event}: {self.count}"


class NoisyRelease(models.Model):
    """The differentially private counts of one release period, drawn once.

    Only used when ``FORESTALL_STATISTICS_DP_EPSILON`` is set (see
    ``forestall.stats.dp``). ``cells`` maps a cell key of the public release
    (e.g. ``funnel:<centre>:contact``) to its noisy count: aggregated,
    de-identified numbers only, the same figures anyone can download. Keeping
    them means every request in the period serves the same noise, so
    downloading the release again and again cannot average the noise away.
    """

    period_start = models.DateField()
    period_end = models.DateField()
    epsilon = models.FloatField()
    drawn_on = models.DateField(auto_now_add=True)
    cells = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end", "epsilon"], name="noisy_release_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_start} to {self.period_end} (ε={self.epsilon})"
