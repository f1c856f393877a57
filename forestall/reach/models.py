"""Reach: partner platforms, their API keys, the message catalogue and its counts.

Nothing here is about a person. Partners and keys are organisations; the
catalogue is published text; the counts are daily aggregates by partner,
variant and language (impressions as the partner reports them, click-throughs
as the landing page counts them), never a query, an address or a visitor.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from forestall.lib.crypto import EncryptedTextField
from forestall.lib.stale_edits import NamesItsLastEditor

if TYPE_CHECKING:
    from forestall.accounts.models import User


class PartnerKind(models.TextChoices):
    SEARCH_ENGINE = "search_engine", _("Search engine")
    PLATFORM = "platform", _("Platform")
    FORUM = "forum", _("Forum")
    HOST = "host", _("Host")


class VariantKind(models.TextChoices):
    DETERRENT = "deterrent", _("Deterrent")
    THERAPEUTIC = "therapeutic", _("Therapeutic")
    BOTH = "both", _("Deterrent and therapeutic")


class ReachQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> Any:
        """The access gate: network admins see partners, keys and the catalogue; others nothing."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_network_admin:
            return self.all()
        return self.none()


class Partner(models.Model):
    """A platform that shows the network's warnings (a search engine, a forum, ...)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(_("short name (in links)"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerKind.choices)
    languages = models.CharField(
        _("languages"), max_length=100, blank=True, help_text=_("Codes, separated by commas.")
    )
    # Often a named person's address: encrypted at rest like every contact detail.
    contact = EncryptedTextField(_("contact"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReachQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerKey(models.Model):
    """An API key of one partner: only its prefix and a keyed hash are stored.

    The key itself (``fsr_<prefix>_<secret>``) is shown once when it is made;
    the prefix finds the row, the HMAC (pepper outside the database) proves
    it. A revoked key stays, so the audit log and the history can name it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_on = models.DateField(null=True, blank=True)

    objects = ReachQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner.slug} {self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Variant(NamesItsLastEditor, models.Model):
    """One message of the catalogue, with its texts in each language (``VariantText``).

    ``weight`` is its share when partners allocate variants at random (a fair
    comparison gives equal weights); ``active`` False takes it out of the
    catalogue without losing its counts.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=VariantKind.choices)
    weight = models.PositiveIntegerField(_("allocation weight"), default=1)
    active = models.BooleanField(_("in the catalogue"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who changed the settings last and when: an edit page opened before that
    # is refused (``lib.stale_edits``).
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = ReachQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class VariantTextQuerySet(ReachQuerySet):
    def current(self, variant: Variant, language: str) -> VariantText | None:
        found = self.filter(variant=variant, language=language).order_by("-version").first()
        return cast("VariantText | None", found)


class VariantText(models.Model):
    """One published version of a variant's text in one language; never changed afterwards.

    The four elements Project Intercept requires of every message are four
    fields, so none can be left out: it is a crime, it harms children, there
    are consequences, confidential help is available.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    crime = models.TextField(_("It is a crime"), max_length=1000)
    harm = models.TextField(_("It harms children"), max_length=1000)
    consequences = models.TextField(_("There are consequences"), max_length=1000)
    help = models.TextField(_("Confidential help is available"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = VariantTextQuerySet.as_manager()

    class Meta:
        ordering = ["variant", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "language", "version"], name="reach_text_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} ({self.language}) v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("a published catalogue text never changes; publish a new version")
        super().save(*args, **kwargs)

    @property
    def paragraphs(self) -> list[str]:
        return [self.crime, self.harm, self.consequences, self.help]

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class ImpressionCount(models.Model):
    """How often a partner showed a variant in a language on a day (as reported).

    A resend of the same partner, day, variant and language replaces the row.
    The table takes a day of reports from every partner at once (a thousand
    partners with 200 counts each), so it has only the unique index the
    upsert needs: it starts with the partner, which makes a separate partner
    index redundant, and variants are retired (``active``), never deleted, so
    nothing looks rows up by variant alone. The two indexes Django would add
    for the foreign keys doubled the cost of an ingest (docs/benchmarks.md).
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_index=False)
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    language = models.CharField(max_length=8)
    impressions = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "day", "variant", "language"], name="reach_impression_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.language}: {self.impressions}"


class ClickThroughCount(models.Model):
    """Landings on ``/r/<partner>/<variant>/`` per day; an unknown partner or variant is empty."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    language = models.CharField(max_length=8)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="reach_click_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.language}: {self.count}"
