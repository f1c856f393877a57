"""The staff audit page: network admins search the whole log, centre managers their centres'."""

from __future__ import annotations

from typing import cast

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.accounts.models import User
from forestall.audit.access import access_audit_log
from forestall.audit.forms import AuditSearchForm
from forestall.directory.models import Centre

PAGE_SIZE = 50


@require_safe
@staff_required
def audit_log(request: StaffRequest) -> HttpResponse:
    """Search the audit log within what the user may see; anyone else gets a 404."""
    user = cast(User, request.user)
    view = access_audit_log(user)
    entries = view.entries
    form = AuditSearchForm(request.GET or None, centres=view.centres)
    status = 200
    if form.is_bound:
        if form.is_valid():
            entries = form.apply(entries)
        else:
            entries = entries.none()
            status = 400
    page = Paginator(entries.order_by("-sequence"), PAGE_SIZE).get_page(request.GET.get("page"))
    centre_ids = {entry.centre_uuid for entry in page.object_list if entry.centre_uuid}
    centre_names = {
        centre.pk: centre.display_name
        for centre in Centre.objects.filter(pk__in=centre_ids).only("name", "name_de")
    }
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "rows": [
                (entry, centre_names.get(entry.centre_uuid) if entry.centre_uuid else None)
                for entry in page.object_list
            ],
            "is_network_admin": view.is_network_admin,
        },
        status=status,
    )
