"""Django's and its add-ons' own commands that touch personal data, in the audit log.

``forestall dumpdata`` writes every encrypted field out in clear text,
``forestall shell`` and ``dbshell`` can read anything, ``changepassword``,
``createsuperuser``, ``addstatictoken`` and ``two_factor_disable`` change who
can sign in. None of them is forestall's, so none of them named itself in
the audit log: an operator could take every message out of the database
with one command and leave no trace. This app holds a wrapper of each that
is an ``AuditedCommand`` (``forestall.audit.commands``); it stands first in
``INSTALLED_APPS`` because Django lets the earliest app's command of a name
win. ``tests/test_audited_commands.py`` fails for any command the
``forestall`` command line offers, Django's included, that is neither
audited nor exempted there with a reason.

What a shell does inside it cannot be recorded one by one; its entry says
that a shell was opened, by whom the server's accounts know, and when.
"""
