"""Studies are set up by network admins in the admin site (gated like every admin page)."""

from django.contrib import admin

from forestall.research.models import Study


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "starts_on", "ends_on")
    search_fields = ("slug", "title")
