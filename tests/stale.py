"""The version fields of an edit page, for tests that post to it (``lib.stale_edits``).

A save without the version the page was opened with is refused (409), as a
request not sent by the page; a test that posts as the page does sends them.
"""

from __future__ import annotations

import re

from django.test import Client

_VERSION_FIELD = re.compile(r'name="([\w-]*(?:edited_from|based_on))" value="([^"]*)"')


def opened(client: Client, url: str) -> dict[str, str]:
    """The hidden version fields of the page at ``url``, as the browser would send them."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return dict(_VERSION_FIELD.findall(page.content.decode()))
