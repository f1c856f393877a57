"""Words Django's own catalogues translate differently from forestall.

Django's catalogues (the admin's, the sessions app's) translate these words
too, and they come before the apps' catalogues; ``forestall/locale``
(``LOCALE_PATHS``) comes first of all. Naming the words here keeps them in
that catalogue when ``make messages`` extracts it (it drops whatever no source
names), so forestall's pages say what forestall chose. Nothing imports this
module; ``tests/test_translations_agree.py`` checks what a German page really
gets.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = (
    gettext_noop("Save"),  # the admin's "Sichern"; forestall says "Speichern"
    gettext_noop("History"),  # the admin's "Geschichte"; forestall says "Verlauf"
    gettext_noop("Sessions"),  # the sessions app's "Sessions"; forestall says "Sitzungen"
    gettext_noop("active"),  # Django's "Aktiv"; forestall says "aktiv"
)
