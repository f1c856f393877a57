"""``forestall notify-waiting``: a content-free e-mail to staff for whom something waits.

Off unless ``FORESTALL_NOTIFY_BY_EMAIL`` is on. Each active staff member who
has an e-mail address and for whom anything waits in a queue their roles open
(see ``accounts.navigation.waiting_for``) gets one message that says only
"something is waiting for you in forestall": no counts, no names, no
references, no links to objects, so a mailbox read by someone else, or a mail
server, learns nothing. Sent through Django's e-mail settings
(``FORESTALL_EMAIL_*``). Run it from cron at the times a team wants a
reminder (for example at 8:00 and 13:00 on working days).

It reads every active staff member's e-mail address and what waits in their
queues, and hands the addresses to the mail server: each run that sends is
recorded in the audit log (``staff.reminders_sent``, with the number sent and
nothing else; this command is the actor).
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from forestall.accounts.models import User
from forestall.accounts.navigation import waiting_for
from forestall.audit.commands import AuditedCommand


class Command(AuditedCommand):
    help = "E-mail a content-free reminder to staff for whom something is waiting."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.FORESTALL_NOTIFY_BY_EMAIL:
            self.stdout.write("E-mail notifications are off (FORESTALL_NOTIFY_BY_EMAIL).")
            return
        sent = 0
        staff = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
        try:
            for user in staff:
                if not any(item.count for item in waiting_for(user)):
                    continue
                language = user.language or settings.LANGUAGE_CODE
                with translation.override(language):
                    send_mail(
                        _("Something is waiting for you in forestall"),
                        _(
                            "Something is waiting for you in forestall. Sign in to see what.\n\n"
                            "(This message says nothing more on purpose.)"
                        ),
                        settings.DEFAULT_FROM_EMAIL,
                        [user.email],
                    )
                sent += 1
        except (OSError, smtplib.SMTPException) as error:
            # An unreachable or refusing mail server is the operator's to fix, said
            # in one line (cron mails it), not a traceback; the exit status is 1.
            # Only the kind of failure: a refused recipient's text names the address.
            detail = getattr(error, "strerror", None) or getattr(error, "smtp_code", "")
            raise CommandError(
                f"the mail server failed after {sent} reminder(s) were sent: "
                f"{type(error).__name__} {detail}".rstrip()
            ) from None
        finally:
            # Also when the mail server failed part of the way: what was sent is recorded.
            self.record("staff.reminders_sent", reason=f"{sent} reminders")
        self.stdout.write(f"{sent} reminder(s) sent.")
