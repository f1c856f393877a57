"""The staff audit page: network admins search the whole log, centre managers their centres'."""

from __future__ import annotations

from typing import cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from forestall.accounts.decorators import staff_required
from forestall.accounts.models import Role, User
from forestall.audit.actions import record_event
from forestall.audit.forms import AuditSearchForm
from forestall.audit.models import AuditEntry
from forestall.directory.models import Centre

PAGE_SIZE = 50


def _visible_centres(user: User, is_admin: bool) -> QuerySet[Centre]:
    """The centres a user may filter by: all for network admins, else those they manage."""
    if is_admin:
        return Centre.objects.order_by("name")
    return Centre.objects.filter(pk__in=user.centre_ids_with(Role.CENTRE_MANAGER)).order_by("name")


@require_safe
@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Search the audit log within what the user may see; anyone else gets a 404."""
    user = cast(User, request.user)
    is_admin = user.has_network_role(Role.NETWORK_ADMIN)
    if not is_admin and not user.centre_ids_with(Role.CENTRE_MANAGER):
        raise Http404
    entries = AuditEntry.objects.visible_to(user)
    centres = _visible_centres(user, is_admin)
    form = AuditSearchForm(request.GET or None, centres=centres)
    status = 200
    if form.is_bound:
        if form.is_valid():
            entries = form.apply(entries)
        else:
            entries = entries.none()
            status = 400
    page = Paginator(entries.order_by("-sequence"), PAGE_SIZE).get_page(request.GET.get("page"))
    centre_ids = {entry.centre_uuid for entry in page.object_list if entry.centre_uuid}
    centre_names = dict(Centre.objects.filter(pk__in=centre_ids).values_list("pk", "name"))
    record_event(user, "audit.read")
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
            "is_network_admin": is_admin,
        },
        status=status,
    )
