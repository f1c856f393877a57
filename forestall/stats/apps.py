from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "forestall.stats"
    label = "stats"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forestall.stats import dp  # noqa: F401  (registers the OpenDP system check)
