"""The centre directory: regions, centres and what each centre offers."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Region(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Centre(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="centres")
    is_active = models.BooleanField(_("active"), default=True)
    accepts_new_clients = models.BooleanField(_("accepts new clients"), default=True)
    typical_wait_weeks = models.PositiveSmallIntegerField(
        _("typical wait (weeks)"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
