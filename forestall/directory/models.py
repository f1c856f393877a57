"""The centre directory: regions, centres and what each centre offers."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from forestall.accounts.models import Role
from forestall.lib.prepared import PreparedQuery
from forestall.lib.stale_edits import NamesItsLastEditor

if TYPE_CHECKING:
    from forestall.accounts.models import User


class Service(models.TextChoices):
    OWN_THOUGHTS = "own_thoughts", _("Worried about own sexual thoughts about children")
    IMAGES = "images", _("Has viewed sexual images of children")
    YOUNG_PEOPLE = "young_people", _("Young people with harmful sexual behaviour")
    FAMILY_FRIENDS = "family_friends", _("Family and friends")
    PROFESSIONALS = "professionals", _("Professionals")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    MESSAGING = "messaging", _("Secure messaging")


# Channels through which someone can be helped without travelling.
REMOTE_CHANNELS = frozenset({Channel.PHONE, Channel.VIDEO, Channel.MESSAGING})


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    GERMAN = "de", _("German")
    TURKISH = "tr", _("Turkish")
    ARABIC = "ar", _("Arabic")
    POLISH = "pl", _("Polish")
    RUSSIAN = "ru", _("Russian")
    FRENCH = "fr", _("French")


def _in_current_language(english: str, german: str) -> str:
    """The German text on German pages when there is one, otherwise the English text.

    Public pages are in English or German (``settings.LANGUAGES``); centre and
    region texts are kept in both, English being the one every centre has.
    """
    language = (get_language() or "en").split("-")[0]
    return german if language == "de" and german.strip() else english


class Region(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(_("address name"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_de = models.CharField(_("name in German"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the language of the page being shown."""
        return _in_current_language(self.name, self.name_de)


class CentreQuerySet(models.QuerySet["Centre"]):
    def public(self) -> CentreQuerySet:
        """Centres shown in the public finder."""
        return self.filter(is_active=True)

    def answering_messages(self) -> CentreQuerySet:
        """Public centres whose entry offers secure messaging: those a mailbox message may address.

        A message addressed to a centre is read only by that centre's
        counsellors; a centre that does not answer messages is never offered
        as an addressee, so nobody writes to a centre where nobody reads.
        """
        return self.public().filter(offered_channels__channel=Channel.MESSAGING)

    def matching(
        self,
        *,
        language: str = "",
        service: str = "",
        region: Region | None = None,
        remote: bool = False,
    ) -> CentreQuerySet:
        """Centres that offer all of the given things (empty values do not filter).

        ``remote`` keeps centres that help by phone, video or secure messaging,
        so that nobody has to travel.
        """
        centres = self
        if language:
            centres = centres.filter(offered_languages__language=language)
        if service:
            centres = centres.filter(offered_services__service=service)
        if region is not None:
            centres = centres.filter(region=region)
        if remote:
            centres = centres.filter(offered_channels__channel__in=sorted(REMOTE_CHANNELS))
        return centres.distinct()

    def with_offers(self) -> CentreQuerySet:
        """Fetch region, languages, services and channels in a fixed number of queries."""
        return self.select_related("region").prefetch_related(
            "offered_languages", "offered_services", "offered_channels"
        )

    def directory_version(self) -> str:
        """Changes whenever a centre is added, removed or saved (for cache keys)."""
        summary = Centre.objects.aggregate(
            latest=models.Max("updated_at"), count=models.Count("id")
        )
        latest = summary["latest"].timestamp() if summary["latest"] else 0
        return f"{summary['count']}-{latest:.6f}"

    def where_holds(self, user: User, *roles: str) -> CentreQuerySet:
        """Centres at which ``user`` holds any of ``roles``.

        The one place that turns a person's centre memberships into centres:
        views, forms and the access layer use it instead of filtering
        memberships themselves. Network-wide roles hold at no centre, so they
        do not count here.
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=user.centre_ids_with(*roles))

    def visible_to(self, user: User) -> CentreQuerySet:
        """Centres a staff member sees on the staff side.

        Anyone with a network-wide role sees every centre; everyone else sees
        the centres at which they hold a role.
        """
        if not user.is_authenticated:
            return self.none()
        if any(centre is None for _role, centre in user.role_holdings()):
            return self.all()
        return self.where_holds(user, *Role.values)

    def editable_by(self, user: User) -> CentreQuerySet:
        """Centres whose profile ``user`` may change.

        Network admins manage every centre; a centre manager edits only the
        centres they manage. Nobody else edits a profile.
        """
        if not user.is_authenticated:
            return self.none()
        if user.has_network_role(Role.NETWORK_ADMIN):
            return self.all()
        return self.where_holds(user, Role.CENTRE_MANAGER)


class Centre(NamesItsLastEditor, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(
        _("address name"),
        unique=True,
        help_text=_("Lower-case letters, digits and hyphens; used in the centre's public address."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_de = models.CharField(
        _("name in German"),
        max_length=200,
        blank=True,
        help_text=_("Shown on German pages; leave empty if the name is the same."),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="centres", verbose_name=_("region")
    )
    is_active = models.BooleanField(_("active"), default=True)
    accepts_new_clients = models.BooleanField(_("accepts new clients"), default=True)
    typical_wait_weeks = models.PositiveSmallIntegerField(
        _("typical wait (weeks)"), null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True, max_length=1000)
    description_de = models.TextField(
        _("description in German"),
        blank=True,
        max_length=1000,
        help_text=_("Shown on German pages instead of the description above."),
    )
    address = models.TextField(_("address"), blank=True, max_length=300)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    opening_hours = models.TextField(
        _("opening hours"),
        blank=True,
        max_length=500,
        help_text=_("One line per day or period, for example 'Mon-Thu 9:00-17:00'."),
    )
    public_phone = models.CharField(_("public phone"), max_length=40, blank=True)
    public_email = models.EmailField(_("public e-mail"), blank=True)
    public_website = models.URLField(_("public website"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Whoever saved the profile last (named when a stale page is refused).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = CentreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(latitude__isnull=False, longitude__isnull=False)
                ),
                name="centre_coordinates_both_or_neither",
                violation_error_message=_("Give both latitude and longitude, or leave both empty."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the language of the page being shown."""
        return _in_current_language(self.name, self.name_de)

    @property
    def display_description(self) -> str:
        """The description in the language of the page being shown."""
        return _in_current_language(self.description, self.description_de)

    # The offers live in small child tables so that filtering works the same
    # on SQLite and PostgreSQL; these read the (usually prefetched) rows.
    @property
    def languages(self) -> list[str]:
        return sorted(row.language for row in self.offered_languages.all())

    @property
    def services(self) -> list[str]:
        return sorted(row.service for row in self.offered_services.all())

    @property
    def channels(self) -> list[str]:
        return sorted(row.channel for row in self.offered_channels.all())

    @property
    def answers_messages(self) -> bool:
        """Whether a mailbox message may be addressed here (``answering_messages``)."""
        return self.is_active and Channel.MESSAGING in self.channels

    def language_labels(self) -> list[str]:
        return [str(Language(code).label) for code in _ordered(self.languages, Language)]

    def service_labels(self) -> list[str]:
        return [str(Service(code).label) for code in _ordered(self.services, Service)]

    def channel_labels(self) -> list[str]:
        return [str(Channel(code).label) for code in _ordered(self.channels, Channel)]

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def opening_hours_lines(self) -> list[str]:
        """The opening hours line by line, in the page's language where they can be read."""
        from django.utils import translation

        from forestall.directory.opening_hours import display_line

        language = translation.get_language() or "en"
        return [
            display_line(line.strip(), language)
            for line in self.opening_hours.splitlines()
            if line.strip()
        ]

    def set_offers(
        self,
        *,
        languages: list[str] | None = None,
        services: list[str] | None = None,
        channels: list[str] | None = None,
    ) -> None:
        """Replace the centre's languages, services and/or channels (None leaves one as is)."""
        offers: tuple[tuple[list[str] | None, Any, Any, str], ...] = (
            (languages, self.offered_languages, CentreLanguage, "language"),
            (services, self.offered_services, CentreService, "service"),
            (channels, self.offered_channels, CentreChannel, "channel"),
        )
        for values, rows, model, field in offers:
            if values is None:
                continue
            wanted = set(values)
            rows.exclude(**{f"{field}__in": wanted}).delete()
            existing = set(rows.values_list(field, flat=True))
            model.objects.bulk_create(
                [model(centre=self, **{field: value}) for value in sorted(wanted - existing)]
            )
        # Saving the offers is a change of the centre (cache keys, "updated").
        self.updated_at = timezone.now()
        Centre.objects.filter(pk=self.pk).update(updated_at=self.updated_at)
        # Drop prefetched rows so that the properties read the new state.
        cache = getattr(self, "_prefetched_objects_cache", {})
        for name in ("offered_languages", "offered_services", "offered_channels"):
            cache.pop(name, None)


