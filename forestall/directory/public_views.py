"""The public centre finder and the staff centre pages.

The public views never see who is asking: filters come from the query string
and "sort by distance" happens in the browser (static/directory/finder.js),
so a visitor's location never reaches the server.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from forestall.accounts.decorators import staff_required
from forestall.directory.access import access_centre_for_editing, list_editable_centres
from forestall.directory.actions import create_centre, update_centre_profile
from forestall.directory.forms import CentreAdminForm, CentreProfileForm, FinderForm
from forestall.directory.models import Centre
from forestall.lib.i18n import path_in_language
from forestall.lib.pagecache import cache_public_page

# --- public side ---------------------------------------------------------


@require_safe
@cache_public_page
def finder(request: HttpRequest) -> HttpResponse:
    form = FinderForm(request.GET)
    valid = form.is_valid()
    filters = form.valid_filters()
    context = {
        "form": form,
        # Lazy: not queried at all when the rendered results come from the cache.
        "centres": Centre.objects.public().matching(**filters).with_offers(),
        "cache_key": _finder_cache_key(filters) if valid else "",
        "filtered": any(filters.values()),
        "remote_filtered": filters["remote"],
        "finder_url": path_in_language("/centres/", get_language()),
        "mailbox_url": path_in_language("/mailbox/start/", get_language()),
    }
    # A value outside the vocabulary is the visitor's mistake, not ours: a
    # clear message next to the form, and 400 so that nothing caches it as a page.
    return render(request, "directory/finder.html", context, status=200 if valid else 400)


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


# --- staff side -----------------------------------------------------------


@require_safe
@staff_required
def staff_centre_list(request: HttpRequest) -> HttpResponse:
    centres = list_editable_centres(request.user)
    return render(
        request,
        "directory/staff/centre_list.html",
        {"centres": centres, "can_create": request.user.is_network_admin},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def staff_centre_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_network_admin:
        # The same answer as for any page that is not someone's to see.
        raise Http404
    form = CentreAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        centre = create_centre(form.save(commit=False), by=request.user, **form.offers())
        messages.success(request, _("The centre “%(name)s” was created.") % {"name": centre.name})
        return redirect("directory:list")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "directory/staff/centre_form.html", {"form": form, "centre": None}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def staff_centre_edit(request: HttpRequest, centre_id: UUID) -> HttpResponse:
    centre = access_centre_for_editing(request.user, centre_id)
    # The form writes into the instance while validating; keep the saved name for headings.
    saved_name = centre.name
    form_class = CentreAdminForm if request.user.is_network_admin else CentreProfileForm
    form = form_class(request.POST or None, instance=centre)
    if request.method == "POST" and form.is_valid():
        update_centre_profile(form.save(commit=False), by=request.user, **form.offers())
        messages.success(request, _("The profile of “%(name)s” was saved.") % {"name": saved_name})
        return redirect("directory:list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "directory/staff/centre_form.html",
        {"form": form, "centre": centre, "saved_name": saved_name},
        status=status,
    )
