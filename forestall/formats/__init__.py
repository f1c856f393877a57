"""One date and time format per language for the whole project (``FORMAT_MODULE_PATH``).

Templates name a format (``DATE_FORMAT``, ``DATETIME_FORMAT``,
``SHORT_DATE_FORMAT``, ``SHORT_DATETIME_FORMAT``, ``TIME_FORMAT``,
``YEAR_MONTH_FORMAT``) and never spell one out, so public and staff pages
write "30 November 2026" in English and "30. November 2026" in German.
"""
