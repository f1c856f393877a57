"""The public centre finder (staff centre pages: ``staff_views.py``).

These views never see who is asking: filters come from the query string
and "sort by distance" happens in the browser (static/directory/finder.js),
so a visitor's location never reaches the server.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from forestall.directory.forms import FinderForm
from forestall.directory.models import Centre
from forestall.lib.i18n import path_in_language
from forestall.lib.pagecache import cache_public_page


@require_safe
@cache_public_page
def finder(request: HttpRequest) -> HttpResponse:
    if not request.GET:
        return _unfiltered_finder(request)
    form = FinderForm(request.GET)
    valid = form.is_valid()
    filters = form.valid_filters()
    context = {
        "form": form,
        # Lazy: not queried at all when the rendered results come from the cache.
        "centres": Centre.objects.public().matching(**filters).with_offers(),
        "cache_key": _finder_cache_key(filters) if valid else "",
        "filtered": any(filters.values()),
        "pristine": False,
        "remote_filtered": filters["remote"],
        "finder_url": path_in_language("/centres/", get_language()),
        "mailbox_url": path_in_language("/mailbox/start/", get_language()),
    }
    # A value outside the vocabulary is the visitor's mistake, not ours: a
    # clear message next to the form, and 400 so that nothing caches it as a page.
    return render(request, "directory/finder.html", context, status=200 if valid else 400)


def _unfiltered_finder(request: HttpRequest) -> HttpResponse:
    """Most visits: no filters, the same page for everyone.

    The template keeps that page like a public page (``same_for_everyone``),
    so the form and the list are built only when it is rendered anew.
    """
    context = {
        "form": SimpleLazyObject(lambda: FinderForm({})),
        "centres": SimpleLazyObject(lambda: list(Centre.objects.public().with_offers())),
        "cache_key": "",
        "filtered": False,
        "remote_filtered": False,
        "pristine": True,
        "finder_url": path_in_language("/centres/", get_language()),
        "mailbox_url": path_in_language("/mailbox/start/", get_language()),
    }
    return render(request, "directory/finder.html", context)


def _finder_cache_key(filters: dict[str, Any]) -> str:
    """Cache key of the finder's form and results for valid filters.

    The key space is small and fixed (vocabulary, regions and languages), and
    it changes whenever any centre is saved, so edits show up at once.
    """
    region = filters["region"]
    return ":".join(
        [
            get_language() or "",
            filters["language"],
            filters["service"],
            region.slug if region else "",
            "remote" if filters["remote"] else "",
            Centre.objects.directory_version(),
        ]
    )


@require_safe
@cache_public_page
def centre_detail(request: HttpRequest, slug: str) -> HttpResponse:
    centre = get_object_or_404(Centre.objects.public().with_offers(), slug=slug)
    return render(
        request,
        "directory/centre.html",
        {"centre": centre, "finder_url": path_in_language("/centres/", get_language())},
    )
