from django.apps import AppConfig


class AuditedCommandLineConfig(AppConfig):
    name = "forestall.audit.commandline"
    label = "audit_commandline"
    verbose_name = "Audited command line"

    def ready(self) -> None:
        # The reasons the commands record, declared so the audit log translates them.
        from forestall.audit.commandline import reasons  # noqa: F401
