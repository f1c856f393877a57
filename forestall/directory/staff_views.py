"""Staff pages of the directory: the list of centres, creating and editing one.

The public finder lives in ``public_views.py``.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.directory.access import access_centre_for_editing, list_editable_centres
from forestall.directory.actions import create_centre, update_centre_profile
from forestall.directory.forms import CentreAdminForm, CentreProfileForm
from forestall.directory.models import Region
from forestall.lib.stale_edits import ChangedMeanwhile, form_after_change


@require_safe
@staff_required
def staff_centre_list(request: StaffRequest) -> HttpResponse:
    centres = list_editable_centres(request.user)
    return render(
        request,
        "directory/staff/centre_list.html",
        {"centres": centres, "can_create": request.user.is_network_admin},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def staff_centre_create(request: StaffRequest) -> HttpResponse:
    if not request.user.is_network_admin:
        # The same answer as for any page that is not someone's to see.
        raise Http404
    form = CentreAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        centre = create_centre(form.save(commit=False), by=request.user, **form.offers())
        messages.success(request, _("The centre “%(name)s” was created.") % {"name": centre.name})
        return redirect("directory:list")
    status = 400 if request.method == "POST" else 200
    # A fresh installation has no region yet, and a centre cannot be saved without one.
    no_region = not Region.objects.exists()
    return render(
        request,
        "directory/staff/centre_form.html",
        {"form": form, "centre": None, "no_region": no_region},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def staff_centre_edit(request: StaffRequest, centre_id: UUID) -> HttpResponse:
    centre = access_centre_for_editing(request.user, centre_id)
    # The form writes into the instance while validating; keep the saved name for headings.
    saved_name = centre.name
    form_class = CentreAdminForm if request.user.is_network_admin else CentreProfileForm
    form = form_class(request.POST or None, instance=centre)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            update_centre_profile(
                form.save(commit=False),
                by=request.user,
                edited_from=form.edited_from,
                **form.offers(),
            )
        except ChangedMeanwhile as changed:
            fresh = access_centre_for_editing(request.user, centre_id)
            form = form_after_change(
                form_class, request.POST, changed, instance=fresh, viewer=request.user
            )
            status = 409
        else:
            messages.success(
                request, _("The profile of “%(name)s” was saved.") % {"name": saved_name}
            )
            return redirect("directory:list")
    return render(
        request,
        "directory/staff/centre_form.html",
        {"form": form, "centre": centre, "saved_name": saved_name},
        status=status,
    )
