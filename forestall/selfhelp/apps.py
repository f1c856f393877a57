from django.apps import AppConfig


class SelfHelpConfig(AppConfig):
    name = "forestall.selfhelp"
    label = "selfhelp"
    verbose_name = "Self-help"

    def ready(self) -> None:
        # Load and validate every module at start-up: a broken content file
        # stops the server instead of breaking one page at night.
        from forestall.selfhelp.content import shipped_catalogue

        shipped_catalogue()
