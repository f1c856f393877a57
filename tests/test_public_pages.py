"""Public pages: pathways, confidentiality, quick exit, languages, and editable content."""

from __future__ import annotations

import re

import pytest

from forestall.public import actions
from forestall.public.content import page_text, render_markdown
from forestall.public.models import Page, PageContent
from tests.stale import opened

pytestmark = pytest.mark.django_db

PAGES = ["/", "/help/self/", "/help/someone-else/", "/help/professionals/", "/confidentiality/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_public_page_answers_in_english_and_german(client, path):
    english = client.get(path)
    german = client.get("/de" + path)
    assert english.status_code == 200
    assert german.status_code == 200
    assert b'<html lang="en">' in english.content
    assert b'<html lang="de">' in german.content


@pytest.mark.parametrize("path", PAGES)
def test_the_quick_exit_is_the_first_link_and_works_without_javascript(client, path):
    page = client.get(path).content.decode()
    body = page[page.index("<body>") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'id="quick-exit"' in first_link
    assert 'href="https://' in first_link


def test_the_german_quick_exit_leads_to_a_german_page(client):
    assert b'href="https://de.wikipedia.org/"' in client.get("/de/").content


def test_the_home_page_offers_the_three_pathways(client):
    page = client.get("/").content.decode()
    assert "I'm worried about my own sexual thoughts or behaviour" in page
    assert "I'm worried about someone else" in page
    assert "I'm a professional" in page
    for path in PAGES[1:4]:
        assert f'href="{path}"' in page


def test_the_german_home_page_is_german(client):
    page = client.get("/de/").content.decode()
    assert "Hilfe, bevor etwas passiert" in page
    assert "Ich mache mir Sorgen um jemand anderen" in page
    assert 'href="/de/help/self/"' in page


@pytest.mark.parametrize("path", PAGES[1:4])
def test_each_pathway_page_explains_help_confidentiality_its_limits_and_next_steps(client, path):
    page = client.get(path).content.decode()
    assert "What help exists" in page
    assert "How confidentiality works" in page
    assert "The limits of confidentiality" in page
    assert 'href="/self-check/"' in page
    assert 'href="/mailbox/start/' in page
    assert 'href="/centres/"' in page


def test_a_pathway_page_links_to_a_mailbox_for_that_pathway(client):
    assert b'href="/mailbox/start/?pathway=other"' in client.get("/help/someone-else/").content


def test_an_unknown_pathway_is_not_found(client):
    assert client.get("/help/nobody/").status_code == 404


def test_the_confidentiality_page_states_its_written_limit(client):
    page = client.get("/confidentiality/").content.decode()
    assert "specific child is being harmed" in page
    assert "second person" in page
    german = client.get("/de/confidentiality/").content.decode()
    assert "Grenzen der Vertraulichkeit" in german


def test_public_pages_load_nothing_from_elsewhere(client):
    for path in PAGES:
        page = client.get(path).content.decode()
        for match in re.finditer(r'(?:src|href)="([^"]+)"', page):
            url = match.group(1)
            if url.startswith("http"):
                # Only the quick exit leaves the site, and only as a link.
                assert "wikipedia.org" in url
        assert "<script>" not in page
        assert "style=" not in page


def test_the_home_page_is_small_and_needs_few_requests(client):
    page = client.get("/").content
    assets = re.findall(rb'(?:<link rel="stylesheet" href|<script src)="([^"]+)"', page)
    assert len(assets) <= 3
    total = len(page)
    for asset in assets:
        response = client.get(asset.decode())
        total += (
            len(b"".join(response.streaming_content))
            if response.streaming
            else len(response.content)
        )
    assert total < 30 * 1024


def test_a_skip_link_leads_to_the_main_content(client):
    page = client.get("/").content
    assert b'<a class="skip" href="#main">' in page
    assert b'<main id="main"' in page


# --- Editable content -----------------------------------------------------


def test_the_shipped_text_is_shown_until_someone_edits_it():
    text = page_text(Page.SELF, "en")
    assert text.version is None
    assert "What help exists" in text.html


def test_an_edit_is_shown_and_the_earlier_version_kept(client, network_admin):
    actions.save_page_content(Page.HOME, "en", "Welcome", "First text.", by=network_admin)
    actions.save_page_content(Page.HOME, "en", "Welcome", "Second text.", by=network_admin)
    page = client.get("/").content.decode()
    assert "Second text." in page
    assert "First text." not in page
    assert list(PageContent.objects.values_list("version", flat=True).order_by("version")) == [
        1,
        2,
    ]
    assert "Hilfe, bevor etwas passiert" in client.get("/de/").content.decode()


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<p style="color:red">x</p>', "<p style"),
        ("![a](https://example.org/a.png)", "<img"),
        ('<img src="https://example.org/a.png">', "<img"),
        ("[x](javascript:alert(1))", "javascript:"),
        ("[x](http://example.org/)", 'href="http:'),
        ("[x](//example.org/)", 'href="//'),
        ('<iframe src="https://example.org"></iframe>', "<iframe"),
        ("# Heading one", "<h1"),
    ],
)
def test_editors_cannot_put_raw_html_images_or_unsafe_links_on_a_page(source, forbidden):
    assert forbidden not in str(render_markdown(source))


