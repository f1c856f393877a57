"""The front door's records: the pathways people come by and the editable page texts.

The codename mailbox (``Mailbox``, ``MailboxSession``) belongs to the inbox app
(``forestall.inbox.models``), with the conversations it holds.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from forestall.accounts.models import User


class Pathway(models.TextChoices):
    SELF = "self", _("Worried about my own sexual thoughts or behaviour")
    OTHER = "other", _("Worried about someone else")
    PROFESSIONAL = "professional", _("A professional")


class Page(models.TextChoices):
    """The public pages whose text network admins can edit."""

    HOME = "home", _("Home page")
    SELF = "self", _("Pathway: worried about my own thoughts or behaviour")
    OTHER = "other", _("Pathway: worried about someone else")
    PROFESSIONAL = "professional", _("Pathway: professionals")
    CONFIDENTIALITY = "confidentiality", _("Confidentiality and its limits")


class PageContentQuerySet(models.QuerySet["PageContent"]):
    def visible_to(self, user: User) -> PageContentQuerySet:
        """The access gate for editing: network admins see every version, others none."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_network_admin:
            return self.all()
        return self.none()

    def current(self, page: str, language: str) -> PageContent | None:
        """The newest version of ``page`` in ``language``, if anyone has edited it."""
        return self.filter(page=page, language=language).order_by("-version").first()


class PageContent(models.Model):
    """One version of one public page's text in one language (Markdown).

    Versions are never changed or deleted: an edit adds a new version, so the
    history shows who changed what. Without any version the shipped text in
    ``forestall/public/content/<language>/<page>.md`` is shown.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    page = models.CharField(_("page"), max_length=32, choices=Page.choices)
    language = models.CharField(_("language"), max_length=8)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), max_length=20000)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PageContentQuerySet.as_manager()

    class Meta:
        ordering = ["page", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "language", "version"], name="page_content_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.page} ({self.language}) v{self.version}"
