from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _directory_changed(**_kwargs: Any) -> None:
    from forestall.lib.pagecache import public_pages_changed

    transaction.on_commit(public_pages_changed)


class DirectoryConfig(AppConfig):
    name = "forestall.directory"
    label = "directory"
    verbose_name = _("Centre directory")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Any change to a region, a centre or what it offers — through
        # forestall's own actions, the admin site or a command — shows on the
        # public pages at once: the finder, kept fragments and cached pages.
        for name in ("Region", "Centre", "CentreLanguage", "CentreService", "CentreChannel"):
            model = self.get_model(name)
            post_save.connect(_directory_changed, sender=model, dispatch_uid=f"directory-{name}")
            post_delete.connect(
                _directory_changed, sender=model, dispatch_uid=f"directory-{name}-d"
            )
