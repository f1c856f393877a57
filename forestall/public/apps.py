from typing import Any

from django.apps import AppConfig


def _forget_rendered_chrome(*, setting: str, **kwargs: Any) -> None:
    # The public header and footer are rendered once per process and language
    # (CACHES["chrome"]); they show settings such as the crisis lines, so a
    # changed setting (override_settings, never production) renders them anew.
    from django.core.cache import caches

    if setting.startswith("FORESTALL_") or setting in ("LANGUAGES", "CACHES"):
        caches["chrome"].clear()


class PublicConfig(AppConfig):
    name = "forestall.public"
    label = "public"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        setting_changed.connect(_forget_rendered_chrome, dispatch_uid="forestall-chrome")
