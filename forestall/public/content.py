"""Editable public text: shipped defaults and safe Markdown rendering.

Network admins write Markdown; visitors get HTML from a small allow-list.
Raw HTML in the source is shown as text (never interpreted), images are not
supported, and links may only be paths on this site (``/centres/``) or
``https://`` links to a host the operator allows (``FORESTALL_LINK_HOSTS``).
Anything else is removed by ``nh3`` after rendering, so even a bug in the
Markdown step cannot put a script, a style or a third-party resource on a
public page.
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from forestall.lib.pagecache import remember_for_public_pages
from forestall.lib.redirects import safe_local_url
from forestall.public.models import Page, PageContent

CONTENT_DIR = Path(__file__).resolve().parent / "content"

ALLOWED_TAGS = {"p", "h2", "h3", "ul", "ol", "li", "strong", "em", "a", "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}


@dataclass(frozen=True)
class PageText:
    """What a public page shows: a title and sanitised HTML, and where it came from."""

    title: str
    html: SafeString
    version: PageContent | None


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=[], output_format="html")
    # No raw HTML and no images, whatever an editor types.
    md.preprocessors.deregister("html_block")
    for name in ("html", "image_link", "image_reference", "short_image_ref"):
        if name in md.inlinePatterns:
            md.inlinePatterns.deregister(name)
    return md


def _allowed_link_hosts() -> set[str]:
    from django.conf import settings

    return {host.lower() for host in settings.FORESTALL_LINK_HOSTS}


def _only_safe_links(tag: str, attribute: str, value: str) -> str | None:
    """Keep a link only if it stays on this site or goes to an allowed https host."""
    if tag != "a" or attribute != "href":
        return value
    if "\\" in value or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return None
    if value.startswith("https://"):
        try:
            parts = urlsplit(value)
        except ValueError:
            return None
        host = (parts.hostname or "").lower()
        if host and not parts.username and host in _allowed_link_hosts():
            return value
        return None
    if value.startswith("#"):
        return value
    # A path on this site, unchanged by the same rule every redirect obeys
    # (which refuses //host, /%2F/host, /%5Chost and the like).
    if value.startswith("/") and safe_local_url(value) == value:
        return value
    return None


_LINK_TARGET = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"')


def refused_links(source: str) -> list[str]:
    """The link targets in ``source`` that ``render_markdown`` would remove, in order.

    The sanitiser drops such a link quietly (its words stay, as plain text),
    which is right for what is shown but wrong for the person writing it: the
    edit forms call this to refuse the text and say which links and why.
    """
    refused: list[str] = []
    for match in _LINK_TARGET.finditer(_markdown().convert(source)):
        target = html_entities.unescape(match.group(1))
        if _only_safe_links("a", "href", target) is None and target not in refused:
            refused.append(target)
    return refused


def refused_links_message(refused: list[str]) -> str:
    """Why ``refused`` cannot be linked, in the editor's language."""
    from django.utils.translation import gettext

    hosts = sorted(_allowed_link_hosts())
    links = ", ".join(refused)
    if hosts:
        return gettext(
            "These links are not allowed: %(links)s. Link to a page on this site "
            "(starting with /) or to an https address on %(hosts)s."
        ) % {"links": links, "hosts": ", ".join(hosts)}
    return gettext(
        "These links are not allowed: %(links)s. Link only to pages on this site "
        "(starting with /): no other sites are allowed here."
    ) % {"links": links}


def render_markdown(source: str) -> SafeString:
    """Markdown → HTML restricted to ``ALLOWED_TAGS`` with safe links only.

    Rendering and sanitising cost more than the rest of a public page, and the
    same few texts are shown on every request: the result is kept per process,
    keyed on the source itself, so an edit (a new version with a new body) is
    rendered anew and nothing can be served stale.
    """
    return mark_safe(_render_markdown(source))  # noqa: S308 - sanitised by nh3


@lru_cache(maxsize=64)
def _render_markdown(source: str) -> str:
    html = _markdown().convert(source)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https"},
        attribute_filter=_only_safe_links,
        link_rel="noopener noreferrer",
    )
    return cleaned


@lru_cache(maxsize=128)
def shipped_text(page: str, language: str) -> tuple[str, str]:
    """The shipped (title, Markdown) of ``page``: the first line is the title.

    Read once per process: the shipped files change only with a deploy.
    """
    path = CONTENT_DIR / language / f"{page}.md"
    if not path.exists():
        path = CONTENT_DIR / "en" / f"{page}.md"
    text = path.read_text(encoding="utf-8")
    first, _newline, rest = text.partition("\n")
    return first.lstrip("# ").strip(), rest.strip() + "\n"


def page_text(page: str, language: str) -> PageText:
    """The current text of ``page`` in ``language``: the newest edit, else the shipped text."""
    if page not in Page.values:
        raise ValueError(f"unknown page {page!r}")
    version = remember_for_public_pages(
        f"page-text:{page}:{language}", lambda: PageContent.objects.current(page, language)
    )
    if version is not None:
        return PageText(version.title, render_markdown(version.body), version)
    title, body = shipped_text(page, language)
    return PageText(title, render_markdown(body), None)
