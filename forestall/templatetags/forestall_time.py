"""``{{ value|time_element }}``: a ``<time>`` element for an aware datetime.

The same markup as
``<time datetime="{{ value|date:'c' }}">{{ value|date:"DATETIME_FORMAT" }}</time>``
(the time in the current time zone, shown in the active language's format),
with the conversion to local time done once instead of in each of the two
``date`` filters; on the mailbox page, with a line per message, the two
filters were a sixth of the page's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()


@register.filter
def time_element(value: datetime | None, format_name: str = "DATETIME_FORMAT") -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    zone = timezone.get_current_timezone_name() if timezone.is_aware(value) else ""
    return _time_element(value, format_name, get_language(), zone)


def time_elements() -> Callable[[datetime | None], str]:
    """``time_element`` for the many times of one page: the language and zone looked up once."""
    language = get_language()
    zone = timezone.get_current_timezone_name()

    def element(value: datetime | None) -> str:
        if not isinstance(value, datetime):
            return ""
        return _time_element(
            value, "DATETIME_FORMAT", language, zone if timezone.is_aware(value) else ""
        )

    return element


# A message's time is shown on every visit to the mailbox: the markup is
# remembered per moment, format, language and time zone (all it depends on).
@functools.lru_cache(maxsize=4096)
def _time_element(value: datetime, format_name: str, _language: str | None, zone: str) -> str:
    local = timezone.localtime(value) if zone else value
    return format_html(
        '<time datetime="{}">{}</time>',
        local.isoformat(),
        date_format(local, get_format(format_name)),
    )
