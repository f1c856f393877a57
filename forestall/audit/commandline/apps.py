from django.apps import AppConfig


class AuditedCommandLineConfig(AppConfig):
    name = "forestall.audit.commandline"
    label = "audit_commandline"
    verbose_name = "Audited command line"
