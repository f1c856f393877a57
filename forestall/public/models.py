"""The anonymous front door's only stored account: a codename mailbox."""

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


class Mailbox(models.Model):
    """A help-seeker's confidential mailbox, known only by a codename.

    Only ``codename_hash`` (an HMAC of the normalised codename under a pepper
    kept outside the database) is stored; the codename itself never is.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    codename_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="en")
    pathway = models.CharField(max_length=16, choices=Pathway.choices, default=Pathway.SELF)
    created_at = models.DateTimeField(auto_now_add=True)
    # Day-level activity is enough for retention; finer times would only
    # help someone correlate visits.
    last_active_on = models.DateField()
    # Carried over from a self-check that recommended urgent help (never the
    # answers): the conversations of this mailbox are put first in the queue.
    urgent = models.BooleanField(default=False)
    # Started after arriving through a reach warning (forestall.reach.arrival):
    # one bit, the same for everyone who came that way, so that a first
    # message and a case opened later are counted with source "reach".
    through_reach = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"mailbox {self.pk}"


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


class MailboxSession(models.Model):
    """One signed-in browser of a mailbox, so that signing out ends it on the server.

    The browser's cookie holds only a random token (signed with a time); this
    row holds a keyed hash of that token, never the token itself, so a copy of
    the database cannot be replayed as a cookie. Signing out deletes the row,
    deleting the mailbox deletes every row of it (cascade), and rows older
    than ``MAX_AGE_HOURS`` are removed on the next sign-in.
    """

    MAX_AGE_HOURS = 12

    token_hash = models.CharField(max_length=64, unique=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return "mailbox session"
