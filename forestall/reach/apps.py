from django.apps import AppConfig


class ReachConfig(AppConfig):
    name = "forestall.reach"
    label = "reach"
    default_auto_field = "django.db.models.BigAutoField"
