from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class InstrumentsConfig(AppConfig):
    name = "forestall.instruments"
    label = "instruments"
    verbose_name = "Instruments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Validate every definition file once at start-up (a few small YAML
        # files): a broken questionnaire must stop the server, not a client.
        from forestall.instruments.catalogue import DefinitionError, catalogue

        try:
            catalogue()
        except DefinitionError as error:
            raise ImproperlyConfigured(
                "Invalid instrument definitions: " + "; ".join(error.problems)
            ) from None
