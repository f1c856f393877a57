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
from forestall.lib.pagecache import cache_public_page, public_pages_generation
from forestall.public.models import Pathway


def _pathway_query(request: HttpRequest) -> str:
    """``?pathway=…`` of the pathway the person came in on, or "" (none, or not one we know).

    Carried from the finder to a centre's page and on to the mailbox, so that
    someone worried about another person is not counted, and helped, as
    worried about themselves once they follow a link here.
    """
    value = request.GET.get("pathway", "")
    return f"?pathway={value}" if value in Pathway.values else ""


@require_safe
@cache_public_page
def finder(request: HttpRequest) -> HttpResponse:
    if not any(name != "pathway" for name in request.GET):
        # Most visits: no filters, the same page for everyone. The template
        # keeps it like a public page (``same_for_everyone``), so the form and
        # the list are built only when it is rendered anew.
        return _render_finder(
            request,
            SimpleLazyObject(lambda: FinderForm({})),
            SimpleLazyObject(lambda: list(Centre.objects.public().with_offers())),
            pristine=True,
        )
    form = FinderForm(request.GET)
    valid = form.is_valid()
    filters = form.valid_filters()
    if valid:
        # The form and results are kept under the filters' key (below) and
        # shown to everyone who asks for the same filters: the form shown is
        # built from those filters, never from how this visitor spelled them
        # ("remote=0" is the remote filter off, not a ticked box).
        form = FinderForm(_filter_data(filters))
    return _render_finder(
        request,
        form,
        # Lazy: not queried at all when the rendered results come from the cache.
        Centre.objects.public().matching(**filters).with_offers(),
        cache_key=_finder_cache_key(filters, _pathway_query(request)) if valid else "",
        filtered=any(filters.values()),
        remote_filtered=filters["remote"],
        # A value outside the vocabulary is the visitor's mistake, not ours: a
        # clear message next to the form, and 400 so that nothing caches it as a page.
        status=200 if valid else 400,
    )


def _render_finder(
    request: HttpRequest,
    form: Any,
    centres: Any,
    *,
    pristine: bool = False,
    cache_key: str = "",
    filtered: bool = False,
    remote_filtered: bool = False,
    status: int = 200,
) -> HttpResponse:
    pathway_query = _pathway_query(request)
    context = {
        "form": form,
        "centres": centres,
        "cache_key": cache_key,
        "filtered": filtered,
        "pristine": pristine,
        "remote_filtered": remote_filtered,
        "finder_url": path_in_language("/centres/", get_language()),
        "mailbox_url": path_in_language("/mailbox/start/", get_language()) + pathway_query,
        "pathway_query": pathway_query,
        "pathway": pathway_query.removeprefix("?pathway="),
    }
    return render(request, "directory/finder.html", context, status=status)


def _filter_data(filters: dict[str, Any]) -> dict[str, str]:
    """The query values that stand for ``filters`` (valid filters, as ``valid_filters()``)."""
    region = filters["region"]
    return {
        "language": filters["language"],
        "service": filters["service"],
        "region": region.slug if region else "",
        "remote": "1" if filters["remote"] else "",
    }


def _finder_cache_key(filters: dict[str, Any], pathway_query: str) -> str:
    """Cache key of the finder's form and results for valid filters.

    The key space is small and fixed (vocabulary, regions and languages). It
    changes whenever any centre is saved and whenever public pages change
    (``public_pages_changed()``: a region renamed, a centre's offers changed,
    in the admin site too), so edits show up at once.
    """
    return ":".join(
        [
            get_language() or "",
            *_filter_data(filters).values(),
            pathway_query,  # the links to centres and the mailbox carry it
            Centre.objects.directory_version(),
            str(public_pages_generation()),
        ]
    )


@require_safe
@cache_public_page
def centre_detail(request: HttpRequest, slug: str) -> HttpResponse:
    centre = get_object_or_404(Centre.objects.public().with_offers(), slug=slug)
    return render(
        request,
        "directory/centre.html",
        {
            "centre": centre,
            "finder_url": path_in_language("/centres/", get_language()),
            "pathway_query": _pathway_query(request),
        },
    )
