"""Django admin for the directory (reachable only by network admins with 2FA)."""

from django.contrib import admin
from django.db import models

from forestall.directory.models import (
    Centre,
    CentreChannel,
    CentreLanguage,
    CentreService,
    Region,
)


# Stacked, not tabular: Django's table layout gives an inline row's selects and
# "delete" box no label (axe: critical), and is too wide for a phone.
class _LanguageInline(admin.StackedInline):
    model = CentreLanguage
    extra = 0


class _ServiceInline(admin.StackedInline):
    model = CentreService
    extra = 0


class _ChannelInline(admin.StackedInline):
    model = CentreChannel
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "is_active", "accepts_new_clients", "typical_wait_weeks"]
    list_filter = ["region", "is_active", "accepts_new_clients"]
    search_fields = ["name", "slug"]
    inlines = [_LanguageInline, _ServiceInline, _ChannelInline]
    # A website typed without a scheme is https, as in the centre's own profile form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
