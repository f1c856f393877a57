from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "forestall.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forestall.cases.models import GlassBreak
        from forestall.lib.requestmemo import forget_on_change

        # A request remembers the reader's live glass-break grants.
        forget_on_change(GlassBreak)
