"""The reasons the audited wrappers of Django's commands record, declared to be shown translated.

Stored as their English message id (``forestall.lib.recorded_texts``), so
the audit log shows them in the reader's language. Declared here, where the
web process imports them (``AuditedCommandLineConfig.ready``): the commands'
own modules are imported only by the command line, and a text declared only
there would be shown in English in the audit log.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from forestall.lib.recorded_texts import recorded_text

PASSWORD_CHANGED = recorded_text(gettext_noop("on the command line"))
SUPERUSER_CREATED = recorded_text(gettext_noop("a superuser account created on the command line"))
STATIC_TOKEN_ADDED = recorded_text(gettext_noop("a one-time code added on the command line"))
SECOND_FACTORS_REMOVED = recorded_text(
    gettext_noop("every second factor removed on the command line")
)
STALE_CONTENT_TYPES_REMOVED = recorded_text(
    gettext_noop("content types of removed models deleted, with what referred to them")
)
SHELL_COMMAND = recorded_text(
    gettext_noop(
        "a command run through the Python shell: what it reads or changes is not recorded "
        "one by one"
    )
)
SHELL_OPENED = recorded_text(
    gettext_noop(
        "an interactive Python shell opened: what it reads or changes is not recorded one by one"
    )
)
DBSHELL_OPENED = recorded_text(
    gettext_noop(
        "a database shell opened: what it reads or changes is not recorded one by one "
        "(encrypted fields stay encrypted there)"
    )
)
FLUSHED = recorded_text(
    gettext_noop(
        "every table emptied on the command line, the audit log with them: "
        "this entry begins it again"
    )
)
SETTINGS_PRINTED = recorded_text(
    gettext_noop("the configuration printed, with the keys that open the encrypted data")
)
