"""The pathway a help-seeker came in on goes with them to the centres and on to a mailbox.

An outsider worried about someone else followed "Find a centre", opened a
centre that does not answer messages, and pressed "Write to the network's
counsellors": the mailbox page offered "worried about myself", and a mailbox
started there would have been counted and helped as such. Every link from a
pathway (pathway pages, the self-check's result, a self-help programme) to
the finder, from the finder to a centre, and from a centre's page to a new
mailbox now carries ``?pathway=``; an unknown value is dropped.
"""

from __future__ import annotations

import html
import re

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def centres():
    return {
        "quiet": factories.make_centre("Quiet Centre"),
        "writing": factories.answering_messages(factories.make_centre("Writing Centre")),
    }


def _hrefs(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def test_the_pathway_page_links_to_the_finder_with_its_pathway(client):
    assert "/centres/?pathway=other" in _hrefs(client.get("/help/someone-else/").content.decode())
    german = client.get("/de/help/someone-else/").content.decode()
    assert "/de/centres/?pathway=other" in _hrefs(german)


def test_the_finder_carries_the_pathway_to_every_centre_and_to_the_mailbox(client, centres):
    plain = client.get("/centres/").content.decode()
    assert f"/centres/{centres['quiet'].slug}/" in _hrefs(plain)
    page = client.get("/centres/?pathway=other").content.decode()
    assert f"/centres/{centres['quiet'].slug}/?pathway=other" in _hrefs(page)
    assert f"/centres/{centres['writing'].slug}/?pathway=other" in _hrefs(page)
    assert '<input type="hidden" name="pathway" value="other">' in page
    # Filtered, and kept apart from the same filters without a pathway.
    filtered = client.get("/centres/?remote=1&pathway=other").content.decode()
    assert '<input type="hidden" name="pathway" value="other">' in filtered
    assert "pathway=other" not in client.get("/centres/?remote=1").content.decode()
    assert "pathway=other" not in client.get("/centres/").content.decode()


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_a_centre_page_carries_the_pathway_to_a_new_mailbox(client, centres, prefix):
    quiet = client.get(f"{prefix}/centres/{centres['quiet'].slug}/?pathway=other").content
    assert f"{prefix}/mailbox/start/?pathway=other" in _hrefs(quiet.decode())
    assert f"{prefix}/centres/?pathway=other" in _hrefs(quiet.decode())
    writing = client.get(f"{prefix}/centres/{centres['writing'].slug}/?pathway=professional")
    assert (
        f"{prefix}/mailbox/start/?centre={centres['writing'].slug}&pathway=professional"
        in _hrefs(writing.content.decode())
    )
    start = client.get(f"{prefix}/mailbox/start/?pathway=other").content.decode()
    assert re.search(r'value="other"[^>]*checked', start)


def test_an_unknown_pathway_is_not_carried(client, centres):
    page = client.get(f"/centres/{centres['quiet'].slug}/?pathway=<x>").content.decode()
    assert "/mailbox/start/" in _hrefs(page)
    assert "pathway" not in page.split("<main", 1)[1].split("</main>")[0]


def test_the_self_check_result_carries_the_pathway_to_the_finder(client):
    page = client.post("/self-check/", {"worry": "someone_else", "help_wanted": "talk"})
    assert "/centres/?pathway=other" in _hrefs(page.content.decode())


def test_a_family_programme_module_leads_to_a_mailbox_of_the_someone_else_pathway(client):
    page = client.get("/self-help/family/signs/").content.decode()
    hrefs = _hrefs(page)
    assert "/mailbox/start/?selfhelp=family/signs&pathway=other" in hrefs
    assert "/centres/?pathway=other" in hrefs
