"""Words Django's own catalogues translate differently from forestall, or not at all.

Django's catalogues (the admin's, the sessions app's) translate these words
too, and they come before the apps' catalogues; ``forestall/locale``
(``LOCALE_PATHS``) comes first of all. Naming the words here keeps them in
that catalogue when ``make messages`` extracts it (it drops whatever no source
names), so forestall's pages say what forestall chose. The second group are
texts of Django's newer password pages that its German catalogues leave
empty, so a German admin page said them in English ("Reset password");
``tests/test_admin_accounts_in_german.py`` walks the account pages for any
such text. Nothing imports this
module; ``tests/test_translations_agree.py`` checks what a German page really
gets.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = (
    gettext_noop("Save"),  # the admin's "Sichern"; forestall says "Speichern"
    gettext_noop("History"),  # the admin's "Geschichte"; forestall says "Verlauf"
    gettext_noop("Sessions"),  # the sessions app's "Sessions"; forestall says "Sitzungen"
    gettext_noop("active"),  # Django's "Aktiv"; forestall says "aktiv"
    # Django's admin and auth catalogues have no German for these (the
    # apostrophes are Django's own: the message must be spelled as it is).
    gettext_noop("Reset password"),
    gettext_noop("Set password: %s"),
    gettext_noop("Password-based authentication"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If "
        "disabled, they may still be able to authenticate using other backends, such "
        "as Single Sign-On or LDAP."
    ),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),  # noqa: RUF001
    gettext_noop("Enable password-based authentication for this user by setting a password."),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Conflicting form data submitted. Please try again."),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),  # noqa: RUF001
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user."
    ),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("In case you’ve forgotten, you are:"),  # noqa: RUF001
)