def test_markdown_keeps_headings_lists_emphasis_and_safe_links(settings):
    settings.FORESTALL_LINK_HOSTS = ["a.org"]
    html = str(
        render_markdown(
            "## Help\n\n- **one**\n- *two*\n\n[centres](/centres/) [web](https://a.org)"
        )
    )
    assert "<h2>Help</h2>" in html
    assert "<strong>one</strong>" in html
    assert "<em>two</em>" in html
    assert 'href="/centres/"' in html
    assert 'href="https://a.org"' in html
    assert 'rel="noopener noreferrer"' in html


def test_raw_html_is_shown_as_text_not_dropped_silently():
    assert "&lt;b&gt;" in str(render_markdown("<b>bold</b>"))


def test_a_network_admin_sees_every_page_in_every_language(sign_in, network_admin):
    response = sign_in(network_admin).get("/staff/content/")
    assert response.status_code == 200
    page = response.content.decode()
    for value in Page.values:
        assert f"/staff/content/{value}/en/" in page
        assert f"/staff/content/{value}/de/" in page


@pytest.mark.parametrize("persona", ["counsellor_a", "analyst", "manager_a", "outsider"])
def test_other_staff_get_not_found_for_content_editing(sign_in, persona, request):
    client = sign_in(request.getfixturevalue(persona))
    assert client.get("/staff/content/").status_code == 404
    assert client.get("/staff/content/home/en/").status_code == 404
    response = client.post("/staff/content/home/en/", {"title": "x", "body": "y"})
    assert response.status_code == 404
    assert not PageContent.objects.exists()


def test_content_editing_needs_a_staff_sign_in(client):
    response = client.get("/staff/content/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


def test_the_edit_form_starts_from_the_shipped_text(sign_in, network_admin):
    page = sign_in(network_admin).get("/staff/content/confidentiality/de/").content.decode()
    assert "Vertraulichkeit und ihre Grenzen" in page


def test_saving_an_edit_adds_a_version_audited_and_shown_in_the_history(sign_in, network_admin):
    from forestall.audit.models import AuditEntry

    client = sign_in(network_admin)
    url = "/staff/content/self/de/"
    response = client.post(
        url, {"title": "Neu", "body": "## Neu\n\nText.", "save": "1"} | opened(client, url)
    )
    assert response.status_code == 302
    version = PageContent.objects.get()
    assert (version.page, version.language, version.version) == ("self", "de", 1)
    assert version.created_by == network_admin
    assert AuditEntry.objects.filter(action="content.update", target_id=version.pk).exists()
    history = client.get("/staff/content/self/de/").content.decode()
    assert "network_admin" in history
    assert f"/staff/content/versions/{version.pk}/" in history
    assert "Text." in client.get("/de/help/self/").content.decode()


def test_previewing_does_not_save(sign_in, network_admin):
    client = sign_in(network_admin)
    response = client.post(
        "/staff/content/home/en/", {"title": "T", "body": "**preview me**", "preview": "1"}
    )
    assert response.status_code == 200
    assert b"<strong>preview me</strong>" in response.content
    assert not PageContent.objects.exists()


def test_an_empty_edit_is_refused_with_the_text_kept(sign_in, network_admin):
    response = sign_in(network_admin).post(
        "/staff/content/home/en/", {"title": "", "body": "kept text", "save": "1"}
    )
    assert response.status_code == 400
    assert b"kept text" in response.content
    assert not PageContent.objects.exists()


def test_an_unknown_page_or_language_is_not_found(sign_in, network_admin):
    client = sign_in(network_admin)
    assert client.get("/staff/content/nowhere/en/").status_code == 404
    assert client.get("/staff/content/home/fr/").status_code == 404


def test_an_old_version_can_be_read_by_admins_only(sign_in, network_admin, counsellor_a):
    version = actions.save_page_content(Page.HOME, "en", "Old", "old text", by=network_admin)
    assert (
        b"old text" in sign_in(network_admin).get(f"/staff/content/versions/{version.pk}/").content
    )
    assert sign_in(counsellor_a).get(f"/staff/content/versions/{version.pk}/").status_code == 404