def _ordered(codes: list[str], choices: type[models.TextChoices]) -> list[str]:
    """Codes in the order of their vocabulary (not alphabetically by code)."""
    order = {value: index for index, value in enumerate(choices.values)}
    return sorted((code for code in codes if code in order), key=order.__getitem__)


class CentreLanguage(models.Model):
    """A language in which a centre offers help."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="offered_languages", verbose_name=_("centre")
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "language"], name="centre_language_once")
        ]
        indexes = [models.Index(fields=["language"])]

    def __str__(self) -> str:
        return f"{self.centre_id}: {self.language}"


class CentreService(models.Model):
    """A service (from the fixed vocabulary) that a centre offers."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="offered_services", verbose_name=_("centre")
    )
    service = models.CharField(_("service"), max_length=32, choices=Service.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "service"], name="centre_service_once")
        ]
        indexes = [models.Index(fields=["service"])]

    def __str__(self) -> str:
        return f"{self.centre_id}: {self.service}"


class CentreChannel(models.Model):
    """A way of reaching a centre: in person, phone, video or secure messaging."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="offered_channels", verbose_name=_("centre")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "channel"], name="centre_channel_once")
        ]
        indexes = [models.Index(fields=["channel"])]

    def __str__(self) -> str:
        return f"{self.centre_id}: {self.channel}"


def _centre_names(p: Any) -> models.QuerySet[Any]:
    return Centre.objects.filter(pk__in=p.centres).values_list("pk", "name", "name_de")


# Compiled once per number of centres (``forestall.lib.prepared``).
_CENTRE_NAMES: PreparedQuery[Any] = PreparedQuery(_centre_names, centres=[models.UUIDField()])


def centre_names_where_holds(user: User, *roles: str) -> list[tuple[uuid.UUID, str]]:
    """``(id, name)`` of ``Centre.objects.where_holds(user, *roles)``, by name.

    For pages that only name a person's centres (the inbox queue's filter):
    the same centres, by a query compiled once instead of on every request.
    """
    if not user.is_authenticated:
        return []
    # Each in the page's language (the German name on German pages).
    return [
        (pk, _in_current_language(name, name_de))
        for pk, name, name_de in _CENTRE_NAMES.all(centres=user.centre_ids_with(*roles))
    ]
